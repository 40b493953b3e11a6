"""The settings as a deployment sees them: each case runs Django in a fresh process and environment."""

import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.harness import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
MANAGE = str(REPO / "app" / "manage.py")
GOOD_SECRET = secrets.token_urlsafe(50)


def production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=os.environ["REDIS_URL"],
        DJANGO_ALLOWED_HOSTS="tweets.example.com",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, MANAGE, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_production_settings_pass_check_deploy_with_zero_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


REFUSALS = {
    "missing secret": ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY: is not set"),
    "default secret": (
        {"DJANGO_SECRET_KEY": "dev-insecure-secret-key-do-not-use-in-production"},
        "DJANGO_SECRET_KEY: is a known default",
    ),
    "short secret": ({"DJANGO_SECRET_KEY": "tooshort"}, "DJANGO_SECRET_KEY: is a known default or shorter"),
    "debug on": ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG: is on"),
    "sqlite": ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "DATABASE_URL: is SQLite or unset"),
    "no database": ({"DATABASE_URL": None}, "DATABASE_URL: is SQLite or unset"),
    "any host": ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS: must list the site's host names"),
    "no hosts": ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS: must list the site's host names"),
    "unknown backup method": ({"BACKUP_METHOD": "tar"}, "BACKUP_METHOD='tar': give pgbackrest or pg_dump"),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_production_settings_refuse_an_unsafe_configuration(case):
    overrides, message = case
    result = manage("check", env=production_env(**overrides))
    assert result.returncode != 0
    assert message in result.stderr


def test_the_embedded_default_serves_demo_tweets_from_sqlite(tmp_path):
    """What `make run` does, with nothing configured: SQLite, local-memory cache, DEBUG on."""
    env = production_env(
        DJANGO_SETTINGS_MODULE=None,
        DJANGO_SECRET_KEY=None,
        DATABASE_URL=None,
        REDIS_URL=None,
        DJANGO_ALLOWED_HOSTS=None,
        TWEETSTACK_VAR_DIR=str(tmp_path),
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
    assert "30 added" in manage("seed_demo", env=env).stdout
    assert (tmp_path / "db.sqlite3").exists()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/explore/", timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200
        assert "Hello from the observable tweet stack!" in page
        assert "@demo" in page
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_metrics_middleware_can_be_switched_off_for_the_overhead_benchmark():
    code = "from django.conf import settings; print(settings.MIDDLEWARE)"
    on = manage("shell", "--no-imports", "-c", code, env=production_env())
    off = manage("shell", "--no-imports", "-c", code, env=production_env(METRICS_ENABLED="false"))
    assert "MetricsAfterMiddleware" in on.stdout and "PrometheusBeforeMiddleware" in on.stdout
    assert "Metrics" not in off.stdout and "Prometheus" not in off.stdout
    assert "RequestIdMiddleware" in off.stdout
