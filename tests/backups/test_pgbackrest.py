"""pgBackRest on a real PostgreSQL archiving its WAL: point-in-time recovery gives back exactly the
tweets acknowledged before the moment, and the restore drill checks the newest backup against a
manifest counted in the state it restores to, while writes go on (the pgBackRest backup and the
pg_dump export alike)."""

import json
import secrets
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from backups import pgbackrest
from stack.pgbackrest import restore_options
from tests.backups.archiving import archiving_database, manage, post, restored_texts, scratch_folder


@pytest.fixture(scope="module")
def archived():
    with archiving_database() as database:
        yield database


class Writer(threading.Thread):
    """Posts a tweet every few milliseconds until stopped, recording the acknowledged ones."""

    def __init__(self, url: str, author: int):
        super().__init__(daemon=True)
        self.url, self.author = url, author
        self.acknowledged: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            text = f"stream {len(self.acknowledged)} {secrets.token_hex(4)}"
            post(self.url, self.author, [text])
            self.acknowledged.append(text)
            time.sleep(0.005)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.join(timeout=30)


def test_point_in_time_recovery_gives_exactly_the_tweets_acknowledged_before_the_moment(archived):
    manage("backup", "--type", "full", env=archived["env"])
    before = [f"before {n} {secrets.token_hex(4)}" for n in range(20)]
    post(archived["url"], archived["author"], before)
    moment = datetime.now(UTC)
    after = [f"after {n} {secrets.token_hex(4)}" for n in range(20)]
    post(archived["url"], archived["author"], after)
    pgbackrest.run("check")  # the segment holding the later tweets is archived now

    base = scratch_folder()
    try:
        started = time.monotonic()
        pgbackrest.restore(base / "pgdata", *restore_options(moment.isoformat(sep=" "), ""))
        texts = restored_texts(base / "pgdata")
        took = time.monotonic() - started
    finally:
        shutil.rmtree(base, ignore_errors=True)
    ours = {text for text in texts if text.startswith(("before ", "after "))}
    assert ours == set(before), f"missing {set(before) - ours}, unexpected {ours - set(before)}"
    print(f"point-in-time restore of {len(texts)} tweets (backup + WAL) took {took:.1f}s")


@pytest.mark.parametrize("dump", [False, True], ids=["pgbackrest", "pg_dump-export"])
def test_the_restore_drill_matches_a_backup_taken_while_tweets_are_posted(archived, dump):
    env = archived["env"]
    with Writer(archived["url"], archived["author"]) as writer:
        while len(writer.acknowledged) < 20:
            time.sleep(0.05)
        started = time.monotonic()
        output = manage("backup", *(["--dump"] if dump else []), env=env)
        took = time.monotonic() - started
        after_backup = len(writer.acknowledged)
        while len(writer.acknowledged) < after_backup + 20:  # and go on after it
            time.sleep(0.05)
        result = manage("restore_drill", env=env)
    assert "Restore drill passed" in result, result
    newest = sorted(Path(env["BACKUP_DIR"]).glob("tweetstack-*"))[-1]
    manifest = json.loads((newest / "manifest.json").read_text())
    assert manifest["method"] == ("pg_dump" if dump else "pgbackrest")
    with psycopg.connect(archived["url"]) as live:
        now = live.execute("SELECT count(*) FROM tweets_tweet").fetchone()[0]
    # Taken mid-stream: some tweets were posted before the backup, and more after it.
    assert 20 <= manifest["row_counts"]["tweets_tweet"] < now
    print(f"{output.strip()} in {took:.1f}s; drill: {result.strip()}")


def test_the_restore_drill_fails_when_the_backup_does_not_hold_what_its_manifest_says(archived):
    env = archived["env"]
    manage("backup", env=env)
    newest = sorted(Path(env["BACKUP_DIR"]).glob("tweetstack-*"))[-1]
    manifest = json.loads((newest / "manifest.json").read_text())
    manifest["row_counts"]["tweets_tweet"] += 1
    (newest / "manifest.json").write_text(json.dumps(manifest))
    result = manage("restore_drill", env=env, check=False)
    assert "tweets_tweet has" in result and "the backup recorded" in result, result


def test_backups_on_the_schedule_are_full_then_incremental(archived):
    stanza = pgbackrest.info()
    assert stanza["cipher"] == "aes-256-cbc"
    day = 86400
    newest_full = max(b["timestamp"]["stop"] for b in stanza["backup"] if b["type"] == "full")
    assert pgbackrest.backup_type(stanza, 1, 7 * day, newest_full + day) == "incr"
    assert pgbackrest.backup_type(stanza, 1, 7 * day, newest_full + 8 * day) == "full"
    assert pgbackrest.backup_type(stanza, 2, 7 * day, newest_full) == "full"  # none there yet
