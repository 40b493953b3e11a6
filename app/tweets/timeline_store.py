"""Timelines in Redis: one sorted set of tweet ids per timeline, the way Twitter and Mastodon keep them.

A set holds the newest TIMELINE_LENGTH entries of its timeline (score: created_at in microseconds;
member: the id, zero-padded so that Redis' order of equal scores is the ids' order), plus markers
scored -inf: `end` says nothing older exists, `partial` that a rebuild from PostgreSQL is under way.
A set is always a prefix of its timeline, newest first: whatever cannot keep it so (a trim, a merge of
only someone's newest tweets) drops `end` or the entries it can no longer vouch for, and a read that
runs past what a set vouches for is answered from PostgreSQL. Sets are created only by a rebuild and
expire after TIMELINE_SECONDS; writes touch only sets that exist (tweets/fanout.py). Every command
goes through Redis' circuit breaker (config.cache.redis_call), which raises RedisUnavailable.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.db.models import QuerySet

from config.cache import redis_call
from tweets.cursors import micros
from tweets.models import Tweet

END, PARTIAL = "end", "partial"
EXPLORE_KEY = "tl:explore"
# How long a rebuild may take before its placeholder expires (a worker that died mid-rebuild).
REBUILD_SECONDS = 30
# Keys per script call: a fan-out to 10,000 followers is ten calls in one round trip.
CHUNK = 1000

# (score, tweet id), newest first.
Entry = tuple[int, int]

_TRIM = """
local function trim(key, length)
  local markers = redis.call('ZCOUNT', key, '-inf', '-inf')
  local excess = redis.call('ZCARD', key) - markers - length
  if excess > 0 then
    redis.call('ZREMRANGEBYRANK', key, markers, markers + excess - 1)
    redis.call('ZREM', key, 'end')
  end
end
"""
# KEYS: timelines; ARGV: length, floor ('' or a score below which the entries are not the whole
# truth any more), then score, member pairs. Only existing sets change.
_ADD = (
    _TRIM
    + """
local length, floor = tonumber(ARGV[1]), ARGV[2]
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    if floor ~= '' and redis.call('ZSCORE', key, 'partial') then
      -- a rebuild's snapshot may lack what lies below the floor: let the next read rebuild again
      redis.call('DEL', key)
    else
      if #ARGV > 2 then redis.call('ZADD', key, unpack(ARGV, 3)) end
      if floor ~= '' then
        redis.call('ZREMRANGEBYSCORE', key, '(-inf', '(' .. floor)
        redis.call('ZREM', key, 'end')
      end
      trim(key, length)
    end
  end
end
"""
)
_BEGIN_REBUILD = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZADD', KEYS[1], '-inf', 'partial')
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  return 1
end
return 0
"""
# ARGV: length, seconds to live, complete (0/1), then score, member pairs.
_FINISH_REBUILD = (
    _TRIM
    + """
local key = KEYS[1]
if not redis.call('ZSCORE', key, 'partial') then return 0 end
for i = 4, #ARGV, 2000 do
  redis.call('ZADD', key, unpack(ARGV, i, math.min(i + 1999, #ARGV)))
end
redis.call('ZREM', key, 'partial')
if ARGV[3] == '1' then redis.call('ZADD', key, '-inf', 'end') end
trim(key, tonumber(ARGV[1]))
redis.call('EXPIRE', key, ARGV[2])
return 1
"""
)


def home_key(user_id: int) -> str:
    return f"tl:home:{user_id}"


def user_key(author_id: int) -> str:
    return f"tl:user:{author_id}"


@dataclass(frozen=True)
class Slice:
    """What one set holds older than a position: up to the asked number of entries, newest first."""

    entries: list[Entry]
    # Nothing older than these entries exists in the timeline (the set's `end` was reached).
    complete: bool

    def covers(self, count: int) -> bool:
        return self.complete or len(self.entries) >= count


def read(keys: Sequence[str], position: Entry | None, count: int) -> dict[str, Slice | None]:
    """Each set's entries older than position (None: the set does not exist), in one round trip."""

    def run(client: redis.Redis) -> list[Any]:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            newest = f"({position[0]}" if position else "+inf"
            pipe.zrevrangebyscore(key, newest, "-inf", start=0, num=count, withscores=True)
            if position:
                pipe.zrangebyscore(key, position[0], position[0], withscores=True)
        return pipe.execute()

    replies = iter(redis_call(run))
    slices: dict[str, Slice | None] = {}
    for key in keys:
        members = list(next(replies))
        if position:
            ties = [(m, s) for m, s in next(replies) if int(m) < position[1]]
            members = ties + members
        if not members:
            slices[key] = None
            continue
        names = {member for member, _ in members}
        entries = sorted(
            ((int(score), int(member)) for member, score in members if member not in (b"end", b"partial")),
            reverse=True,
        )
        slices[key] = Slice(entries=entries[:count], complete=b"end" in names)
    return slices


def newest_entries(tweets: QuerySet[Tweet]) -> list[Entry]:
    """The newest TIMELINE_LENGTH of these tweets (in PostgreSQL) as entries: what a set holds."""
    rows = tweets.order_by("-created_at", "-id").values_list("created_at", "id")
    return [(micros(created_at), tweet_id) for created_at, tweet_id in rows[: settings.TIMELINE_LENGTH]]


def begin_rebuild(key: str) -> bool:
    """Claim a missing set for a rebuild; False if it exists (a truncated set is not rebuilt)."""
    return bool(redis_call(lambda client: client.eval(_BEGIN_REBUILD, 1, key, REBUILD_SECONDS)))


def finish_rebuild(key: str, entries: list[Entry], *, complete: bool) -> None:
    """Store what PostgreSQL returned, merged with what writes added meanwhile."""
    arguments = [settings.TIMELINE_LENGTH, settings.TIMELINE_SECONDS, int(complete), *_pairs(entries)]
    redis_call(lambda client: client.eval(_FINISH_REBUILD, 1, key, *arguments))


def add(keys: Iterable[str], entries: list[Entry], *, floor: int | None = None) -> None:
    """Add entries to the sets that exist; with floor, the entries are someone's newest only, so older
    ones than floor can no longer be vouched for."""
    arguments = [settings.TIMELINE_LENGTH, "" if floor is None else floor, *_pairs(entries)]
    _chunked(keys, lambda pipe, chunk: pipe.eval(_ADD, len(chunk), *chunk, *arguments))


def remove(keys: Iterable[str], tweet_ids: list[int]) -> None:
    members = [_member(tweet_id) for tweet_id in tweet_ids]
    _chunked(keys, lambda pipe, chunk: [pipe.zrem(key, *members) for key in chunk])


def forget(keys: Iterable[str]) -> None:
    _chunked(keys, lambda pipe, chunk: pipe.delete(*chunk))


def _chunked(keys: Iterable[str], command: Callable[[Any, list[str]], object]) -> None:
    listed = list(keys)
    if not listed:
        return

    def run(client: redis.Redis) -> None:
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(listed), CHUNK):
            command(pipe, listed[start : start + CHUNK])
        pipe.execute()

    redis_call(run)


def _member(tweet_id: int) -> str:
    return f"{tweet_id:020d}"


def _pairs(entries: list[Entry]) -> list[int | str]:
    return [value for score, tweet_id in entries for value in (score, _member(tweet_id))]
