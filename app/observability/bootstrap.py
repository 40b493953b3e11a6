"""A process' observability, started once by its entry point: structured logs, Sentry and tracing.

manage.py (runserver, commands), wsgi.py and the test session (tests/harness.py) call start() before
Django loads the app. gunicorn calls it in each worker right after the fork (post_fork in
gunicorn.conf.py), never in the master: BatchSpanProcessor's export thread does not survive a fork.
The worker then imports wsgi.py, whose call finds it all started.
"""

import threading

from django.conf import settings

from config.settings.sentry import configure_sentry
from observability.logs import configure_structlog
from observability.tracing import configure_tracing

_lock = threading.Lock()
_started = False


def start() -> None:
    """Start this process' observability from the settings; a second call does nothing."""
    global _started
    with _lock:
        if _started:
            return
        configure_structlog(settings.SERVICE_INSTANCE_ID)
        configure_sentry(environment=settings.DEPLOYMENT_ENVIRONMENT, release=settings.SERVICE_VERSION)
        configure_tracing(
            service_instance=settings.SERVICE_INSTANCE_ID,
            version=settings.SERVICE_VERSION,
            environment=settings.DEPLOYMENT_ENVIRONMENT,
        )
        _started = True
