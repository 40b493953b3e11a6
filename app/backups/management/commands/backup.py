import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backups.archive import BackupError, create_backup, write_status


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format) and MEDIA_ROOT into a timestamped folder."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.BACKUP_DIR, help="where backups are kept")
        parser.add_argument("--keep", type=int, default=settings.BACKUP_KEEP, help="how many backups to keep")

    def handle(self, *args, dir: Path, keep: int, **options):
        try:
            backup = create_backup(dir, keep)
        except BackupError as error:
            raise CommandError(str(error)) from error
        write_status(settings.BACKUP_STATUS_FILE, backup_last_success_timestamp_seconds=time.time())
        self.stdout.write(f"Backup written: {backup}")
