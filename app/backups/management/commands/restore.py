from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups.archive import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup folder into an empty database and MEDIA_ROOT (--force replaces a non-empty one)."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="a folder written by `manage.py backup`")
        parser.add_argument("--force", action="store_true", help="replace the data of a non-empty database")

    def handle(self, *args, backup: Path, force: bool, **options):
        try:
            manifest = restore_backup(backup, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {backup} (taken {manifest['created_at']}).")
