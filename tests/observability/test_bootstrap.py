"""One start-up per process: manage.py and wsgi.py start logs and tracing themselves, gunicorn's master
starts nothing (its workers do, after the fork), and a second start changes nothing."""

import os
import subprocess
import sys

import pytest
import sentry_sdk
from opentelemetry import trace

from observability import bootstrap
from tests.conftest import REPO

# The tracer provider's replica id and whether structlog is configured, as the process sees them.
STARTED = (
    "from opentelemetry import trace; import structlog; "
    "resource = getattr(trace.get_tracer_provider(), 'resource', None); "
    "print(resource and resource.attributes['service.instance.id'], structlog.is_configured())"
)


def run(*command: str, **environment: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")} | environment
    result = subprocess.run(
        [sys.executable, *command], cwd=REPO / "app", env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    "command",
    [("manage.py", "shell", "--no-imports", "-c", STARTED), ("-c", f"import config.wsgi; {STARTED}")],
    ids=["manage.py", "wsgi.py"],
)
def test_a_process_without_a_fork_starts_logs_and_tracing_itself(command):
    assert run(*command, SERVICE_INSTANCE_ID="started-here") == "started-here True"


def test_gunicorns_master_starts_nothing_its_threads_would_not_survive_the_fork():
    script = f"import runpy; runpy.run_path('gunicorn.conf.py'); {STARTED}"
    # Every runtime gives the bind address (gunicorn.conf.py has no default of its own).
    assert run("-c", script, GUNICORN_BIND="127.0.0.1:0") == "None False"


def test_a_second_start_changes_nothing(monkeypatch):
    provider, dsn = trace.get_tracer_provider(), sentry_sdk.get_client().dsn
    # A DSN now would give Sentry a client sending to it if start() ran again.
    monkeypatch.setenv("SENTRY_DSN", "http://publickey@127.0.0.1:9/42")
    bootstrap.start()
    assert trace.get_tracer_provider() is provider and sentry_sdk.get_client().dsn == dsn
