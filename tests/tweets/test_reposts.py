"""Reposts: a repost enters the reposter's and their followers' Home once, shows its original, and
can be undone; the original's repost count is kept with each."""

import pytest
from django.urls import reverse

from tests.factories import FollowFactory, TweetFactory, UserFactory
from tweets import selectors, services
from tweets.models import Like, Tweet

pytestmark = pytest.mark.django_db


def repost(client, tweet):
    return client.post(reverse("tweet_repost", args=[tweet.pk]), {"next": reverse("explore")})


def unrepost(client, tweet):
    return client.post(reverse("tweet_unrepost", args=[tweet.pk]), {"next": reverse("explore")})


def test_a_repost_shows_in_followers_homes_with_who_reposted_it(user_client, user, other_user):
    author = UserFactory(username="writer")
    original = TweetFactory(author=author, text="worth sharing")
    follower = UserFactory()
    FollowFactory(follower=follower, followee=user)
    assert repost(user_client, original).status_code == 302
    home = selectors.home_timeline(user=follower)
    assert [row.shown.id for row in home.tweets] == [original.pk]
    user_client.force_login(follower)
    page = user_client.get(reverse("home")).text
    assert f'<a href="{reverse("profile", args=[user.username])}">@{user.username}</a> reposted' in page
    assert "worth sharing" in page and "@writer" in page


def test_reposting_twice_is_one_repost(user_client, user, other_user):
    original = TweetFactory(author=other_user)
    repost(user_client, original)
    repost(user_client, original)
    assert Tweet.objects.filter(repost_of=original).count() == 1
    assert Tweet.objects.get(pk=original.pk).repost_count == 1
    assert len(selectors.home_timeline(user=user).tweets) == 1


def test_undoing_a_repost_takes_it_out_of_home_and_the_count(user_client, user, other_user):
    original = TweetFactory(author=other_user)
    repost(user_client, original)
    page = user_client.get(reverse("profile", args=[user.username])).text
    assert 'aria-label="1 reposts, undo repost"' in page
    response = unrepost(user_client, original)
    assert response.status_code == 302
    assert "Repost undone." in user_client.get(response["Location"]).text
    assert not Tweet.objects.filter(repost_of=original).exists()
    assert Tweet.objects.get(pk=original.pk).repost_count == 0
    assert selectors.profile_timeline(author=user).tweets == []


def test_undoing_a_repost_that_does_not_exist_changes_nothing(user_client, other_user):
    original = TweetFactory(author=other_user)
    assert unrepost(user_client, original).status_code == 302
    assert Tweet.objects.get(pk=original.pk).repost_count == 0


def test_deleting_the_original_takes_its_reposts_out_of_every_timeline(user, other_user):
    original = TweetFactory(author=other_user)
    services.tweet_repost(tweet=original, user=user)
    assert len(selectors.profile_timeline(author=user).tweets) == 1
    services.tweet_delete(tweet=original, user=other_user)
    assert not Tweet.objects.exists()
    assert selectors.profile_timeline(author=user).tweets == []
    assert selectors.home_timeline(user=user).tweets == []


def test_explore_shows_the_original_once_not_its_reposts(client, user, other_user):
    original = TweetFactory(author=other_user)
    services.tweet_repost(tweet=original, user=user)
    assert [row.id for row in selectors.explore_timeline().tweets] == [original.pk]


def test_reposting_a_repost_reposts_its_original(user, other_user):
    original = TweetFactory(author=other_user)
    services.tweet_repost(tweet=original, user=user)
    third = UserFactory()
    services.tweet_repost(tweet=Tweet.objects.get(repost_of=original), user=third)
    assert Tweet.objects.get(author=third).repost_of == original
    assert Tweet.objects.get(pk=original.pk).repost_count == 2


def test_liking_through_a_repost_likes_the_original(user_client, user, other_user):
    original = TweetFactory(author=other_user)
    services.tweet_repost(tweet=original, user=other_user)
    the_repost = Tweet.objects.get(repost_of=original)
    user_client.post(reverse("tweet_like", args=[the_repost.pk]))
    assert Like.objects.get(user=user).tweet == original
    assert Tweet.objects.get(pk=original.pk).like_count == 1


def test_a_repost_shows_the_originals_current_counts(
    user_client, user, other_user, django_capture_on_commit_callbacks
):
    original = TweetFactory(author=other_user)
    services.tweet_repost(tweet=original, user=user)
    user_client.get(reverse("profile", args=[user.username]))  # caches both rows
    with django_capture_on_commit_callbacks(execute=True):
        services.tweet_like(tweet=original, user=UserFactory())
    page = user_client.get(reverse("profile", args=[user.username])).text
    assert 'aria-label="1 likes, like"' in page


def test_reposting_a_missing_tweet_is_a_404(user_client):
    assert user_client.post(reverse("tweet_repost", args=[424242])).status_code == 404
    assert not Tweet.objects.exists()


def test_anonymous_visitors_cannot_repost(client, other_user):
    original = TweetFactory(author=other_user)
    response = repost(client, original)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Tweet.objects.filter(repost_of=original).exists()


def test_a_repost_cannot_be_stored_with_text_of_its_own(user, other_user):
    from django.db import IntegrityError, transaction

    original = TweetFactory(author=other_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Tweet.objects.create(author=user, repost_of=original, text="sneaky")


def test_repost_buttons_do_not_steal_the_like_buttons_pressed_state(user_client, other_user):
    # The browser tests find a tweet's like button as its only button[aria-pressed].
    TweetFactory(author=other_user, text="only one toggle")
    page = user_client.get(reverse("explore")).text
    assert page.count('aria-pressed="false"') == 1


@pytest.mark.parametrize("url_name", ["home", "hashtag"])
def test_a_page_of_reposts_and_replies_costs_the_same_queries_for_few_and_many(client, url_name):
    from tests.tweets.test_selectors import queries_for

    viewer = UserFactory()
    client.force_login(viewer)
    url = reverse(url_name, args=["busy"]) if url_name == "hashtag" else reverse(url_name)

    def add(count: int) -> None:
        for _ in range(count):
            reposter, author = UserFactory(), UserFactory()
            FollowFactory(follower=viewer, followee=reposter)
            original = services.tweet_create(author=author, text="about #busy")
            services.tweet_repost(tweet=original, user=reposter)
            services.tweet_create(author=reposter, text=f"@{author.username} #busy indeed", reply_to=original)

    add(2)
    few, few_warm = queries_for(client, url, cold=True), queries_for(client, url)
    add(15)
    many, many_warm = queries_for(client, url, cold=True), queries_for(client, url)
    assert few == many and few_warm == many_warm
    print(f"{url_name}: {many} queries from an empty Redis, {many_warm} from a warm one")


def test_a_page_showing_a_tweet_and_its_repost_has_no_id_twice(user_client, user, other_user):
    import re
    from collections import Counter

    FollowFactory(follower=user, followee=other_user)
    original = TweetFactory(author=other_user, text="seen twice")
    services.tweet_repost(tweet=original, user=user)
    page = user_client.get(reverse("home")).text
    ids = Counter(re.findall(r' id="([^"]+)"', page))
    assert [name for name, count in ids.items() if count > 1] == []
    for labelled in re.findall(r'aria-labelledby="([^"]+)"', page):
        assert ids[labelled] == 1
