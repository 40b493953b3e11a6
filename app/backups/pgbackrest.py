"""pgBackRest: base backups plus continuously archived WAL, restored to any moment since the oldest.

pgBackRest reads its config file, stanza and passphrases from the environment (PGBACKREST_CONFIG,
PGBACKREST_STANZA, PGBACKREST_REPO1_CIPHER_PASS, ...), which every runtime sets for the server and
for this process alike, so nothing here repeats them. As root it runs as `postgres`, the owner of
the data folder and the repository.
"""

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection, transaction


class PgBackRestError(Exception):
    pass


def as_postgres_owner() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def run(*arguments: str, timeout: float = 3600) -> str:
    command = [*as_postgres_owner(), "pgbackrest", *arguments]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as error:
        raise PgBackRestError("pgbackrest not found: install it with `apt-get install pgbackrest`") from error
    if result.returncode:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise PgBackRestError(f"pgbackrest {arguments[0]} failed: {' '.join(lines[-3:])}")
    return result.stdout


def info() -> dict[str, Any]:
    """The stanza's entry of `pgbackrest info --output=json`: its backups (oldest first) and WAL range."""
    stanzas = json.loads(run("info", "--output=json", timeout=120))
    if not stanzas:
        raise PgBackRestError("pgbackrest info: no stanza (is PGBACKREST_STANZA set?)")
    stanza: dict[str, Any] = stanzas[0]
    return stanza


def repositories(stanza: dict[str, Any]) -> list[int]:
    """The repositories' keys: 1 on this host, 2 (when configured) the off-host S3 copy."""
    return sorted(repo["key"] for repo in stanza.get("repo", []))


def _backups(stanza: dict[str, Any], repo: int) -> list[dict[str, Any]]:
    return [b for b in stanza.get("backup", []) if b["database"]["repo-key"] == repo]


def backup_type(stanza: dict[str, Any], repo: int, full_interval: float, now: float) -> str:
    """Full when the repository has none or its newest is older than full_interval, else incremental."""
    fulls = [b["timestamp"]["stop"] for b in _backups(stanza, repo) if b["type"] == "full"]
    return "full" if not fulls or now - max(fulls) >= full_interval else "incr"


def newest_by_type(stanza: dict[str, Any]) -> dict[str, dict[str, int]]:
    """repository -> backup type (full, diff, incr) -> when its newest backup of that type ended."""
    newest: dict[str, dict[str, int]] = {str(repo): {} for repo in repositories(stanza)}
    for entry in stanza.get("backup", []):
        by_type = newest[str(entry["database"]["repo-key"])]
        by_type[entry["type"]] = max(by_type.get(entry["type"], 0), entry["timestamp"]["stop"])
    return newest


def backup(kind: str, full_interval: float) -> dict[int, dict[str, Any]]:
    """A backup into every repository (kind, or by the schedule: see backup_type); returns each
    repository's new entry of `info`."""
    taken = {}
    for repo in repositories(info()):
        chosen = kind or backup_type(info(), repo, full_interval, time.time())
        run("backup", f"--repo={repo}", f"--type={chosen}")
        newest = _backups(info(), repo)
        if not newest:
            raise PgBackRestError(f"pgbackrest backup succeeded but info lists no backup in repo{repo}")
        taken[repo] = newest[-1]
    return taken


def snapshot_with_restore_point(name: str, count_rows: Callable[[], dict[str, int]]) -> dict[str, int]:
    """Row counts and a named restore point in one state of the database, while writes go on.

    A SHARE lock on every table makes writers wait (for milliseconds) until the transaction ends, so
    the rows counted are exactly those committed before the restore point's WAL record: recovery to
    that name gives back the same counts.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        tables = ", ".join(f'"{table}"' for table in sorted(connection.introspection.table_names()))
        cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
        counts: dict[str, int] = count_rows()
        cursor.execute("SELECT pg_create_restore_point(%s)", [name])
    # Archives the segment holding the restore point now rather than after archive_timeout.
    run("check", timeout=600)
    return counts


def restore(pgdata: Path, *options: str) -> None:
    """Restores into pgdata (created, owned by postgres); options choose the set and the target."""
    pgdata.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(pgdata, "postgres", "postgres")
    pgdata.chmod(0o700)
    run("restore", f"--pg1-path={pgdata}", *options)


class ScratchServer:
    """A restored data folder served on its own socket only (no TCP port, archiving off), so it can
    neither take the deployment's connections nor push WAL into its repository."""

    def __init__(self, pgdata: Path):
        self.pgdata = pgdata
        version = (pgdata / "PG_VERSION").read_text().strip()
        self.pg_ctl = f"/usr/lib/postgresql/{version}/bin/pg_ctl"

    def _pg_ctl(self, *arguments: str) -> None:
        command = [*as_postgres_owner(), self.pg_ctl, "-D", str(self.pgdata), *arguments]
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
        if result.returncode:
            failure = result.stderr.strip()
            raise PgBackRestError(f"pg_ctl {arguments[0]} of the restored copy failed: {failure}")

    def start(self) -> None:
        options = f"-c listen_addresses='' -k {self.pgdata} -c archive_mode=off -c port=5432"
        self._pg_ctl("-l", str(self.pgdata / "restore.log"), "-o", options, "-w", "-t", "3600", "start")

    def wait_promoted(self, connect: Callable[[], psycopg.Connection], timeout: float = 3600) -> None:
        """Recovery replays the archived WAL up to the target, then promotes; wait for that."""
        deadline = time.monotonic() + timeout
        while True:
            with connect() as restored:
                row = restored.execute("SELECT pg_is_in_recovery()").fetchone()
            if row and not row[0]:
                return
            if time.monotonic() > deadline:
                raise PgBackRestError(f"the restored copy was still recovering after {timeout:.0f}s")
            time.sleep(0.2)

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "-w", "stop")
