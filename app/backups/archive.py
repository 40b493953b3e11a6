"""Backups of the database and the uploaded media, and their restore.

A backup is a folder `tweetstack-<UTC time>/` with media.tar.gz and manifest.json (the row counts of
the very state the database backup holds) and, for the portable export, db.dump (pg_dump custom
format). With BACKUP_METHOD=pgbackrest the database goes into pgBackRest's repository instead (a
full or incremental backup plus the continuously archived WAL) and the manifest names the backup and
a restore point. A folder is written under a temporary name and renamed when complete, so a failed
backup never replaces or looks like a good one. The newest `keep` folders are kept.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction

from backups import pgbackrest

PREFIX = "tweetstack-"


class BackupError(Exception):
    pass


def _connection_parameters(database_name: str | None = None) -> dict[str, Any]:
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        raise BackupError("backups need PostgreSQL (DATABASE_URL=postgres://...)")
    return {
        "host": database["HOST"] or "127.0.0.1",
        "port": str(database["PORT"] or 5432),
        "user": database["USER"],
        "password": database["PASSWORD"] or "",
        "dbname": database_name or database["NAME"],
    }


def _pg_environment(database_name: str | None = None) -> dict[str, Any]:
    """The PG* variables pg_dump and pg_restore read, so no password appears on a command line."""
    parameters = _connection_parameters(database_name)
    return {
        **os.environ,
        **{f"PG{key.upper().replace('DBNAME', 'DATABASE')}": value for key, value in parameters.items()},
    }


def _run(command: list[str], database_name: str | None = None) -> None:
    environment = _pg_environment(database_name)
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} not found: install it with `apt-get install postgresql-client`"
        ) from error
    if result.returncode:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def media_checksums(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def row_counts() -> dict[str, int]:
    tables = sorted(connection.introspection.table_names())
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608  (names from the catalogue)
            counts[table] = cursor.fetchone()[0]
    return counts


def create_backup(directory: Path, keep: int, method: str, kind: str = "") -> Path:
    """A backup by `method` (pgbackrest, or pg_dump for the portable export); kind is pgBackRest's
    full or incr (default: full once a full is older than BACKUP_FULL_INTERVAL_SECONDS)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = PREFIX + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    partial = directory / f".partial-{name}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        started = time.monotonic()
        database = _pgbackrest_backup(kind) if method == "pgbackrest" else _dump(partial / "db.dump")
        media_root = Path(settings.MEDIA_ROOT)
        with tarfile.open(partial / "media.tar.gz", "w:gz") as archive:
            if media_root.is_dir():
                archive.add(media_root, arcname="media")
        manifest = {
            "created_at": datetime.now(UTC).isoformat(),
            "method": method,
            "seconds": round(time.monotonic() - started, 2),
            **database,
            "media_sha256": media_checksums(media_root) if media_root.is_dir() else {},
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2))
        final = directory / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _prune(directory, keep)
    return final


def _dump(path: Path) -> dict[str, Any]:
    """pg_dump of a snapshot exported by a repeatable-read transaction that counts the rows in that
    same snapshot, so the manifest describes the dump exactly while writes go on."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = row_counts()
        _run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", "--file", str(path)])
    return {"row_counts": counts}


def _pgbackrest_backup(kind: str) -> dict[str, Any]:
    try:
        taken = pgbackrest.backup(kind, settings.BACKUP_FULL_INTERVAL_SECONDS)
        # Named after the first repository's backup; recovery from any repository can stop there.
        first = taken[min(taken)]
        restore_point = f"{PREFIX}{first['label']}"
        counts = pgbackrest.snapshot_with_restore_point(restore_point, row_counts)
    except pgbackrest.PgBackRestError as error:
        raise BackupError(str(error)) from error
    return {
        "row_counts": counts,
        "pgbackrest": {
            "repo": min(taken),
            "label": first["label"],
            "type": first["type"],
            "restore_point": restore_point,
            "repositories": {str(repo): entry["label"] for repo, entry in taken.items()},
        },
    }


def _prune(directory: Path, keep: int) -> None:
    backups = sorted(path for path in directory.glob(PREFIX + "*") if path.is_dir())
    for old in backups[:-keep] if keep > 0 else []:
        shutil.rmtree(old)


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore_backup(backup: Path, *, force: bool = False) -> dict[str, Any]:
    """Restore into an empty database (or over a non-empty one with force) and MEDIA_ROOT."""
    for part in ("db.dump", "media.tar.gz", "manifest.json"):
        if not (backup / part).is_file():
            raise BackupError(f"{backup} is not a complete backup: {part} is missing")
    if not force and not database_is_empty():
        raise BackupError(
            "the database is not empty; restore into an empty one, or pass --force to replace it"
        )
    command = ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction"]
    if force:
        command += ["--clean", "--if-exists"]
    _run([*command, "--dbname", _pg_environment()["PGDATABASE"], str(backup / "db.dump")])
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(backup / "media.tar.gz") as archive:
        for member in archive.getmembers():
            member.name = member.name.removeprefix("media").lstrip("/")
            if member.name:
                archive.extract(member, media_root, filter="data")
    manifest: dict[str, Any] = json.loads((backup / "manifest.json").read_text())
    return manifest


def latest_backup(directory: Path) -> Path:
    backups = sorted(path for path in directory.glob(PREFIX + "*") if path.is_dir())
    if not backups:
        raise BackupError(f"no backup in {directory}; run `make backup` first")
    return backups[-1]


def restore_drill(directory: Path) -> Path:
    """Restore the newest backup into a scratch database or server and check its row counts against
    the manifest, which was counted in the state that backup restores to."""
    backup = latest_backup(directory)
    manifest = json.loads((backup / "manifest.json").read_text())
    if manifest.get("method") == "pgbackrest":
        _drill_pgbackrest(manifest)
    else:
        _drill_dump(backup, manifest)
    return backup


def _check_counts(restored: psycopg.Connection, expected_counts: dict[str, int]) -> None:
    for table, expected in expected_counts.items():
        row = restored.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
        found = row[0] if row else None
        if found != expected:
            raise BackupError(f"restore drill: {table} has {found} rows, the backup recorded {expected}")


def _drill_dump(backup: Path, manifest: dict[str, Any]) -> None:
    scratch = f"restore_drill_{int(time.time())}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    try:
        _run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", scratch, str(backup / "db.dump")],
            scratch,
        )
        with psycopg.connect(**_connection_parameters(scratch)) as restored:
            _check_counts(restored, manifest["row_counts"])
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def _drill_pgbackrest(manifest: dict[str, Any]) -> None:
    """pgBackRest's backup plus the WAL up to the manifest's restore point, in a scratch server."""
    base = Path(tempfile.mkdtemp(prefix="restore-drill-"))
    base.chmod(0o755)  # the postgres user must reach its data folder
    pgdata = base / "pgdata"
    taken = manifest["pgbackrest"]
    parameters = _connection_parameters()
    server = None
    try:
        pgbackrest.restore(
            pgdata,
            f"--repo={taken['repo']}",
            f"--set={taken['label']}",
            "--type=name",
            f"--target={taken['restore_point']}",
            "--target-action=promote",
        )
        server = pgbackrest.ScratchServer(pgdata)
        server.start()

        def connect() -> psycopg.Connection:
            return psycopg.connect(
                host=str(pgdata), port=5432, user=parameters["user"], dbname=parameters["dbname"]
            )

        server.wait_promoted(connect)
        with connect() as restored:
            _check_counts(restored, manifest["row_counts"])
    except pgbackrest.PgBackRestError as error:
        raise BackupError(f"restore drill: {error}") from error
    finally:
        if server:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


def write_status(path: Path, **timestamps: float) -> None:
    """Record the time of the last successful backup / restore drill for the metrics endpoint."""
    status = read_status(path)
    status.update(timestamps)
    temporary = path.with_suffix(".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary.write_text(json.dumps(status))
    temporary.replace(path)


def read_status(path: Path) -> dict[str, Any]:
    try:
        status: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return status
