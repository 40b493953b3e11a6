import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backups.archive import BackupError, restore_drill, write_status


class Command(BaseCommand):
    help = "Restore the newest backup into a scratch database, check its row counts, and drop it."

    def handle(self, *args, **options):
        try:
            backup = restore_drill(settings.BACKUP_DIR)
        except BackupError as error:
            raise CommandError(str(error)) from error
        write_status(
            settings.BACKUP_STATUS_FILE, backup_restore_drill_last_success_timestamp_seconds=time.time()
        )
        self.stdout.write(f"Restore drill passed: {backup}")
