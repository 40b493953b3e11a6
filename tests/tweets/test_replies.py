"""Replies: a tweet's page shows its conversation, a reply form, and the reply count."""

import pytest
from django.urls import reverse

from tests.factories import TweetFactory, UserFactory
from tweets import services
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def reply(client, parent, text="Nice one"):
    return client.post(reverse("tweet_reply", args=[parent.pk]), {"text": text})


def test_a_reply_shows_on_the_tweets_page_with_whom_it_answers(user_client, other_user):
    parent = TweetFactory(author=other_user, text="What do you think?")
    response = reply(user_client, parent, "I think it works")
    assert response.status_code == 302
    assert response["Location"] == reverse("tweet_detail", args=[parent.pk])
    page = user_client.get(response["Location"])
    assert "Reply posted." in page.text
    assert "What do you think?" in page.text and "I think it works" in page.text
    assert (
        f'Replying to <a href="{reverse("tweet_detail", args=[parent.pk])}">@{other_user.username}</a>'
        in page.text
    )
    stored = Tweet.objects.get(text="I think it works")
    assert stored.reply_to == parent


def test_the_reply_count_is_kept_with_each_reply_and_its_delete(
    user_client, user, other_user, django_capture_on_commit_callbacks
):
    parent = TweetFactory(author=other_user)
    reply(user_client, parent, "one")
    reply(user_client, parent, "two")
    assert Tweet.objects.get(pk=parent.pk).reply_count == 2
    assert 'aria-label="2 replies, reply"' in user_client.get(reverse("explore")).text
    with django_capture_on_commit_callbacks(execute=True):  # the cached rows' eviction
        services.tweet_delete(tweet=Tweet.objects.get(text="one"), user=user)
    assert Tweet.objects.get(pk=parent.pk).reply_count == 1
    assert 'aria-label="1 replies, reply"' in user_client.get(reverse("explore")).text


def test_a_reply_enters_timelines_like_any_tweet(user_client, user, other_user):
    parent = TweetFactory(author=other_user)
    reply(user_client, parent, "answering in public")
    assert "answering in public" in user_client.get(reverse("home")).text
    assert "answering in public" in user_client.get(reverse("profile", args=[user.username])).text


def test_the_page_shows_the_whole_chain_a_reply_answers_oldest_first(client, user, other_user):
    root = TweetFactory(author=user, text="root of it")
    middle = services.tweet_create(author=other_user, text="middle of it", reply_to=root)
    leaf = services.tweet_create(author=user, text="leaf of it", reply_to=middle)
    page = client.get(reverse("tweet_detail", args=[leaf.pk])).text
    assert page.index("root of it") < page.index("middle of it") < page.index("leaf of it")


def test_deleting_a_tweet_keeps_its_replies_answering_nothing(
    user_client, user, other_user, django_capture_on_commit_callbacks
):
    parent = TweetFactory(author=user, text="soon gone")
    answer = services.tweet_create(author=other_user, text="still here", reply_to=parent)
    user_client.get(reverse("explore"))  # caches the reply's row, which names whom it answers
    with django_capture_on_commit_callbacks(execute=True):
        services.tweet_delete(tweet=parent, user=user)
    page = user_client.get(reverse("tweet_detail", args=[answer.pk])).text
    assert "still here" in page and "Replying to" not in page
    assert "Replying to" not in user_client.get(reverse("explore")).text


def test_an_empty_reply_is_refused_with_the_form_error_and_nothing_stored(user_client, other_user):
    parent = TweetFactory(author=other_user)
    response = reply(user_client, parent, "\u200b\u200b ")
    assert response.status_code == 400
    assert "A tweet cannot be empty." in response.text
    assert Tweet.objects.count() == 1 and Tweet.objects.get().reply_count == 0


def test_a_too_long_reply_is_refused(user_client, other_user):
    response = reply(user_client, TweetFactory(author=other_user), "x" * 281)
    assert response.status_code == 400
    assert "at most 280 characters" in response.text


def test_replying_to_a_tweet_that_does_not_exist_is_a_404(user_client):
    response = user_client.post(reverse("tweet_reply", args=[999999]), {"text": "hello"})
    assert response.status_code == 404
    assert not Tweet.objects.exists()


def test_anonymous_visitors_read_a_conversation_but_cannot_reply(client, other_user):
    parent = TweetFactory(author=other_user, text="open to all")
    page = client.get(reverse("tweet_detail", args=[parent.pk]))
    assert page.status_code == 200 and "open to all" in page.text
    assert reverse("tweet_reply", args=[parent.pk]) not in page.text
    response = reply(client, parent)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Tweet.objects.count() == 1


def test_a_missing_tweet_page_is_a_404(client):
    assert client.get(reverse("tweet_detail", args=[123456])).status_code == 404


def test_a_malformed_replies_cursor_is_a_400(client, other_user):
    parent = TweetFactory(author=other_user)
    response = client.get(reverse("tweet_detail", args=[parent.pk]), {"cursor": "not-a-cursor"})
    assert response.status_code == 400


def test_replies_are_paginated_newest_first(client, settings, other_user):
    settings.TIMELINE_PAGE_SIZE = 2
    parent = TweetFactory(author=other_user)
    for number in range(3):
        services.tweet_create(author=UserFactory(), text=f"reply number {number}", reply_to=parent)
    first = client.get(reverse("tweet_detail", args=[parent.pk]))
    assert "reply number 2" in first.text and "reply number 1" in first.text
    assert "reply number 0" not in first.text
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("tweet_detail", args=[parent.pk]), {"cursor": cursor})
    assert "reply number 0" in second.text and "reply number 2" not in second.text


def test_a_reply_to_a_repost_answers_its_original(user, other_user):
    original = TweetFactory(author=other_user)
    services.tweet_repost(tweet=original, user=user)
    repost = Tweet.objects.get(repost_of=original)
    answer = services.tweet_create(author=user, text="to the original", reply_to=repost)
    assert answer.reply_to == original
    assert Tweet.objects.get(pk=original.pk).reply_count == 1


def test_the_conversation_page_costs_the_same_queries_for_short_and_long_threads(
    user_client, user, other_user, django_assert_max_num_queries
):
    def queries_for(depth: int) -> int:
        tweet = TweetFactory(author=other_user)
        for number in range(depth):
            tweet = services.tweet_create(author=user, text=f"step {number}", reply_to=tweet)
        for number in range(depth):
            services.tweet_create(author=other_user, text=f"answer {number}", reply_to=tweet)
        with django_assert_max_num_queries(50) as captured:
            assert user_client.get(reverse("tweet_detail", args=[tweet.pk])).status_code == 200
        return len(captured)

    assert queries_for(1) == queries_for(8)
