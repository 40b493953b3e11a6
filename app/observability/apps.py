from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self) -> None:
        # Logs, Sentry and tracing are started by each process' entry point (observability/bootstrap.py).
        from observability import signals  # noqa: F401  (connects the receivers)
