"""Sentry integration: on only when SENTRY_DSN is set. No personal data is sent (the successor of
send_default_pii=False, which sentry-sdk 2.7x deprecates)."""

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
        # No user details, request bodies or frame locals (a password can sit in one).
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False},
        integrations=[DjangoIntegration()],
    )
    return True
