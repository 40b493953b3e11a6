"""Reads of timelines: a constant number of queries per page, whatever the number of tweets."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Follow, User
from tweets import timeline_cache
from tweets.cursors import decode_cursor, encode_cursor
from tweets.models import Like, Tweet


@dataclass(frozen=True)
class TweetRow:
    id: int
    author_username: str
    text: str
    image_name: str
    thumbnail_name: str
    created_at: datetime
    like_count: int

    @property
    def image_url(self) -> str:
        return f"{settings.MEDIA_URL}{self.image_name}" if self.image_name else ""

    @property
    def thumbnail_url(self) -> str:
        return f"{settings.MEDIA_URL}{self.thumbnail_name}" if self.thumbnail_name else ""


@dataclass(frozen=True)
class TimelinePage:
    tweets: list[TweetRow]
    next_cursor: str | None


def explore_timeline(*, cursor: str | None = None) -> TimelinePage:
    return _cached_page("explore", Tweet.objects.all(), cursor)


def home_timeline(*, user: User, cursor: str | None = None) -> TimelinePage:
    followees = Follow.objects.filter(follower=user).values("followee")
    tweets = Tweet.objects.filter(Q(author=user) | Q(author__in=followees))
    return _cached_page(f"home:{user.pk}", tweets, cursor)


def profile_timeline(*, author: User, cursor: str | None = None) -> TimelinePage:
    return _cached_page(f"profile:{author.pk}", Tweet.objects.filter(author=author), cursor)


def liked_tweet_ids(*, user: User | AnonymousUser, page: TimelinePage) -> set[int]:
    if not user.is_authenticated or not page.tweets:
        return set()
    ids = [row.id for row in page.tweets]
    return set(Like.objects.filter(user=user, tweet_id__in=ids).values_list("tweet_id", flat=True))


@dataclass(frozen=True)
class ProfileStats:
    followers: int
    following: int
    viewer_follows: bool


def profile_stats(*, user: User, viewer: User) -> ProfileStats:
    counts = User.objects.filter(pk=user.pk).aggregate(
        followers=Count("follower_links", distinct=True),
        following=Count("following_links", distinct=True),
    )
    viewer_follows = (
        viewer.is_authenticated and Follow.objects.filter(follower=viewer, followee=user).exists()
    )
    return ProfileStats(viewer_follows=viewer_follows, **counts)


def _cached_page(timeline: str, tweets: QuerySet[Tweet], cursor: str | None) -> TimelinePage:
    # Decode before touching the cache, so a malformed cursor never becomes a cache key.
    position = decode_cursor(cursor) if cursor else None
    return timeline_cache.get_or_build(f"{timeline}:{cursor or ''}", lambda: page_of(tweets, position))


def page_of(tweets: QuerySet[Tweet], position: tuple[datetime, int] | None) -> TimelinePage:
    """One page of these tweets after the position, newest first, in one query."""
    size = settings.TIMELINE_PAGE_SIZE
    if position:
        created_at, tweet_id = position
        tweets = tweets.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=tweet_id))
    like_counts = (
        Like.objects.filter(tweet=OuterRef("pk"))
        .order_by()
        .values("tweet")
        .annotate(n=Count("*"))
        .values("n")
    )
    rows = list(
        tweets.order_by("-created_at", "-id")
        .annotate(like_count=Coalesce(Subquery(like_counts), Value(0)))
        .values_list("id", "author__username", "text", "image", "thumbnail", "created_at", "like_count")[
            : size + 1
        ]
    )
    page = [TweetRow(*row) for row in rows[:size]]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > size else None
    return TimelinePage(tweets=page, next_cursor=next_cursor)
