"""The restore drill: data and images backed up, the database destroyed, restored into a fresh server."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from backups.archive import PREFIX, media_checksums, row_counts
from tests.conftest import REPO, image_bytes
from tests.factories import FollowFactory, LikeFactory, UserFactory
from tests.harness import PostgresServer
from tweets.services import tweet_create

pytestmark = pytest.mark.django_db(transaction=True)


def populate() -> None:
    users = UserFactory.create_batch(3)
    for n, user in enumerate(users):
        image = SimpleUploadedFile(f"{n}.png", image_bytes("PNG", size=(90, 60)))
        tweet = tweet_create(author=user, text=f"tweet {n}", image=image)
        LikeFactory(tweet=tweet, user=users[(n + 1) % 3])
    FollowFactory(follower=users[0], followee=users[1])


def manage(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "app" / "manage.py"), *args], env=env, capture_output=True, text=True
    )


@pytest.fixture
def fresh_postgres():
    base = Path(tempfile.mkdtemp(prefix="tweetstack-restore-"))
    base.chmod(0o755)  # the postgres user must reach its data folder
    server = PostgresServer(base)
    server.init()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_backup_destroy_restore_into_a_fresh_server_gives_identical_data(
    settings, tmp_path, media_root, fresh_postgres
):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_STATUS_FILE = tmp_path / "backups" / "status.json"
    populate()
    counts, checksums = row_counts(), media_checksums(media_root)
    assert counts["tweets_tweet"] == 3 and len(checksums) == 6

    call_command("backup", keep=3)
    [backup] = settings.BACKUP_DIR.glob(PREFIX + "*")

    restored_media = tmp_path / "restored-media"
    env = {
        **os.environ,
        "DATABASE_URL": fresh_postgres.url,
        "DJANGO_MEDIA_ROOT": str(restored_media),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    result = manage("restore", str(backup), env=env)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(fresh_postgres.url) as restored:
        for table, expected in counts.items():
            assert restored.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == expected, table
    assert media_checksums(restored_media) == checksums

    refused = manage("restore", str(backup), env=env)
    assert refused.returncode != 0 and "the database is not empty" in refused.stderr
    assert manage("restore", str(backup), "--force", env=env).returncode == 0


def test_the_restore_drill_and_backup_times_are_exported(settings, tmp_path, client):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_STATUS_FILE = tmp_path / "backups" / "status.json"
    populate()
    call_command("backup")
    call_command("restore_drill")
    metrics = client.get("/metrics").content.decode()
    assert "backup_last_success_timestamp_seconds " in metrics
    assert "backup_restore_drill_last_success_timestamp_seconds " in metrics


def test_retention_keeps_the_newest_backups(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_STATUS_FILE = tmp_path / "status.json"
    for _ in range(3):
        call_command("backup", keep=2)
    assert len(list(Path(settings.BACKUP_DIR).glob(PREFIX + "*"))) == 2


def test_a_failed_backup_leaves_no_backup_behind(settings, tmp_path, monkeypatch):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_STATUS_FILE = tmp_path / "backups" / "status.json"
    monkeypatch.setenv("PATH", "/nonexistent")  # pg_dump cannot be found
    with pytest.raises(CommandError, match="pg_dump not found"):
        call_command("backup")
    assert list(settings.BACKUP_DIR.iterdir()) == []
    assert not settings.BACKUP_STATUS_FILE.exists()
