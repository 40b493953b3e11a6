"""What the JSON API sends and receives: every response of every endpoint is one of these."""

from datetime import datetime

from ninja import Schema


class ErrorDetail(Schema):
    code: str  # stable, for programs: "not_found", "invalid_request", "empty", "too_long", ...
    message: str  # for people
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorDetail


class TweetOut(Schema):
    id: int
    author: str  # the username
    author_display_name: str  # empty: show the username
    author_avatar_url: str | None
    text: str
    created_at: datetime
    image_url: str | None
    thumbnail_url: str | None
    like_count: int
    reply_count: int
    repost_count: int
    reply_to_id: int | None
    # The viewer's own state (false for anonymous readers).
    liked: bool
    reposted: bool


class TimelineItemOut(Schema):
    id: int  # the timeline entry: the tweet's, or a repost's own
    reposted_by: str | None
    tweet: TweetOut  # what the entry shows (a repost: its original)


class PageOut(Schema):
    items: list[TimelineItemOut]
    next_cursor: str | None  # pass as ?cursor= for the next (older) page; null on the last


class ThreadOut(Schema):
    ancestors: list[TweetOut]
    tweet: TweetOut
    replies: PageOut


class UserOut(Schema):
    username: str
    display_name: str  # empty: show the username
    bio: str
    avatar_url: str | None
    followers: int
    following: int
    viewer_follows: bool


class ChangedOut(Schema):
    changed: bool  # false when the action had already been done (or undone)


class SearchOut(Schema):
    tweets: PageOut
    users: list[str]


class NotificationOut(Schema):
    kind: str
    actor: str
    created_at: datetime
    read: bool
    tweet: TweetOut | None


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int


class TokenIn(Schema):
    name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime


class TokenCreatedOut(TokenOut):
    token: str  # shown once: only its digest is stored
