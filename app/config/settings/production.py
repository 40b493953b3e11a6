"""Production settings: the base settings hardened, refusing to start on an unsafe configuration.

Each refusal names the environment variable to fix, so a failed deploy says what to do.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES
from config.settings.env import env
from config.settings.secret_key import secret_key_problem


def refuse(variable: str, problem: str) -> None:
    raise ImproperlyConfigured(f"{variable}: {problem} (production settings refuse to start)")


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if problem := secret_key_problem(SECRET_KEY):
    refuse("DJANGO_SECRET_KEY", problem)

DEPLOYMENT_ENVIRONMENT = env.str("DEPLOYMENT_ENVIRONMENT", default="production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    refuse("DJANGO_DEBUG", "is on; set DJANGO_DEBUG=false")

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    refuse("DATABASE_URL", "is SQLite or unset; set it to postgres://USER:PASSWORD@HOST:PORT/NAME")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    refuse("DJANGO_ALLOWED_HOSTS", "must list the site's host names (never '*')")

# TLS terminates at the load balancer, which tells Django the original scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health and metrics are probed over plain HTTP on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
