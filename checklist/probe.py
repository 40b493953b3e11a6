"""Run inside the deployment's Django by `manage.py shell -c` (checklist.core.Deployment.probe): what
only the app can tell about itself, printed as one JSON line. Nothing here is left behind: the query
count is measured inside a transaction that is rolled back, with a throw-away cache."""

import json
import sys
import time

from django.conf import settings
from django.core import checks
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext


def secret_key_problem() -> str:
    from config.settings.base import DEV_SECRET_KEY

    production = sys.modules.get("config.settings.production")
    known = {DEV_SECRET_KEY, *getattr(production, "KNOWN_DEFAULT_SECRETS", ())}
    key = settings.SECRET_KEY
    if not key:
        return "DJANGO_SECRET_KEY is not set"
    if key in known or key.startswith("django-insecure"):
        return "DJANGO_SECRET_KEY is a known default"
    if len(key) < 50:
        return f"DJANGO_SECRET_KEY has {len(key)} characters, fewer than 50"
    return ""


def deploy_warnings() -> list[list[str]]:
    messages = checks.run_checks(include_deployment_checks=True)
    return [
        [message.id or "", message.msg.splitlines()[0]]
        for message in messages
        if message.level >= checks.WARNING and not message.is_silenced()
    ]


def timeline_indexes() -> list[dict]:
    from tweets.models import Tweet

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Tweet._meta.db_table)
    indexes = []
    for index in Tweet._meta.indexes:
        columns = [Tweet._meta.get_field(name.lstrip("-")).column for name in index.fields]
        present = found.get(index.name, {})
        indexes.append({"name": index.name, "columns": columns, "exists": present.get("columns") == columns})
    return indexes


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, secure=True, HTTP_HOST=settings.ALLOWED_HOSTS[0])
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return len(captured)


def queries_per_page() -> dict:
    """Queries of Home and Explore with 3 and 43 tweets (cache off), in a transaction rolled back."""
    from accounts.models import Follow, User
    from tweets.models import Like, Tweet

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


def backup_status() -> dict:
    path = settings.BACKUP_STATUS_FILE
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        status = {}
    return {"file": str(path), "now": time.time(), **status}


def _safely(function):
    try:
        return function()
    except Exception as error:  # reported as the item's failure, never a crash of the probe
        return {"error": f"{type(error).__name__}: {error}"}


def probe() -> dict:
    return {
        "settings_module": settings.SETTINGS_MODULE,
        "debug": settings.DEBUG,
        "secret_key_problem": secret_key_problem(),
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
    }


def record(results: str) -> None:
    """Writes the checklist's results where the app's /metrics reads them (ChecklistCollector)."""
    from observability.prometheus import ChecklistCollector

    path = ChecklistCollector.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(results)
    temporary.replace(path)
    print(f"CHECKLIST-RECORDED {path}")
