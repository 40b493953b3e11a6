"""What makes a DJANGO_SECRET_KEY unfit for production: production.py refuses to start on it, and the
readiness checklist's probe (manage.py readiness_probe) reports it, with the same words."""

DEV_SECRET_KEY = "dev-insecure-secret-key-do-not-use-in-production"  # noqa: S105  (the embedded default's)
KNOWN_DEFAULT_SECRETS = {DEV_SECRET_KEY, "change-me", "changeme", "secret", "django-insecure"}
MIN_LENGTH = 50


def secret_key_problem(key: str) -> str:
    """Empty when the key is fit for production, else what is wrong, said of DJANGO_SECRET_KEY."""
    if not key:
        return "is not set; generate one with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
    if key in KNOWN_DEFAULT_SECRETS or key.startswith("django-insecure") or len(key) < MIN_LENGTH:
        return f"is a known default or shorter than {MIN_LENGTH} characters"
    return ""
