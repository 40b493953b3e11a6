"""Notifications: mentions, replies, likes, follows and reposts tell the user concerned; the header
shows the unread count; the inbox marks them read; an action undone takes its notification back."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from notifications.models import Notification
from tests.factories import TweetFactory, UserFactory
from tweets import services
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def unread(user) -> int:
    return User.objects.get(pk=user.pk).unread_notifications


def inbox(client) -> str:
    return client.get(reverse("notifications")).text


def test_each_action_notifies_the_user_it_concerns(user_client, user):
    actor = UserFactory(username="actor")
    mine = TweetFactory(author=user, text="my tweet")
    services.tweet_create(author=actor, text=f"hello @{user.username}")
    services.tweet_create(author=actor, text="an answer", reply_to=mine)
    services.tweet_like(tweet=mine, user=actor)
    services.tweet_repost(tweet=mine, user=actor)
    account_services.user_follow(follower=actor, followee=user)
    assert unread(user) == 5
    page = inbox(user_client)
    for words in (
        "mentioned you",
        "replied to you",
        "liked your tweet",
        "reposted your tweet",
        "followed you",
    ):
        assert page.count(words) == 1, words
    assert page.count('<a class="author" href="/@actor">@actor</a>') == 5
    assert page.count('<span class="badge">New</span>') == 5


def test_the_header_shows_the_unread_count_and_reading_clears_it(user_client, user, other_user):
    services.tweet_like(tweet=TweetFactory(author=user), user=other_user)
    services.tweet_like(tweet=TweetFactory(author=user), user=other_user)
    home = user_client.get(reverse("home")).text
    assert '<span class="badge">2<span class="visually-hidden"> unread</span></span>' in home
    assert inbox(user_client).count('<span class="badge">New</span>') == 2  # new when first shown
    assert unread(user) == 0
    assert not Notification.objects.filter(recipient=user, read=False).exists()
    assert 'visually-hidden"> unread' not in user_client.get(reverse("home")).text
    assert 'class="badge">New' not in inbox(user_client)


def test_nobody_is_notified_of_their_own_actions(user):
    mine = TweetFactory(author=user)
    services.tweet_like(tweet=mine, user=user)
    services.tweet_repost(tweet=mine, user=user)
    services.tweet_create(author=user, text=f"me @{user.username}", reply_to=mine)
    assert unread(user) == 0 and not Notification.objects.exists()


def test_a_reply_that_mentions_the_author_notifies_them_once(user, other_user):
    mine = TweetFactory(author=user)
    services.tweet_create(author=other_user, text=f"@{user.username} indeed", reply_to=mine)
    assert list(Notification.objects.values_list("kind", flat=True)) == ["reply"]
    assert unread(user) == 1


def test_undoing_an_action_takes_its_notification_back(user, other_user):
    mine = TweetFactory(author=user)
    services.tweet_like(tweet=mine, user=other_user)
    services.tweet_repost(tweet=mine, user=other_user)
    account_services.user_follow(follower=other_user, followee=user)
    services.tweet_unlike(tweet=mine, user=other_user)
    services.tweet_unrepost(tweet=mine, user=other_user)
    account_services.user_unfollow(follower=other_user, followee=user)
    assert not Notification.objects.exists()
    assert unread(user) == 0


def test_a_read_notification_withdrawn_leaves_the_count_alone(user_client, user, other_user):
    mine = TweetFactory(author=user)
    services.tweet_like(tweet=mine, user=other_user)
    inbox(user_client)
    services.tweet_like(tweet=TweetFactory(author=user), user=other_user)
    services.tweet_unlike(tweet=mine, user=other_user)
    assert unread(user) == 1


def test_deleting_a_tweet_deletes_its_notifications_and_their_unread_count(user, other_user):
    mine = TweetFactory(author=user)
    answer = services.tweet_create(author=other_user, text=f"@{user.username} hi", reply_to=mine)
    services.tweet_like(tweet=mine, user=other_user)
    services.tweet_repost(tweet=mine, user=other_user)
    assert unread(user) == 3
    services.tweet_delete(tweet=answer, user=other_user)
    assert unread(user) == 2
    services.tweet_delete(tweet=mine, user=user)
    assert unread(user) == 0 and not Notification.objects.exists()
    assert not Tweet.objects.filter(author=user).exists()


def test_a_repost_notification_shows_the_original_and_links_its_conversation(user_client, user, other_user):
    mine = TweetFactory(author=user, text="my original words")
    services.tweet_repost(tweet=mine, user=other_user)
    page = inbox(user_client)
    assert "my original words" in page
    assert f'href="{reverse("tweet_detail", args=[mine.pk])}">View conversation' in page


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_inbox_is_paginated_and_a_malformed_cursor_is_a_400(user_client, user, settings):
    settings.TIMELINE_PAGE_SIZE = 2
    for _ in range(3):
        account_services.user_follow(follower=UserFactory(), followee=user)
    first = user_client.get(reverse("notifications"))
    assert first.text.count("followed you") == 2
    second = user_client.get(reverse("notifications"), {"cursor": first.context["page"].next_cursor})
    assert second.text.count("followed you") == 1
    assert user_client.get(reverse("notifications"), {"cursor": "bad"}).status_code == 400


def test_the_inbox_costs_the_same_queries_for_few_and_many_notifications(
    user_client, user, django_assert_max_num_queries
):
    def queries() -> int:
        with django_assert_max_num_queries(30) as captured:
            user_client.get(reverse("notifications"))
        return len(captured)

    actor = UserFactory()
    services.tweet_like(tweet=TweetFactory(author=user), user=actor)
    few = queries()
    for _ in range(5):
        mine = TweetFactory(author=user)
        services.tweet_like(tweet=mine, user=actor)
        services.tweet_repost(tweet=mine, user=UserFactory())
    assert queries() == few


def test_the_inbox_showing_one_tweet_twice_has_no_id_twice(user_client, user, other_user):
    import re
    from collections import Counter

    mine = TweetFactory(author=user)
    services.tweet_like(tweet=mine, user=other_user)
    services.tweet_repost(tweet=mine, user=other_user)
    page = inbox(user_client)
    ids = Counter(re.findall(r' id="([^"]+)"', page))
    assert [name for name, count in ids.items() if count > 1] == []
    for labelled in re.findall(r'aria-labelledby="([^"]+)"', page):
        assert ids[labelled] == 1
