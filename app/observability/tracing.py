"""OpenTelemetry tracing for Django, psycopg and Redis, configured by the standard OTEL_* variables.

Started once per process by observability.bootstrap: in each gunicorn worker after the fork, since
BatchSpanProcessor's export thread does not survive a fork.
"""

import logging
import os
from collections.abc import Sequence

from django.http import HttpRequest
from django.http.request import split_domain_port
from opentelemetry import trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import (
    DEPLOYMENT_ENVIRONMENT,
    SERVICE_INSTANCE_ID,
    SERVICE_NAME,
    SERVICE_VERSION,
    Resource,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Span

from observability.logs import OtlpForwarder

logger = logging.getLogger(__name__)
_provider: TracerProvider | None = None
_log_provider = None

# Probes and scrapes would drown the real traces.
UNTRACED_URLS = "/healthz$,/readyz$,/metrics$"
# OTEL_SEMCONV_STABILITY_OPT_IN: every signal that has stable names switched to them (no duplicates).
STABLE_SEMANTIC_CONVENTIONS = "http,database"


class LogOnceExporter(SpanExporter):
    """Exports through another exporter; an outage is logged once when it starts and once when it ends."""

    def __init__(self, exporter: SpanExporter):
        self.exporter = exporter
        self.failing = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self.exporter.export(spans)
        if result is SpanExportResult.FAILURE and not self.failing:
            self.failing = True
            logger.warning("trace_export_failing", extra={"exporter": type(self.exporter).__name__})
        elif result is SpanExportResult.SUCCESS and self.failing:
            self.failing = False
            logger.info("trace_export_recovered")
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def _exporter_name(variable: str) -> str:
    # Without an endpoint the embedded default creates spans (logs carry trace ids) but ships none.
    default = "otlp" if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") else "none"
    return os.environ.get(variable, default)


def _exporter() -> SpanExporter | None:
    name = _exporter_name("OTEL_TRACES_EXPORTER")
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return LogOnceExporter(OTLPSpanExporter())
    if name == "console":
        return ConsoleSpanExporter()
    return None


def configure_tracing(*, service_instance: str, version: str, environment: str) -> None:
    global _provider
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    attributes = {
        SERVICE_INSTANCE_ID: service_instance,
        SERVICE_VERSION: version,
        DEPLOYMENT_ENVIRONMENT: environment,
    }
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = "tweetstack-web"
    # The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG.
    provider = TracerProvider(resource=Resource.create(attributes))
    exporter = _exporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    if _exporter_name("OTEL_LOGS_EXPORTER") == "otlp":
        _ship_logs(provider.resource)
    # The stable HTTP and database conventions (http.request.method, url.path, db.system.name,
    # db.namespace, ...) rather than the pre-2023 names; the instrumentations read this once, here.
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", STABLE_SEMANTIC_CONVENTIONS)
    DjangoInstrumentor().instrument(excluded_urls=UNTRACED_URLS, request_hook=_server_address)
    PsycopgInstrumentor().instrument(enable_commenter=False)
    RedisInstrumentor().instrument()
    _provider = provider


def _server_address(span: Span, request: HttpRequest) -> None:
    # The instrumentation copies the whole Host header (host:port) into server.address; the
    # convention has the host alone there and the port in server.port.
    domain, port = split_domain_port(request.headers.get("host", ""))
    if domain and span.is_recording():
        span.set_attribute("server.address", domain)
        if port:
            span.set_attribute("server.port", int(port))


def _ship_logs(resource: Resource) -> None:
    """Send every log record (stdout keeps its copy) to the collector too, as one JSON line each,
    with the trace context of the span it was logged in."""
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    global _log_provider
    _log_provider = LoggerProvider(resource=resource)
    _log_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    OtlpForwarder.target = LoggingHandler(level=logging.INFO, logger_provider=_log_provider)


def shutdown_tracing() -> None:
    """Flush what is queued; gunicorn calls it when a worker exits."""
    for provider in (_provider, _log_provider):
        if provider is not None:
            provider.shutdown()
