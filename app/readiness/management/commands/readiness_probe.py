"""`manage.py readiness_probe`: what only the app can tell the readiness checklist about itself, as one
JSON line; `--record` takes the checklist's results on stdin and writes them where /metrics exports
them (ChecklistCollector). The checklist (checklist/core.py) runs it through the deployment's own
manage.py, so the code that answers is the code deployed. Nothing is left behind: the query count is
measured inside a transaction that is rolled back, with a throw-away cache."""

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.db.models import Field
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import Follow, User
from backups import pgbackrest
from config.settings.secret_key import secret_key_problem
from observability.prometheus import ChecklistCollector
from tweets.models import Like, Tweet


def deploy_warnings() -> list[list[str]]:
    messages = checks.run_checks(include_deployment_checks=True)
    return [
        [message.id or "", message.msg.splitlines()[0]]
        for message in messages
        if message.level >= checks.WARNING and not message.is_silenced()
    ]


def timeline_indexes() -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Tweet._meta.db_table)
    indexes = []
    for index in Tweet._meta.indexes:
        columns = [_column(name.lstrip("-")) for name in index.fields]
        present = found.get(index.name, {})
        indexes.append({"name": index.name, "columns": columns, "exists": present.get("columns") == columns})
    return indexes


def _column(field_name: str) -> str:
    field = Tweet._meta.get_field(field_name)
    assert isinstance(field, Field), field_name  # indexes name concrete fields
    return field.column


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, secure=True, HTTP_HOST=settings.ALLOWED_HOSTS[0])
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return len(captured)


def queries_per_page() -> dict[str, list[int]]:
    """Queries of Home and Explore with 3 and 43 tweets (cache off), in a transaction rolled back."""
    counts: dict[str, list[int]] = {"home": [], "explore": []}
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=dummy), transaction.atomic():
        stamp = time.time_ns()
        viewer = User.objects.create(username=f"checklist-viewer-{stamp}")
        author = User.objects.create(username=f"checklist-author-{stamp}")
        Follow.objects.create(follower=viewer, followee=author)
        client = Client()
        client.force_login(viewer)
        for total in (3, 43):
            missing = total - Tweet.objects.filter(author=author).count()
            created = Tweet.objects.bulk_create(
                Tweet(author=author, text=f"checklist {n}") for n in range(missing)
            )
            Like.objects.bulk_create(Like(user=viewer, tweet=tweet) for tweet in created[::2])
            counts["home"].append(_queries(client, "/"))
            counts["explore"].append(_queries(client, "/explore/"))
        transaction.set_rollback(True)
    return counts


def backup_status() -> dict[str, Any]:
    path = settings.BACKUP_STATUS_FILE
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        status = {}
    return {"file": str(path), "now": time.time(), **status}


def pgbackrest_backups() -> dict[str, Any] | None:
    """pgBackRest's own `info`: each repository's newest backup of each type (None without pgBackRest)."""
    if settings.BACKUP_METHOD != "pgbackrest":
        return None
    return {"now": time.time(), "repositories": pgbackrest.newest_by_type(pgbackrest.info())}


def wal_archiving() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('archive_mode'), archived_count, failed_count,"
            " EXTRACT(EPOCH FROM last_archived_time), EXTRACT(EPOCH FROM last_failed_time), now()"
            " FROM pg_stat_archiver"
        )
        mode, archived, failed, last_archived, last_failed, now = cursor.fetchone()
    return {
        "archive_mode": mode,
        "archived_count": archived,
        "failed_count": failed,
        "last_archived": float(last_archived) if last_archived is not None else None,
        "last_failed": float(last_failed) if last_failed is not None else None,
        "now": now.timestamp(),
    }


def _safely(function: Callable[[], Any]) -> Any:
    try:
        return function()
    except Exception as error:  # reported as the item's failure, never a crash of the probe
        return {"error": f"{type(error).__name__}: {error}"}


def probe() -> dict[str, Any]:
    return {
        "settings_module": settings.SETTINGS_MODULE,
        "debug": settings.DEBUG,
        "secret_key_problem": secret_key_problem(settings.SECRET_KEY),
        "deploy_warnings": _safely(deploy_warnings),
        "cookies": {
            name: {
                "secure": getattr(settings, f"{name}_COOKIE_SECURE"),
                "httponly": getattr(settings, f"{name}_COOKIE_HTTPONLY"),
                "samesite": getattr(settings, f"{name}_COOKIE_SAMESITE"),
            }
            for name in ("SESSION", "CSRF")
        },
        "hsts_seconds": settings.SECURE_HSTS_SECONDS,
        "timeline_indexes": _safely(timeline_indexes),
        "queries_per_page": _safely(queries_per_page),
        "backup": backup_status(),
        "pgbackrest": _safely(pgbackrest_backups),
        "wal_archiving": _safely(wal_archiving),
    }


def store_results(results: str) -> str:
    json.loads(results)  # refuse anything but JSON before it replaces the last results
    path = ChecklistCollector.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(results)
    temporary.replace(path)
    return str(path)


class Command(BaseCommand):
    help = "Print the app's readiness facts as JSON, or (--record) store the checklist's results from stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--record", action="store_true", help="read results JSON on stdin and store it")

    def handle(self, *args: object, record: bool, **options: object) -> None:
        if record:
            self.stdout.write(f"CHECKLIST-RECORDED {store_results(sys.stdin.read())}")
        else:
            self.stdout.write("CHECKLIST-PROBE " + json.dumps(probe()))
