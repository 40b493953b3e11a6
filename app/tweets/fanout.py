"""Writes reflected in the Redis timelines (tweets/timeline_store.py): fan-out on write.

A service records each change (a TimelineChange row) in its own transaction and applies the pending
ones right after the commit: a post (a reply too) goes into its author's, its author's followers' and
Explore's sets (a repost into all but Explore's), unless the author has more than
TIMELINE_FANOUT_MAX_FOLLOWERS followers (their tweets are merged in at read time, tweets/selectors.py);
a delete leaves every set that may hold it; a follow
merges the followee's newest tweets into the follower's Home; an unfollow drops the follower's Home,
rebuilt at its next read (the set keeps no authors, so which ids to take out is not known). With
Redis unreachable the rows stay, and the next write that reaches it applies them first. Without Redis
(the embedded default) nothing is recorded: timelines are read from the database.
"""

import contextlib

from django.conf import settings
from django.db import transaction

from accounts.models import Follow, User
from config.cache import RedisUnavailable, redis_configured
from tweets import timeline_store
from tweets.cursors import micros
from tweets.models import TimelineChange, Tweet
from tweets.timeline_store import EXPLORE_KEY, home_key, user_key

# Changes applied per write: a backlog after an outage drains over the next few writes.
BATCH = 100
Kind = TimelineChange.Kind


def record(kind: str, user_id: int, other_id: int, score: int = 0) -> None:
    """Inside the write's transaction: this change must reach the timelines."""
    if not redis_configured():
        return
    change = TimelineChange.objects.create(kind=kind, user_id=user_id, other_id=other_id, score=score)
    transaction.on_commit(lambda: apply_pending(own=change.pk))


def record_post(tweet: Tweet) -> None:
    record(Kind.POST, tweet.author_id, tweet.pk)


def record_delete(tweet: Tweet, tweet_id: int) -> None:
    record(Kind.DELETE, tweet.author_id, tweet_id, micros(tweet.created_at))


def forget_author(author_id: int) -> None:
    """Drop every set that holds this author's tweets (after a bulk load that bypassed record())."""
    keys = [user_key(author_id), home_key(author_id), EXPLORE_KEY, *_followers_homes(author_id)]
    with contextlib.suppress(RedisUnavailable):
        timeline_store.forget(keys)


def apply_pending(own: int | None = None) -> bool:
    """Apply the pending changes no other process is applying (up to BATCH). With own, a write's
    change, first wait for it: if another process holds it, until that one has applied it, so that
    the write's response is sent only once its change is in the sets. True when every change not
    held elsewhere was applied; False with Redis unreachable (the rows stay for the next write)."""
    try:
        with transaction.atomic():
            if own is not None:
                _apply(list(TimelineChange.objects.select_for_update().filter(pk=own)))
            changes = list(TimelineChange.objects.select_for_update(skip_locked=True).order_by("id")[:BATCH])
            _apply(changes)
    except RedisUnavailable:
        return False
    return len(changes) < BATCH


def _apply(changes: list[TimelineChange]) -> None:
    for change in changes:
        APPLY[Kind(change.kind)](change)
    TimelineChange.objects.filter(id__in=[change.id for change in changes]).delete()


def caught_up() -> bool:
    """Whether a reader may trust the sets (one indexed query when the outbox is empty). If it is not,
    this reader applies what nobody is applying; what remains is held by the writes applying it right
    now, whose responses wait for it (apply_pending's own), and a set missing an in-flight write is
    what a read an instant earlier would have seen. A reader never trusts a set a write missed: a
    change left by a write that failed to apply it is not held by anyone, so it is applied here."""
    if not TimelineChange.objects.exists():
        return True
    return apply_pending()


def _followers_homes(author_id: int) -> list[str]:
    followers = Follow.objects.filter(followee_id=author_id).values_list("follower_id", flat=True)
    return [home_key(follower_id) for follower_id in followers]


def _post(change: TimelineChange) -> None:
    found = Tweet.objects.filter(pk=change.other_id).values_list("created_at", "repost_of_id").first()
    if found is None:
        return  # deleted since; its delete comes after this change
    created_at, repost_of_id = found
    keys = [user_key(change.user_id), home_key(change.user_id)]
    if repost_of_id is None:
        keys.append(EXPLORE_KEY)  # Explore shows each tweet once: its original, not its reposts
    followers = User.objects.filter(pk=change.user_id).values_list("followers_count", flat=True).first()
    if followers is not None and followers <= settings.TIMELINE_FANOUT_MAX_FOLLOWERS:
        keys += _followers_homes(change.user_id)
    timeline_store.add(keys, [(micros(created_at), change.other_id)])


def _delete(change: TimelineChange) -> None:
    # Every follower's set, fanned out to or not: an author merged at read time today may have been
    # fanned out to when they had fewer followers.
    keys = [
        user_key(change.user_id),
        home_key(change.user_id),
        EXPLORE_KEY,
        *_followers_homes(change.user_id),
    ]
    timeline_store.remove(keys, [change.other_id])


def _merge_newest(author_id: int, keys: list[str]) -> None:
    entries = timeline_store.newest_entries(Tweet.objects.filter(author_id=author_id))
    # Only the author's newest are merged: below the oldest of them the sets cannot vouch for it.
    floor = entries[-1][0] if len(entries) == settings.TIMELINE_LENGTH else None
    if entries:
        timeline_store.add(keys, entries, floor=floor)


def _follow(change: TimelineChange) -> None:
    _merge_newest(change.other_id, [home_key(change.user_id)])


def _unfollow(change: TimelineChange) -> None:
    timeline_store.forget([home_key(change.user_id)])


def _fan_out_again(change: TimelineChange) -> None:
    # The author fell to the fan-out threshold: what they posted above it is in no follower's set.
    _merge_newest(change.user_id, _followers_homes(change.user_id))


APPLY = {
    Kind.POST: _post,
    Kind.DELETE: _delete,
    Kind.FOLLOW: _follow,
    Kind.UNFOLLOW: _unfollow,
    Kind.FAN_OUT_AGAIN: _fan_out_again,
}
