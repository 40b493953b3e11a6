"""Reads of a conversation: a tweet with the chain of tweets it replies to and its replies, and the
tweets of a hashtag. A constant number of queries whatever the length of the thread."""

from dataclasses import dataclass

from django.db import connection

from tweets.cursors import decode_cursor
from tweets.models import Tweet
from tweets.pages import TimelinePage, TweetRow, page_of, rows_by_id

# How far up a thread its page goes: each step up is one more link to follow.
ANCESTORS_SHOWN = 20


@dataclass(frozen=True)
class Thread:
    ancestors: list[TweetRow]  # oldest first, ending with the tweet this one replies to
    tweet: TweetRow
    replies: TimelinePage  # newest first


def tweet_thread(*, tweet_id: int, cursor: str | None = None) -> Thread | None:
    """The conversation around a tweet (a repost's is its original's), or None if it does not exist."""
    position = decode_cursor(cursor) if cursor else None
    chain = _chain(tweet_id)
    if not chain:
        return None
    rows = rows_by_id(chain)
    if tweet_id not in rows:
        return None
    row = rows[tweet_id]
    if row.repost_of_id:
        return tweet_thread(tweet_id=row.repost_of_id, cursor=cursor)
    ancestors = [rows[pk] for pk in reversed(chain[1:]) if pk in rows]
    replies = page_of(Tweet.objects.filter(reply_to_id=tweet_id), position)
    return Thread(ancestors=ancestors, tweet=row, replies=replies)


def hashtag_timeline(*, name: str, cursor: str | None = None) -> TimelinePage:
    position = decode_cursor(cursor) if cursor else None
    return page_of(Tweet.objects.filter(hashtags__name=name), position)


def _chain(tweet_id: int) -> list[int]:
    """The tweet's id and those of the tweets it replies to, nearest first, in one recursive query
    (the same SQL for PostgreSQL and SQLite)."""
    table = Tweet._meta.db_table
    sql = f"""
        WITH RECURSIVE chain(id, reply_to_id, depth) AS (
            SELECT id, reply_to_id, 0 FROM {table} WHERE id = %s
            UNION ALL
            SELECT t.id, t.reply_to_id, chain.depth + 1
            FROM {table} t JOIN chain ON t.id = chain.reply_to_id
            WHERE chain.depth < %s
        )
        SELECT id FROM chain ORDER BY depth
    """  # noqa: S608 the table name is the model's, not input
    with connection.cursor() as cursor:
        cursor.execute(sql, [tweet_id, ANCESTORS_SHOWN])
        return [pk for (pk,) in cursor.fetchall()]
