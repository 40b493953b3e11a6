"""A real PostgreSQL archiving its WAL into pgBackRest's repositories, its `tweetstack` database
migrated, for the backup tests; and manage.py run against it."""

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

from backups import pgbackrest
from stack.pgbackrest import PGBACKREST_CONF, server_options
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

    def stop(self) -> None:
        # A throw-away server: no waiting for the archiver to push what is left.
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def archiving_database(repositories: dict[str, str] | None = None):
    """A server archiving into an encrypted repository on disk (plus `repositories`, more
    PGBACKREST_REPO<n>_* options), and the environment manage.py needs to back it up; the variables are
    this process's too while it lasts (pgBackRest and the server started from here read them)."""
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
        **(repositories or {}),
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
                "INSERT INTO tweets_tweet (author_id, text, image, thumbnail, created_at, like_count)"
                " VALUES (%s, %s, '', '', now(), 0)",
                [author, text],
            )


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
