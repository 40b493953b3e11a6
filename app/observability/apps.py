from django.apps import AppConfig
from django.conf import settings


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self):
        from observability import signals  # noqa: F401  (connects the receivers)
        from observability.tracing import configure_tracing

        # Under gunicorn, each worker configures tracing after the fork instead (gunicorn.conf.py).
        if not settings.TRACING_AFTER_FORK:
            configure_tracing(
                service_instance=settings.SERVICE_INSTANCE_ID,
                version=settings.SERVICE_VERSION,
                environment=settings.DEPLOYMENT_ENVIRONMENT,
            )
