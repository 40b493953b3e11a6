"""Backup and restore timings at a given database size: `python -m loadtest.backup_timings --tweets 48000`.

A real PostgreSQL archiving into a real pgBackRest repository (the backup tests' server,
tests/backups/archiving.py: postgres/archiving.conf and pgbackrest.conf, the repository encrypted and
zstd-compressed; fsync off, as in the tests), filled with N tweets by one author (bulk INSERT), then:
a full backup and an incremental one after more writes (`manage.py backup --type`), the portable
export (`manage.py backup --dump`), and a point-in-time restore of the newest backup into a scratch
folder, to the moment between two sets of writes, served and promoted. Prints one line per step, in
seconds, and the sizes. A benchmark, not a test: `make test` never runs it.
"""

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

# The app's packages (backups), as manage.py and the tests' conftest put them on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "app"))
# The helpers import the app's models (through the tests' conftest): Django is set up first.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
import django

django.setup()
from backups import pgbackrest  # noqa: E402
from stack.pgbackrest import restore_options  # noqa: E402
from tests.backups.archiving import (  # noqa: E402
    archiving_database,
    manage,
    post,
    restored_texts,
    scratch_folder,
)


def fill(url: str, author: int, tweets: int) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO tweets_tweet (author_id, text, image, thumbnail, created_at, like_count)"
            " SELECT %s, 'tweet number ' || n || ' ' || md5(n::text), '', '', now(), 0"
            " FROM generate_series(1, %s) AS n",
            [author, tweets],
        )
        connection.execute("VACUUM ANALYZE tweets_tweet")


def timed(label: str, results: dict, step):
    started = time.monotonic()
    value = step()
    results[label] = round(time.monotonic() - started, 2)
    print(f"{label}: {results[label]} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=48000, help="tweets in the database (default 48000)")
    arguments = parser.parse_args()
    results: dict = {"tweets": arguments.tweets}
    with archiving_database() as database:
        url, env, author = database["url"], database["env"], database["author"]
        timed("fill", results, lambda: fill(url, author, arguments.tweets))
        with psycopg.connect(url) as connection:
            size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        results["database_mb"] = round(size / 2**20, 1)
        timed("full_backup", results, lambda: manage("backup", "--type", "full", env=env))
        post(url, author, [f"after the full {i}" for i in range(1000)])
        timed("incremental_backup", results, lambda: manage("backup", "--type", "incr", env=env))
        timed("export_pg_dump", results, lambda: manage("backup", "--dump", env=env))
        post(url, author, ["before the moment"])
        time.sleep(1)
        moment = datetime.now(UTC).isoformat(sep=" ")
        time.sleep(1)
        post(url, author, ["after the moment"])
        pgbackrest.run("check")
        stanza = pgbackrest.info()
        results["repository_mb"] = round(
            sum(b["info"]["repository"]["delta"] for b in stanza["backup"]) / 2**20, 1
        )
        base = scratch_folder()
        try:
            timed(
                "restore_files",
                results,
                lambda: pgbackrest.restore(base / "pgdata", *restore_options(moment, "")),
            )
            texts = timed("recovery_to_moment_and_promote", results, lambda: restored_texts(base / "pgdata"))
        finally:
            shutil.rmtree(base, ignore_errors=True)
        assert "before the moment" in texts and "after the moment" not in texts
        results["restored_tweets"] = len(texts)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
