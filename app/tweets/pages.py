"""A page of tweets as the templates show it, read from PostgreSQL in one query."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet

from tweets.cursors import encode_cursor
from tweets.models import Tweet

ROW_FIELDS = (
    "id",
    "author__username",
    "text",
    "image",
    "thumbnail",
    "created_at",
    "like_count",
    "reply_count",
    "repost_count",
    "reply_to_id",
    "reply_to__author__username",
    "repost_of_id",
    "author__display_name",
    "author__avatar",
)


@dataclass(frozen=True)
class TweetRow:
    id: int
    author_username: str
    text: str
    image_name: str
    thumbnail_name: str
    created_at: datetime
    like_count: int
    # Defaults: a tweet that nobody answered or reposted, and that answers and reposts nothing.
    reply_count: int = 0
    repost_count: int = 0
    reply_to_id: int | None = None
    reply_to_username: str | None = None
    repost_of_id: int | None = None
    # The author's profile (accounts/profiles.py evicts the author's rows when it changes).
    author_display_name: str = ""
    author_avatar_name: str = ""
    # A repost's original as the page shows it: attached per page (page_from), never cached with the
    # repost's row, so the original's counts are its own cached row's.
    original: "TweetRow | None" = None

    @property
    def shown(self) -> "TweetRow":
        """The tweet whose content and actions the row shows: a repost shows its original."""
        return self.original or self

    @property
    def image_url(self) -> str:
        return f"{settings.MEDIA_URL}{self.image_name}" if self.image_name else ""

    @property
    def author_avatar_url(self) -> str:
        return f"{settings.MEDIA_URL}{self.author_avatar_name}" if self.author_avatar_name else ""

    @property
    def thumbnail_url(self) -> str:
        return f"{settings.MEDIA_URL}{self.thumbnail_name}" if self.thumbnail_name else ""


@dataclass(frozen=True)
class TimelinePage:
    tweets: list[TweetRow]
    next_cursor: str | None


def page_from(rows: Sequence[TweetRow]) -> TimelinePage:
    """The first page of rows (newest first, one more than a page if there are older ones), reposts
    with their originals (one more cache round trip or query, whatever the number of reposts)."""
    size = settings.TIMELINE_PAGE_SIZE
    page = list(rows[:size])
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > size else None
    originals = rows_by_id([row.repost_of_id for row in page if row.repost_of_id])
    shown = [
        replace(row, original=originals[row.repost_of_id]) if row.repost_of_id else row
        for row in page
        # An original deleted since its repost's row was read takes the repost with it.
        if not row.repost_of_id or row.repost_of_id in originals
    ]
    return TimelinePage(tweets=shown, next_cursor=next_cursor)


def page_of(tweets: QuerySet[Tweet], position: tuple[datetime, int] | None) -> TimelinePage:
    """One page of these tweets after the position, newest first, in one query (and one for the
    originals of its reposts)."""
    if position:
        created_at, tweet_id = position
        tweets = tweets.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=tweet_id))
    rows = tweets.order_by("-created_at", "-id").values_list(*ROW_FIELDS)
    return page_from([TweetRow(*row) for row in rows[: settings.TIMELINE_PAGE_SIZE + 1]])


def row_key(tweet_id: int) -> str:
    # v3: rows gained the author's profile; a worker must not unpickle an older deploy's rows.
    return f"tweet:v3:{tweet_id}"


def author_row_keys(author_id: int) -> list[str]:
    """The cache keys of every row an author's profile shows in (their tweets and reposts)."""
    return [
        row_key(tweet_id)
        for tweet_id in Tweet.objects.filter(author_id=author_id).values_list("id", flat=True)
    ]


def rows_by_id(tweet_ids: Sequence[int]) -> dict[int, TweetRow]:
    """The tweets that still exist among these ids: from the cache (one round trip), the others from
    PostgreSQL by primary key (one query), then cached. A like, unlike or delete evicts its tweet's
    row (tweets/services.py), so a warm page needs no database and a write evicts nothing else."""
    if not tweet_ids:
        return {}
    cached: dict[str, TweetRow] = cache.get_many([row_key(tweet_id) for tweet_id in tweet_ids])
    found = {row.id: row for row in cached.values()}
    missing = [tweet_id for tweet_id in tweet_ids if tweet_id not in found]
    if missing:
        rows = [TweetRow(*row) for row in Tweet.objects.filter(id__in=missing).values_list(*ROW_FIELDS)]
        # add, not set: a write's eviction between this read and now must not be undone by old data.
        for row in rows:
            cache.add(row_key(row.id), row, timeout=settings.TWEET_CACHE_SECONDS)
        found |= {row.id: row for row in rows}
    return found
