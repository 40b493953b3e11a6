"""Loads `make bench-social`'s graph into the stack's PostgreSQL and prepares what the load needs.

Run by loadtest/bench_social.py with the replicas' own settings (`python -m loadtest.social_load`,
app/ on the path, the stack's Django environment), so it writes the rows, Redis sets and sessions the
app reads. Rows go in with PostgreSQL COPY through psycopg (a million tweets in seconds), with the
counters the app maintains (followers, following) already right. Then every account's Home and user
timeline is built through the app's own read path (tweets.selectors), which rebuilds a missing set
from PostgreSQL exactly as the first page view would. Sessions are stored in advance (the
cached_db backend's rows), so the load is logged in without a login per user, and one CSRF secret
serves every form. Writes one JSON file (--out): what the load generator needs.
"""

import argparse
import json
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

import django
from psycopg import sql

from loadtest.social_graph import (
    FOLLOWER_ONLY,
    Graph,
    fanout_follower_username,
    fanout_username,
    text,
    username,
)

# Tweets' created_at spread over this span, ending this long before the load starts.
SPAN = timedelta(days=365)
BEFORE_NOW = timedelta(hours=1)
# Recent tweet ids the load likes (what users see is what they like).
LIKED_POOL = 5000


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _ids(cursor, names: list[str]) -> dict[str, int]:
    from accounts.models import User

    query = sql.SQL("SELECT username, id FROM {} WHERE username = ANY(%s)").format(
        sql.Identifier(User._meta.db_table)
    )
    cursor.execute(query, [names])
    return dict(cursor.fetchall())


def load(graph: Graph, fanout: list[int]) -> dict[str, int]:
    """COPY users, follows and tweets of the graph, and the fan-out authors with their followers.
    Returns every loaded account's id by username."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Follow, User
    from tweets.models import Tweet

    followers, following = graph.counts
    now = timezone.now()
    password = make_password(None)  # unusable: the load logs in through prepared sessions
    user_columns = [
        "username",
        "password",
        "is_superuser",
        "is_staff",
        "is_active",
        "first_name",
        "last_name",
        "email",
        "date_joined",
        "followers_count",
        "following_count",
    ]

    def account(name: str, followers_count: int, following_count: int) -> tuple:
        return (name, password, False, False, True, "", "", "", now, followers_count, following_count)

    extra: dict[str, tuple[int, int]] = {}  # follower-only accounts: name -> (followers, following)
    authors = {fanout_username(count): count for count in fanout}
    for count in fanout:
        for index in range(max(0, count - graph.users)):
            extra[fanout_follower_username(count, index)] = (0, 1)
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            # The app's statement timeout is for requests; a million-row COPY takes longer.
            cursor.execute("SET LOCAL statement_timeout = 0")
            rows = (account(username(i), followers[i], following[i]) for i in range(graph.users))
            _copy(cursor, User._meta.db_table, user_columns, rows)
            rows = (account(name, count, 0) for name, count in authors.items())
            _copy(cursor, User._meta.db_table, user_columns, rows)
            rows = (account(name, *counts) for name, counts in extra.items())
            _copy(cursor, User._meta.db_table, user_columns, rows)
            ids = _ids(cursor, [username(i) for i in range(graph.users)] + list(authors) + list(extra))
            user_ids = [ids[username(i)] for i in range(graph.users)]

            def follows():
                for user, followees in graph.following():
                    for followee in followees:
                        yield user_ids[user], user_ids[followee], now
                rng = random.Random(f"{graph.seed}-fanout")
                for name, count in authors.items():
                    chosen = rng.sample(user_ids, min(count, graph.users))
                    chosen += [ids[fanout_follower_username(count, i)] for i in range(count - len(chosen))]
                    # The graph's users gain a followee: their following counter too.
                    yield from ((follower, ids[name], now) for follower in chosen)

            _copy(cursor, Follow._meta.db_table, ["follower_id", "followee_id", "created_at"], follows())
            users, follows_table, tweets = (
                sql.Identifier(model._meta.db_table) for model in (User, Follow, Tweet)
            )
            # The fan-out authors' followers drawn from the graph follow one account more than it says.
            update = sql.SQL(
                "UPDATE {} u SET following_count = c.n FROM (SELECT follower_id, count(*) AS n FROM {} "
                "GROUP BY follower_id) c WHERE u.id = c.follower_id AND u.id = ANY(%s)"
            )
            cursor.execute(update.format(users, follows_table), [user_ids])
            step = SPAN / max(1, graph.tweets)
            start = now - BEFORE_NOW - SPAN
            rows = (
                (user_ids[author], text(index, author), start + index * step, 0, "", "")
                for index, author in enumerate(graph.authors())
            )
            columns = ["author_id", "text", "created_at", "like_count", "image", "thumbnail"]
            _copy(cursor, Tweet._meta.db_table, columns, rows)
            cursor.execute(sql.SQL("ANALYZE {}, {}, {}").format(users, follows_table, tweets))
    return ids


def build_timelines(names: list[str] | None = None) -> None:
    """Home and user timeline of these accounts (default: every reading account) through the app's
    read path: a missing Redis set is rebuilt from PostgreSQL, as the first page view after a flush
    would. The others' sets stay absent, as an inactive user's expire (the fan-out authors'
    follower-only accounts never read)."""
    from accounts.models import User
    from tweets import selectors, timeline_store

    # Sets written before the load (the stack's own Explore, in a test) would miss its tweets.
    timeline_store.forget([timeline_store.EXPLORE_KEY])
    selectors.explore_timeline()
    users = User.objects.exclude(username__regex=FOLLOWER_ONLY)
    if names is not None:
        users = users.filter(username__in=names)
    for user in users.iterator(chunk_size=2000):
        selectors.home_timeline(user=user)
        selectors.profile_timeline(author=user)


def prepare_sessions(names: list[str], ids: dict[str, int]) -> dict[str, str]:
    """A logged-in session per account (stored like a login stores it): username -> session key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User

    hashes = {user.username: user.get_session_auth_hash() for user in User.objects.filter(username__in=names)}
    expires = timezone.now() + timedelta(days=1)
    keys, rows = {}, []
    store = SessionStore()
    for name in names:
        data = {
            SESSION_KEY: str(ids[name]),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: hashes[name],
        }
        key = get_random_string(32, VALID_KEY_CHARS)
        keys[name] = key
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
    Session.objects.bulk_create(rows, batch_size=2000)
    return keys


def recent_tweet_ids(count: int) -> list[int]:
    from tweets.models import Tweet

    return list(Tweet.objects.order_by("-created_at", "-id").values_list("id", flat=True)[:count])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rebuild-only", action="store_true", help="only rebuild every loaded account's timelines"
    )
    parser.add_argument("--users", type=int)
    parser.add_argument("--tweets", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--sessions", type=int, help="logged-in users of the load")
    parser.add_argument("--fanout", type=int, nargs="*", default=[], help="followers of each fan-out author")
    parser.add_argument("--out", type=Path, help="where the JSON for the load generator goes")
    parser.add_argument(
        "--readers-only", action="store_true", help="prepare the timelines of the sessions' accounts only"
    )
    args = parser.parse_args(argv)
    django.setup()
    if args.rebuild_only:
        build_timelines()
        return 0
    missing = [name for name in ("users", "tweets", "seed", "sessions", "out") if getattr(args, name) is None]
    if missing:
        parser.error("required: " + ", ".join(f"--{name}" for name in missing))
    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    graph = Graph(args.users, args.tweets, args.seed)
    timings = {}
    started = time.monotonic()
    ids = load(graph, args.fanout)
    timings["copy_s"] = time.monotonic() - started
    rng = random.Random(f"{args.seed}-sessions")
    readers = sorted(rng.sample(range(graph.users), min(args.sessions, graph.users)))
    authors = [fanout_username(count) for count in args.fanout]
    started = time.monotonic()
    build_timelines([username(i) for i in readers] + authors if args.readers_only else None)
    timings["timelines_s"] = time.monotonic() - started
    sessions = prepare_sessions([username(i) for i in readers] + authors, ids)
    result = {
        "csrf": get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS),
        "sessions": {str(i): sessions[username(i)] for i in readers},
        "fanout": {str(count): sessions[fanout_username(count)] for count in args.fanout},
        "tweet_ids": recent_tweet_ids(LIKED_POOL),
        "fanout_threshold": settings.TIMELINE_FANOUT_MAX_FOLLOWERS,
        "timings": timings,
    }
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
