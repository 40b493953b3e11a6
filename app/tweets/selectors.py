"""Reads of timelines: a constant number of queries per page, whatever the number of tweets."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from accounts.models import Follow, User
from tweets import timelines
from tweets.cursors import decode_cursor
from tweets.models import Like, Tweet
from tweets.pages import TimelinePage
from tweets.timeline_store import EXPLORE_KEY, home_key, user_key


def explore_timeline(*, cursor: str | None = None) -> TimelinePage:
    position = _position(cursor)
    # Originals only (a repost's fan-out skips Explore too, tweets/fanout.py).
    everyone = Tweet.objects.filter(repost_of__isnull=True)
    return timelines.page({EXPLORE_KEY: everyone}, position, everyone)


def home_timeline(*, user: User, cursor: str | None = None) -> TimelinePage:
    position = _position(cursor)
    followees = Follow.objects.filter(follower=user).values("followee")
    home = Tweet.objects.filter(Q(author=user) | Q(author__in=followees))
    # Authors this widely followed are not fanned out to (tweets/fanout.py): merged in here instead.
    merged = Follow.objects.filter(
        follower=user, followee__followers_count__gt=settings.TIMELINE_FANOUT_MAX_FOLLOWERS
    ).values_list("followee_id", flat=True)
    sources = {home_key(user.pk): home} | {
        user_key(author_id): Tweet.objects.filter(author_id=author_id) for author_id in merged
    }
    return timelines.page(sources, position, home)


def profile_timeline(*, author: User, cursor: str | None = None) -> TimelinePage:
    position = _position(cursor)
    tweets = Tweet.objects.filter(author=author)
    return timelines.page({user_key(author.pk): tweets}, position, tweets)


def liked_tweet_ids(*, user: User | AnonymousUser, page: TimelinePage) -> set[int]:
    """Which of the tweets the page shows (a repost shows its original) the user likes."""
    if not user.is_authenticated or not page.tweets:
        return set()
    ids = [row.shown.id for row in page.tweets]
    return set(Like.objects.filter(user=user, tweet_id__in=ids).values_list("tweet_id", flat=True))


def reposted_tweet_ids(*, user: User | AnonymousUser, page: TimelinePage) -> set[int]:
    """Which of the tweets the page shows the user has reposted."""
    if not user.is_authenticated or not page.tweets:
        return set()
    ids = [row.shown.id for row in page.tweets]
    reposts = Tweet.objects.filter(author=user, repost_of_id__in=ids)
    return set(reposts.values_list("repost_of_id", flat=True))


@dataclass(frozen=True)
class ProfileStats:
    followers: int
    following: int
    viewer_follows: bool


def profile_stats(*, user: User, viewer: User | AnonymousUser) -> ProfileStats:
    # The counts are the user row's own columns, kept with each follow (accounts/services.py).
    viewer_follows = (
        viewer.is_authenticated and Follow.objects.filter(follower=viewer, followee=user).exists()
    )
    return ProfileStats(
        followers=user.followers_count, following=user.following_count, viewer_follows=viewer_follows
    )


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    # Decoded before anything is read, so a malformed cursor is a 400 and never reaches Redis.
    return decode_cursor(cursor) if cursor else None
