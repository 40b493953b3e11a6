"""Sentry integration: on only when SENTRY_DSN is set. No personal data is sent."""

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from config.settings.env import env


def configure_sentry(*, environment: str, release: str) -> bool:
    dsn = env.str("SENTRY_DSN", default="")
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=env.str("SENTRY_ENVIRONMENT", default=environment),
        release=env.str("SENTRY_RELEASE", default=release),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        integrations=[DjangoIntegration()],
    )
    return True
