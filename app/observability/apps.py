from django.apps import AppConfig
from django.conf import settings


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self) -> None:
        from config.settings.sentry import configure_sentry
        from observability import signals  # noqa: F401  (connects the receivers)
        from observability.tracing import configure_tracing

        # Here rather than in the settings: production's environment name is known by now, and under
        # gunicorn this runs in each worker, after the fork.
        configure_sentry(environment=settings.DEPLOYMENT_ENVIRONMENT, release=settings.SERVICE_VERSION)

        # Under gunicorn, each worker configures tracing after the fork instead (gunicorn.conf.py).
        if not settings.TRACING_AFTER_FORK:
            configure_tracing(
                service_instance=settings.SERVICE_INSTANCE_ID,
                version=settings.SERVICE_VERSION,
                environment=settings.DEPLOYMENT_ENVIRONMENT,
            )
