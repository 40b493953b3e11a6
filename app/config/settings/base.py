"""Settings shared by every environment; with no environment variables set this is the embedded default:
SQLite, local-memory cache, DEBUG on, console logs, so `make run` works on a fresh machine."""

import importlib.metadata
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.settings.env import APP_DIR, VAR_DIR, env
from config.settings.secret_key import DEV_SECRET_KEY
from config.timeouts import declared, timeouts

# Every timeout of the request path, declared once in config/timeouts.env (innermost shortest).
TIMEOUTS = timeouts()

# Known insecure value of the embedded default; production refuses it (see secret_key.py).
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_prometheus",
    "django_structlog",
    "accounts",
    "tweets",
    "notifications",
    "api",
    "ninja",
    "observability",
    "backups",
    "readiness",
]

MIDDLEWARE = [
    # OpenTelemetry's middleware is inserted before these when tracing is configured.
    "observability.middleware.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "observability.prometheus.MetricsAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [APP_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates its file but not the folder: a fresh clone has no var/ (nor a new TWEETSTACK_VAR_DIR).
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# Persistent connections, checked before reuse so a restarted PostgreSQL costs no failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # A database that stalls (a partition, a paused server) costs a bounded time, never a hang: a new
    # connection gives up after connect_timeout, an open one whose data goes unacknowledged after
    # tcp_user_timeout (idle ones are probed by keepalives); the server ends slow statements and
    # transactions a stuck request left open.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": int(TIMEOUTS["DB_CONNECT_TIMEOUT"]),
            "tcp_user_timeout": int(TIMEOUTS["DB_TCP_USER_TIMEOUT"] * 1000),
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "options": (
                f"-c statement_timeout={int(TIMEOUTS['DB_STATEMENT_TIMEOUT'] * 1000)}"
                f" -c idle_in_transaction_session_timeout="
                f"{int(TIMEOUTS['DB_IDLE_IN_TRANSACTION_TIMEOUT'] * 1000)}"
            ),
        }
    )
# django-prometheus' wrappers of the same backends count queries, errors and connections; PostgreSQL's
# is wrapped once more, in a circuit breaker (config/postgresql/base.py).
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends."
)
if DATABASES["default"]["ENGINE"].endswith(".postgresql"):
    DATABASES["default"]["ENGINE"] = "config.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-prometheus' Redis backend behind a circuit breaker (config/cache.py).
            "BACKEND": "config.cache.BreakerRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # A Redis outage degrades to cache misses instead of failing requests.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": TIMEOUTS["REDIS_CONNECT_TIMEOUT"],
                "SOCKET_TIMEOUT": TIMEOUTS["REDIS_TIMEOUT"],
            },
        }
    }
    # The breaker logs each change of state; a line per failed call would flood the logs in an outage.
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
else:
    CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache"}}
# Sessions are written through to the database, so logins survive a Redis outage or flush.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "explore"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [APP_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded images are served by Django too unless a front proxy (nginx) serves MEDIA_ROOT itself,
# so images display with DEBUG off in every mode the project runs in.
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=True)

# Image upload limits (bytes and decoded pixels). The byte limit is declared once, in
# config/limits.env, which nginx's client_max_body_size follows in every runtime.
IMAGE_MAX_BYTES = env.int(
    "IMAGE_MAX_BYTES", default=int(declared(APP_DIR / "config" / "limits.env")["IMAGE_MAX_BYTES"])
)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=20_000_000)
# A form with an image may carry a little more than the image itself.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Abuse protection: "N/period" per scope and key (ip, user, username); see web/ratelimits.py.
RATE_LIMITS = {
    "login": {
        "ip": env.str("RATELIMIT_LOGIN_IP", default="30/m"),
        # Slows guessing one account's password; the window ends, so its owner is never locked out for good.
        "username": env.str("RATELIMIT_LOGIN_USERNAME", default="10/15m"),
    },
    "signup": {"ip": env.str("RATELIMIT_SIGNUP_IP", default="10/h")},
    "post": {
        "user": env.str("RATELIMIT_POST_USER", default="30/m"),
        "ip": env.str("RATELIMIT_POST_IP", default="120/m"),
    },
    "like": {
        "user": env.str("RATELIMIT_LIKE_USER", default="120/m"),
        "ip": env.str("RATELIMIT_LIKE_IP", default="600/m"),
    },
}
# Behind nginx, the client address is in X-Real-IP (nginx sets it); direct clients use REMOTE_ADDR.
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="") or None
# A cache outage must not lock everyone out.
RATELIMIT_FAIL_OPEN = True

# Backups (`manage.py backup` / `restore`); the status file feeds backup_last_success_timestamp_seconds.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=7)
BACKUP_STATUS_FILE = Path(env.str("BACKUP_STATUS_FILE", default=str(BACKUP_DIR / "status.json")))
# pgbackrest: backups into pgBackRest's repository (its config, stanza and passphrase come from its own
# PGBACKREST_* variables); pg_dump: the portable export, also what runs where no repository is set up.
BACKUP_METHOD = env.str("BACKUP_METHOD", default="pg_dump")
if BACKUP_METHOD not in ("pgbackrest", "pg_dump"):
    raise ImproperlyConfigured(f"BACKUP_METHOD={BACKUP_METHOD!r}: give pgbackrest or pg_dump")
# The schedule of `manage.py backup --every`: a backup daily, a full one weekly (incrementals between).
BACKUP_INTERVAL_SECONDS = env.int("BACKUP_INTERVAL_SECONDS", default=86400)
BACKUP_FULL_INTERVAL_SECONDS = env.int("BACKUP_FULL_INTERVAL_SECONDS", default=7 * 86400)
# After a backup, the restore drill once the last is a week old (the checklist wants one within 8 days).
BACKUP_DRILL_INTERVAL_SECONDS = env.int("BACKUP_DRILL_INTERVAL_SECONDS", default=7 * 86400)

TIMELINE_PAGE_SIZE = 20
# Timelines kept in Redis (tweets/timeline_store.py): the newest TIMELINE_LENGTH tweet ids each (ten
# pages; older pages come from PostgreSQL), for TIMELINE_SECONDS after their last rebuild. Authors
# with more followers than TIMELINE_FANOUT_MAX_FOLLOWERS are merged into Home at read time instead of
# written into each follower's timeline at post time (tweets/fanout.py).
TIMELINE_LENGTH = env.int("TIMELINE_LENGTH", default=200)
TIMELINE_SECONDS = env.int("TIMELINE_SECONDS", default=24 * 3600)
TIMELINE_FANOUT_MAX_FOLLOWERS = env.int("TIMELINE_FANOUT_MAX_FOLLOWERS", default=10_000)
# A tweet's row as pages show it (tweets/pages.py), cached this long; its likes and delete evict it.
TWEET_CACHE_SECONDS = env.int("TWEET_CACHE_SECONDS", default=300)

# Observability: logs (config/settings/logging.py), metrics, traces and errors; each process starts
# them once, through observability/bootstrap.py.
from config.settings.logging import *  # noqa: E402, F403

SERVICE_VERSION = importlib.metadata.version("tweetstack")
DEPLOYMENT_ENVIRONMENT = env.str("DEPLOYMENT_ENVIRONMENT", default="development")
# Off only to measure what metrics cost (the benchmark's observability on/off comparison).
if not env.bool("METRICS_ENABLED", default=True):
    MIDDLEWARE = [name for name in MIDDLEWARE if "Metrics" not in name and "prometheus" not in name]
# Bucket bounds include the latency SLO threshold (0.3 s), so its ratio is exact.
PROMETHEUS_LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.2,
    0.3,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    10.0,
    float("inf"),
)
# With a token set, /metrics answers only `Authorization: Bearer <token>`; nginx never routes it publicly.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

CSRF_FAILURE_VIEW = "web.error_pages.csrf_failure"
