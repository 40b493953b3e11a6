"""gunicorn configuration, used by every runtime: `gunicorn -c app/gunicorn.conf.py` from any folder.

Workers share one Prometheus multiprocess folder (wiped at start), start observability (structured
logs, Sentry, tracing) after the fork, and log through the app's structlog renderer.
"""

import os
import shutil
import sys
import tempfile

APP_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, APP_DIR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Each worker writes its metrics here; /metrics sums them, so counts are exact across workers.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="tweetstack-metrics-"))

from gunicorn.glogging import Logger  # noqa: E402

from config.settings.env import env  # noqa: E402
from config.settings.logging import LOGGING  # noqa: E402
from config.timeouts import timeouts  # noqa: E402


class NoAccessLogger(Logger):
    """gunicorn's logger without its access log. nginx writes that line and the app logs each request;
    gunicorn would still build every request's access-log fields (its log config is set) only for the
    `gunicorn.access` logger to drop them, about 1.5% of a worker's time in the bench-scale profile."""

    access_log_enabled = False


chdir = APP_DIR
wsgi_app = "config.wsgi:application"
# Each worker imports the app after post_fork; preloaded, the master would start observability
# through config.wsgi, and BatchSpanProcessor's export thread does not survive the fork.
preload_app = False
# Every runtime sets it (the web image from WEB_PORT of ports.env); no second default here.
bind = env.list("GUNICORN_BIND")
workers = env.int("WEB_CONCURRENCY", default=2)
# Threads let a worker hold nginx's upstream keepalive connections; sync workers close each one.
worker_class = "gthread"
threads = env.int("GUNICORN_THREADS", default=2)
# Outermost but nginx's (config/timeouts.env): every dependency's timeout ends a request before this.
timeout = int(timeouts()["GUNICORN_TIMEOUT"])
# On SIGTERM a worker finishes its requests within this many seconds before it is killed.
graceful_timeout = env.int("GUNICORN_GRACEFUL_TIMEOUT", default=20)
keepalive = env.int("GUNICORN_KEEPALIVE", default=75)
logconfig_dict = LOGGING
accesslog = None
logger_class = NoAccessLogger
proc_name = f"tweetstack-{env.str('SERVICE_INSTANCE_ID', default='web')}"
# gunicorn >= 25.1 opens a control socket under $XDG_RUNTIME_DIR or $HOME/.gunicorn; the image's user
# has no home (/nonexistent) and a read-only root, so every replica logged an error at start. Nothing
# here uses gunicornc (the process managers signal gunicorn): no socket. Older releases ignore this.
control_socket_disable = True


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    # Files of a previous run would add its counts to this one's.
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def post_fork(server, worker):
    # In the worker, before it imports the app (config.wsgi, whose own start() then does nothing).
    from observability import bootstrap

    bootstrap.start()


def post_worker_init(worker):
    worker.log.info("worker_ready")


def worker_exit(server, worker):
    from observability.tracing import shutdown_tracing

    shutdown_tracing()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
