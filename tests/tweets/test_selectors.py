import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import FollowFactory, LikeFactory, TweetFactory, UserFactory
from tweets import fanout

pytestmark = pytest.mark.django_db


def populate(tweets: int, viewer) -> None:
    authors = UserFactory.create_batch(5)
    for author in authors:
        FollowFactory(follower=viewer, followee=author)
    created = [TweetFactory(author=authors[n % 5]) for n in range(tweets)]
    likers = UserFactory.create_batch(3)
    for tweet in created[-40:]:
        for liker in likers:
            LikeFactory(tweet=tweet, user=liker)
        LikeFactory(tweet=tweet, user=viewer)


def queries_for(client, url: str, cold: bool = False) -> int:
    # These tests' transactions never commit, so the fan-out of the tweets made so far runs here,
    # outside the measured request, as it would have after each post's commit.
    while not fanout.caught_up():
        pass
    if cold:
        cache.clear()  # an empty Redis: timelines rebuilt from PostgreSQL, sessions read from it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url_name", ["home", "explore"])
def test_a_timeline_page_costs_the_same_queries_for_5_and_500_tweets(client, url_name):
    viewer = UserFactory()
    client.force_login(viewer)
    populate(5, viewer)
    small, small_warm = (
        queries_for(client, reverse(url_name), cold=True),
        queries_for(client, reverse(url_name)),
    )
    populate(495, viewer)
    large, large_warm = (
        queries_for(client, reverse(url_name), cold=True),
        queries_for(client, reverse(url_name)),
    )
    assert small == large and small_warm == large_warm
    print(f"{url_name}: {large} queries per page from an empty Redis, {large_warm} from a warm one")


def test_a_profile_page_costs_the_same_queries_for_5_and_500_tweets(client):
    viewer, author = UserFactory(), UserFactory()
    client.force_login(viewer)
    TweetFactory.create_batch(5, author=author)
    small = queries_for(client, f"/@{author.username}", cold=True)
    TweetFactory.create_batch(495, author=author)
    assert queries_for(client, f"/@{author.username}", cold=True) == small


def test_a_page_shows_20_tweets_and_a_link_to_older_ones(client):
    TweetFactory.create_batch(21)
    response = client.get(reverse("explore"))
    assert response.text.count('class="tweet"') == 20
    assert "Older tweets" in response.text


def test_a_cached_page_is_served_without_timeline_queries(client):
    TweetFactory.create_batch(3)
    first = queries_for(client, reverse("explore"))
    assert queries_for(client, reverse("explore")) < first


@pytest.mark.django_db(transaction=True)
def test_an_author_sees_their_new_tweet_at_once_despite_the_cache(client):
    author = UserFactory()
    client.force_login(author)
    TweetFactory(author=author, text="already there")
    for name in ("home", "explore"):
        assert "already there" in client.get(reverse(name)).text  # now cached
    client.post(reverse("tweet_create"), {"text": "brand new"})
    for url in (reverse("home"), reverse("explore"), f"/@{author.username}"):
        assert "brand new" in client.get(url).text
