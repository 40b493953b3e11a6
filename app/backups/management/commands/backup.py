import json
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from backups import pgbackrest
from backups.archive import BackupError, create_backup, read_status, write_status

RETRY_SECONDS = 300


def pgbackrest_status() -> dict[str, Any]:
    try:
        return {"pgbackrest_last_backups": pgbackrest.newest_by_type(pgbackrest.info())}
    except pgbackrest.PgBackRestError as error:
        raise CommandError(str(error)) from error


def last_success(job: str = "backup") -> float:
    return float(read_status(settings.BACKUP_STATUS_FILE).get(f"{job}_last_success_timestamp_seconds", 0))


class Command(BaseCommand):
    help = (
        "Back up the database (BACKUP_METHOD: pgBackRest's repository, or a pg_dump export) and MEDIA_ROOT "
        "into a timestamped folder; --every repeats it on the schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.BACKUP_DIR, help="where backups are kept")
        parser.add_argument("--keep", type=int, default=settings.BACKUP_KEEP, help="how many backups to keep")
        parser.add_argument("--dump", action="store_true", help="a portable pg_dump export instead")
        parser.add_argument(
            "--type", choices=("full", "incr"), default="", help="pgBackRest's kind (default: by schedule)"
        )
        parser.add_argument(
            "--every",
            type=float,
            nargs="?",
            const=settings.BACKUP_INTERVAL_SECONDS,
            metavar="SECONDS",
            help="back up again every SECONDS (alone: BACKUP_INTERVAL_SECONDS), never exit",
        )

    def handle(self, *args, dir: Path, keep: int, dump: bool, type: str, every: float | None, **options):
        method = "pg_dump" if dump else settings.BACKUP_METHOD
        if every is None:
            self._once(dir, keep, method, type)
            return
        # Scheduled (a supervised program or container): due when the last success (of any run, `make
        # backup` included) is `every` seconds old, so a restart does not take an extra backup; a failed
        # run is logged and retried after RETRY_SECONDS. The restore drill follows a backup once the last
        # drill is BACKUP_DRILL_INTERVAL_SECONDS old.
        while True:
            wait = last_success() + every - time.time()
            if wait > 0:
                time.sleep(wait)
                continue
            try:
                self._once(dir, keep, method, type)
                if (
                    time.time() - last_success("backup_restore_drill")
                    >= settings.BACKUP_DRILL_INTERVAL_SECONDS
                ):
                    call_command("restore_drill", stdout=self.stdout, stderr=self.stderr)
            except CommandError as error:
                self.stderr.write(f"backup failed (retried in {RETRY_SECONDS} s): {error}")
                time.sleep(min(every, RETRY_SECONDS))
            sys.stdout.flush()

    def _once(self, directory: Path, keep: int, method: str, kind: str) -> None:
        try:
            backup = create_backup(directory, keep, method, kind)
        except BackupError as error:
            raise CommandError(str(error)) from error
        # pgBackRest's own account of each repository, exported as pgbackrest_backup_last_timestamp_seconds.
        repositories = pgbackrest_status() if method == "pgbackrest" else {}
        write_status(
            settings.BACKUP_STATUS_FILE, backup_last_success_timestamp_seconds=time.time(), **repositories
        )
        manifest = json.loads((backup / "manifest.json").read_text())
        taken = manifest.get("pgbackrest")
        what = f"pgBackRest {taken['type']} {taken['label']}" if taken else "pg_dump export"
        self.stdout.write(f"Backup written: {backup} ({what}, {manifest['seconds']} s)")
