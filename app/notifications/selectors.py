"""Reads of a user's notifications: one page, newest first, in a constant number of queries."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from accounts.models import User
from notifications.models import Notification
from tweets.cursors import decode_cursor, encode_cursor
from tweets.pages import TweetRow, rows_by_id


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    actor_username: str
    created_at: datetime
    read: bool
    tweet: TweetRow | None  # what it is about (a repost: the original); None for a follow

    @property
    def entry(self) -> str:
        """The page element showing its tweet: the inbox may show one tweet twice (liked, reposted)."""
        return f"n{self.id}"


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[NotificationRow]
    next_cursor: str | None


def notification_page(*, user: User, cursor: str | None = None) -> NotificationPage:
    size = settings.TIMELINE_PAGE_SIZE
    notifications = Notification.objects.filter(recipient=user)
    if cursor:
        created_at, pk = decode_cursor(cursor)
        notifications = notifications.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)
        )
    rows = list(
        notifications.order_by("-created_at", "-id").values_list(
            "id", "kind", "actor__username", "created_at", "read", "tweet_id"
        )[: size + 1]
    )
    page = rows[:size]
    tweets = rows_by_id([tweet_id for *_, tweet_id in page if tweet_id])
    originals = rows_by_id([row.repost_of_id for row in tweets.values() if row.repost_of_id])
    shown = {
        pk: originals.get(row.repost_of_id, row) if row.repost_of_id else row for pk, row in tweets.items()
    }
    next_cursor = encode_cursor(page[-1][3], page[-1][0]) if len(rows) > size else None
    return NotificationPage(
        notifications=[
            NotificationRow(pk, kind, actor, created_at, read, shown.get(tweet_id) if tweet_id else None)
            for pk, kind, actor, created_at, read, tweet_id in page
        ],
        next_cursor=next_cursor,
    )
