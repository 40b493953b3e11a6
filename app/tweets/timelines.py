"""A page of a timeline from its Redis sets (tweets/timeline_store.py), or else from PostgreSQL.

A timeline is read from one or more sets merged newest first: Home is the reader's own set plus the
user timeline of each followed author too widely followed to be fanned out to (above
TIMELINE_FANOUT_MAX_FOLLOWERS). A set that does not exist is rebuilt from PostgreSQL, the source of
truth, on the spot. The page's rows come from the per-tweet row cache or PostgreSQL by primary key
(tweets/pages.py). With Redis unreachable or its
breaker open, a write not yet applied to the sets (tweets/fanout.py), or a page past what the sets
hold, the whole page comes from PostgreSQL as before.
"""

from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.db.models import QuerySet

from config.cache import RedisUnavailable
from tweets import fanout, timeline_store
from tweets.cursors import micros
from tweets.metrics import TIMELINE_CACHE
from tweets.models import Tweet
from tweets.pages import TimelinePage, page_from, page_of, rows_by_id
from tweets.timeline_store import Entry, Slice

# Entries read beyond a page, so that a few tweets deleted since they were stored cost no fallback.
SLACK = 5

Position = tuple[datetime, int]


def page(
    sources: dict[str, QuerySet[Tweet]], position: Position | None, whole: QuerySet[Tweet]
) -> TimelinePage:
    """The page after position of the timeline whose sets are sources' keys (each with the tweets a
    rebuild reads); whole is the timeline's query for PostgreSQL alone."""
    size = settings.TIMELINE_PAGE_SIZE
    wanted = size + 1 + SLACK
    at = (micros(position[0]), position[1]) if position else None
    try:
        caught_up = fanout.caught_up()
    except DatabaseError:
        # PostgreSQL is down: no write commits meanwhile, and the sets and cached rows can still serve.
        caught_up = True
    if not caught_up:
        return _from_postgresql(whole, position)
    try:
        slices = timeline_store.read(list(sources), at, wanted)
        rebuilt = False
        for key, found in slices.items():
            if found is None:
                slices[key] = _rebuild(key, sources[key], at, wanted)
                rebuilt = True
    except RedisUnavailable:
        return _from_postgresql(whole, position)
    if not all(found is not None and found.covers(wanted) for found in slices.values()):
        return _from_postgresql(whole, position)
    merged = sorted({entry for found in slices.values() if found for entry in found.entries}, reverse=True)
    ids = [tweet_id for _, tweet_id in merged[:wanted]]
    rows = rows_by_id(ids)
    shown = [rows[tweet_id] for tweet_id in ids if tweet_id in rows]
    everything = all(found is not None and found.complete for found in slices.values())
    if len(shown) <= size and len(ids) == wanted and not everything:
        # So many of these tweets were deleted that the page cannot be filled from the sets.
        return _from_postgresql(whole, position)
    TIMELINE_CACHE.labels(result="miss" if rebuilt else "hit").inc()
    return page_from(shown)


def _rebuild(key: str, tweets: QuerySet[Tweet], at: Entry | None, wanted: int) -> Slice:
    claimed = timeline_store.begin_rebuild(key)
    # Read after the claim: a write committed before it is in this snapshot, one after it in the set.
    entries = timeline_store.newest_entries(tweets)
    complete = len(entries) < settings.TIMELINE_LENGTH
    if claimed:
        timeline_store.finish_rebuild(key, entries, complete=complete)
    older = [entry for entry in entries if at is None or entry < at]
    return Slice(entries=older[:wanted], complete=complete)


def _from_postgresql(whole: QuerySet[Tweet], position: Position | None) -> TimelinePage:
    TIMELINE_CACHE.labels(result="miss").inc()
    return page_of(whole, position)
