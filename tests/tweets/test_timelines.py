"""Timelines kept in Redis: written on post, reflecting deletes, follows and unfollows, rebuilt from
PostgreSQL when lost, and read from PostgreSQL when Redis cannot be used. Transactional tests: the
fan-out runs after the commit, as in production."""

import re
import threading

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts import services as account_services
from config import breakers
from config.cache import redis_call
from tests.factories import TweetFactory, UserFactory
from tweets import fanout, selectors, services
from tweets.metrics import TIMELINE_CACHE
from tweets.models import TimelineChange, Tweet
from tweets.timeline_store import home_key, user_key

pytestmark = pytest.mark.django_db(transaction=True)


def shown(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return re.findall(r'<p class="text">([^<]*)</p>', response.text)


def stored_ids(key: str) -> set[int]:
    members = redis_call(lambda client: client.zrange(key, 0, -1))
    return {int(member) for member in members if member.isdigit()}


@pytest.fixture
def people(client):
    alice, bob, carol = (
        UserFactory(username="alice"),
        UserFactory(username="bob"),
        UserFactory(username="carol"),
    )
    account_services.user_follow(follower=bob, followee=alice)
    return alice, bob, carol


def as_user(client, user):
    client.force_login(user)
    return client


def test_a_post_reaches_its_followers_at_once_and_evicts_no_one_else(client, people):
    alice, bob, carol = people
    TweetFactory(author=carol, text="by carol")
    assert shown(as_user(client, bob), "/") == []
    assert shown(as_user(client, carol), "/") == ["by carol"]
    carol_home = stored_ids(home_key(carol.pk))

    as_user(client, alice).post(reverse("tweet_create"), {"text": "fresh from alice"})

    assert shown(client, "/") == ["fresh from alice"]  # the author
    assert shown(as_user(client, bob), "/") == ["fresh from alice"]  # a follower
    tweet = Tweet.objects.get(text="fresh from alice")
    assert tweet.pk in stored_ids(home_key(bob.pk))  # written into the follower's set, not rebuilt
    assert stored_ids(home_key(carol.pk)) == carol_home  # still there, untouched
    assert "fresh from alice" in shown(client, reverse("explore"))


def test_a_deleted_tweet_leaves_every_timeline(client, people):
    alice, bob, _ = people
    tweet = services.tweet_create(author=alice, text="regrettable")
    assert shown(as_user(client, bob), "/") == ["regrettable"]
    assert shown(client, "/@alice") == ["regrettable"]
    services.tweet_delete(tweet=tweet, user=alice)
    for url in ("/", "/@alice", reverse("explore")):
        assert "regrettable" not in shown(client, url)
    assert tweet.pk not in stored_ids(home_key(bob.pk))


def test_a_follow_brings_older_tweets_in_and_an_unfollow_takes_them_out(client, people):
    _, bob, carol = people
    services.tweet_create(author=carol, text="carol from before")
    assert shown(as_user(client, bob), "/") == []
    account_services.user_follow(follower=bob, followee=carol)
    assert shown(client, "/") == ["carol from before"]
    account_services.user_unfollow(follower=bob, followee=carol)
    assert shown(client, "/") == []


def test_a_flushed_redis_rebuilds_every_timeline_from_postgresql(client, people):
    alice, bob, _ = people
    services.tweet_create(author=alice, text="survives the flush")
    assert shown(as_user(client, bob), "/") == ["survives the flush"]
    cache.clear()
    assert stored_ids(home_key(bob.pk)) == set()
    assert shown(client, "/") == ["survives the flush"]
    assert len(stored_ids(home_key(bob.pk))) == 1


def test_widely_followed_authors_are_merged_at_read_time_not_fanned_out(client, people, settings):
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 1
    alice, bob, carol = people
    account_services.user_follow(follower=carol, followee=alice)  # alice: 2 followers, above 1
    assert shown(as_user(client, bob), "/") == []
    tweet = services.tweet_create(author=alice, text="to the masses")
    assert tweet.pk not in stored_ids(home_key(bob.pk))
    assert shown(client, "/") == ["to the masses"]
    assert shown(as_user(client, carol), "/") == ["to the masses"]


def test_an_author_falling_back_to_the_threshold_is_fanned_out_again(client, people, settings):
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 1
    alice, bob, carol = people
    account_services.user_follow(follower=carol, followee=alice)
    assert shown(as_user(client, bob), "/") == []
    tweet = services.tweet_create(author=alice, text="posted while famous")
    account_services.user_unfollow(follower=carol, followee=alice)  # back to 1: fanned out again
    assert tweet.pk in stored_ids(home_key(bob.pk))
    assert shown(client, "/") == ["posted while famous"]


def test_pages_past_what_redis_keeps_come_from_postgresql(client, people, settings):
    settings.TIMELINE_LENGTH = 30
    alice, _, _ = people
    for n in range(55):
        services.tweet_create(author=alice, text=f"number {n}")
    as_user(client, alice)
    seen, url = [], "/@alice"
    while url and len(seen) < 100:
        response = client.get(url)
        seen += re.findall(r'<p class="text">([^<]*)</p>', response.text)
        cursor = re.search(r'class="older" href="\?cursor=([A-Za-z0-9_-]+)"', response.text)
        url = f"/@alice?cursor={cursor.group(1)}" if cursor else None
    assert seen == [f"number {n}" for n in reversed(range(55))]
    assert len(stored_ids(user_key(alice.pk))) == 30


def test_with_redis_breaker_open_timelines_come_from_postgresql_and_changes_wait(client, people):
    alice, bob, carol = people
    assert shown(as_user(client, bob), "/") == []
    breakers.breaker("redis").open()

    services.tweet_create(author=alice, text="during the outage")
    assert shown(client, "/") == ["during the outage"]  # from PostgreSQL
    assert TimelineChange.objects.count() == 1  # kept for Redis

    breakers.breaker("redis").close()
    services.tweet_create(author=carol, text="after it")  # the next write applies what waited
    assert TimelineChange.objects.count() == 0
    assert Tweet.objects.get(text="during the outage").pk in stored_ids(home_key(bob.pk))
    assert shown(client, "/") == ["during the outage"]


def test_counts_are_kept_with_each_write(client, people):
    alice, bob, carol = people
    tweet = services.tweet_create(author=alice, text="likeable")
    services.tweet_like(tweet=tweet, user=bob)
    services.tweet_like(tweet=tweet, user=bob)
    services.tweet_like(tweet=tweet, user=carol)
    services.tweet_unlike(tweet=tweet, user=carol)
    services.tweet_unlike(tweet=tweet, user=carol)
    assert Tweet.objects.get(pk=tweet.pk).like_count == 1
    account_services.user_follow(follower=carol, followee=alice)
    account_services.user_follow(follower=carol, followee=alice)
    alice.refresh_from_db(), carol.refresh_from_db()
    assert (alice.followers_count, alice.following_count, carol.following_count) == (2, 0, 1)
    page = as_user(client, carol).get("/@alice").text
    assert "2 followers" in page and "0 following" in page and "1 likes, like" in page


def test_a_redis_that_refuses_writes_costs_no_error_and_loses_no_change(people):
    alice, bob, _ = people

    assert selectors.home_timeline(user=bob).tweets == []  # bob's set exists
    redis_call(lambda client: client.config_set("maxmemory", 1))  # every write: OOM (noeviction)
    try:
        services.tweet_create(author=alice, text="while Redis is full")
        assert [row.text for row in selectors.home_timeline(user=bob).tweets] == ["while Redis is full"]
        assert TimelineChange.objects.count() == 1
    finally:
        redis_call(lambda client: client.config_set("maxmemory", 0))
    services.tweet_create(author=alice, text="after")
    assert TimelineChange.objects.count() == 0
    assert [row.text for row in selectors.home_timeline(user=bob).tweets] == ["after", "while Redis is full"]


def _hold(change_id: int, held, release, then=None) -> None:
    """Another process's transaction holding a change (as apply_pending does), then committing;
    `then` runs inside it first (applying the change, as that process would)."""
    from django.db import connection, transaction

    try:
        with transaction.atomic():
            changes = list(TimelineChange.objects.select_for_update().filter(pk=change_id))
            held.set()
            release.wait(30)
            if then:
                then(changes)
    finally:
        connection.close()


def _misses() -> float:
    return TIMELINE_CACHE.labels(result="miss")._value.get()


def test_a_change_being_applied_elsewhere_sends_no_reader_to_postgresql_and_an_abandoned_one_is_applied(
    people,
):
    alice, bob, _ = people
    assert selectors.home_timeline(user=bob).tweets == []  # bob's set exists
    tweet = Tweet.objects.create(author=alice, text="in flight")  # its change recorded below
    change = TimelineChange.objects.create(kind=TimelineChange.Kind.POST, user_id=alice.pk, other_id=tweet.pk)
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(change.pk, held, release))
    holder.start()
    try:
        assert held.wait(30)
        misses = _misses()
        # What a read an instant before the write saw, from Redis: the write's response is not sent yet.
        assert selectors.home_timeline(user=bob).tweets == []
        assert _misses() == misses
    finally:
        release.set()
        holder.join(30)
    # The holder gave up without applying it (a process that died): the next reader applies it.
    assert [row.text for row in selectors.home_timeline(user=bob).tweets] == ["in flight"]
    assert TimelineChange.objects.count() == 0 and _misses() == misses


def test_a_write_waits_for_its_own_change_when_another_process_is_applying_it(people):
    alice, bob, _ = people
    assert selectors.home_timeline(user=bob).tweets == []
    tweet = Tweet.objects.create(author=alice, text="mine")
    change = TimelineChange.objects.create(kind=TimelineChange.Kind.POST, user_id=alice.pk, other_id=tweet.pk)
    held, release, applied = threading.Event(), threading.Event(), threading.Event()

    def apply(changes):
        fanout._apply(changes)
        applied.set()

    holder = threading.Thread(target=_hold, args=(change.pk, held, release, apply))
    holder.start()
    try:
        assert held.wait(30)
        threading.Timer(0.2, release.set).start()
        # The writer's own change is held: it returns only once the holder has applied it and committed.
        assert fanout.apply_pending(own=change.pk)
        assert applied.is_set()
    finally:
        release.set()
        holder.join(30)
    assert tweet.pk in stored_ids(home_key(bob.pk)) and TimelineChange.objects.count() == 0
