"""pgBackRest on a real PostgreSQL archiving its WAL: point-in-time recovery gives back exactly the
tweets acknowledged before the moment, and the restore drill checks the newest backup against a
manifest counted in the state it restores to, while writes go on (the pgBackRest backup and the
pg_dump export alike)."""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from backups import pgbackrest
from stack.pgbackrest import PGBACKREST_CONF, restore_options, server_options
from tests.conftest import REPO
from tests.harness import PostgresServer

STANZA = "tweetstack-test"


class ArchivingServer(PostgresServer):
    """The harness's PostgreSQL with postgres/archiving.conf's settings (archive-push into the repo)."""

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data} -c fsync=off" + server_options()
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.data.parent / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """A server archiving into an encrypted repository, its `tweetstack` database migrated, and the
    environment manage.py needs to back it up; the variables are this process's too (pgBackRest and
    the server started from here read them)."""
    base = Path(tempfile.mkdtemp(prefix="tweetstack-pgbackrest-"))
    base.chmod(0o755)
    for folder in ("repo", "lock"):
        (base / folder).mkdir()
        if os.geteuid() == 0:
            shutil.chown(base / folder, "postgres", "postgres")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    server = ArchivingServer(base)
    variables = {
        "PGBACKREST_CONFIG": str(PGBACKREST_CONF),
        "PGBACKREST_STANZA": STANZA,
        "PGBACKREST_REPO1_PATH": str(base / "repo"),
        "PGBACKREST_REPO1_CIPHER_PASS": secrets.token_urlsafe(32),
        "PGBACKREST_PG1_PATH": str(server.data),
        "PGBACKREST_PG1_PORT": str(server.port),
        "PGBACKREST_PG1_SOCKET_PATH": str(server.data),
        "PGBACKREST_PG1_USER": "app",
        "PGBACKREST_LOCK_PATH": str(base / "lock"),
    }
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    server.init()
    server.start()
    try:
        pgbackrest.run("stanza-create")
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute('CREATE DATABASE "tweetstack"')
        url = server.url.rsplit("/", 1)[0] + "/tweetstack"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "BACKUP_METHOD": "pgbackrest",
            "BACKUP_DIR": str(base / "backups"),
            "BACKUP_STATUS_FILE": str(base / "backups" / "status.json"),
            "DJANGO_MEDIA_ROOT": str(base / "media"),
        }
        manage("migrate", "--noinput", env=env)
        create = "from accounts.models import User; print(User.objects.create(username='pitr').pk)"
        author = manage("shell", "-c", create, env=env)
        yield {"url": url, "env": env, "base": base, "author": int(author.split()[-1])}
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(base, ignore_errors=True)


def manage(*arguments: str, env: dict, check: bool = True) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO / "app" / "manage.py"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout + result.stderr


def post(url: str, author: int, texts: list[str]) -> None:
    """Each tweet in its own transaction; it is acknowledged when its commit returns."""
    with psycopg.connect(url, autocommit=True) as connection:
        for text in texts:
            connection.execute(
                "INSERT INTO tweets_tweet (author_id, text, image, thumbnail, created_at)"
                " VALUES (%s, %s, '', '', now())",
                [author, text],
            )


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


def restored_texts(pgdata: Path) -> set[str]:
    server = pgbackrest.ScratchServer(pgdata)
    server.start()

    def connect():
        return psycopg.connect(host=str(pgdata), port=5432, user="app", dbname="tweetstack")

    try:
        server.wait_promoted(connect)
        with connect() as restored:
            return {text for (text,) in restored.execute("SELECT text FROM tweets_tweet").fetchall()}
    finally:
        server.stop()


def scratch_folder() -> Path:
    base = Path(tempfile.mkdtemp(prefix="tweetstack-pitr-"))
    base.chmod(0o755)
    return base


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
    assert pgbackrest.backup_type(stanza, 7 * day, newest_full + day) == "incr"
    assert pgbackrest.backup_type(stanza, 7 * day, newest_full + 8 * day) == "full"
    assert pgbackrest.backup_type({"backup": []}, 7 * day, newest_full) == "full"
