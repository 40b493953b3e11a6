"""Structured logs: one renderer (JSON in production, readable console in development) for Django,
gunicorn and library loggers alike, with trace ids, the replica id, and secrets removed.

Imported by the settings and by the gunicorn config, so it must not import Django.
"""

import logging
import os
import re
from typing import Any

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor

# Keys whose values never reach a log line, wherever they appear.
SENSITIVE_KEY = re.compile(r"pass(word|wd)?|secret|token|authorization|cookie|session|csrf|api[-_]?key", re.I)
REDACTED = "[redacted]"
MAX_VALUE_LENGTH = 2048


def add_trace_context(logger: object, method_name: str, event_dict: EventDict) -> EventDict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = trace.format_trace_id(context.trace_id)
        event_dict["span_id"] = trace.format_span_id(context.span_id)
    return event_dict


def redact_secrets(logger: object, method_name: str, event_dict: EventDict) -> EventDict:
    for key, value in event_dict.items():
        if SENSITIVE_KEY.search(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            # A 10 KB header or path must not bloat every line it appears in.
            event_dict[key] = value[:MAX_VALUE_LENGTH] + "…[truncated]"
    return event_dict


def _add_process_identity(instance: str) -> Processor:
    def add(logger: object, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service_instance", instance)
        event_dict["pid"] = os.getpid()  # which gunicorn worker
        return event_dict

    return add


def _shared_processors(service_instance: str) -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_context,
        _add_process_identity(service_instance),
        redact_secrets,
    ]


class OtlpForwarder(logging.Handler):
    """Hands each record, rendered as JSON, to the OTLP log pipeline once tracing has set one up
    (observability.tracing sets `target`); until then, and without an OTLP endpoint, it does nothing."""

    target: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        target = OtlpForwarder.target
        if target is None:
            return
        # structlog's private attributes (`_logger`, `_name`) would become OTLP attributes: the logger
        # object is not a valid attribute value, and OpenTelemetry logged a warning for every record.
        public = {key: value for key, value in record.__dict__.items() if not key.startswith("_")}
        rendered = logging.makeLogRecord(
            {**public, "msg": self.format(record), "args": (), "exc_info": None, "exc_text": None}
        )
        target.handle(rendered)


class RenderOnceFormatter(structlog.stdlib.ProcessorFormatter):
    """Renders a record once for all the handlers that share it: stdout and OTLP in production get
    the very same JSON line (a second rendering cost time and, for stdlib records, its own timestamp)."""

    def format(self, record: logging.LogRecord) -> str:
        rendered = record.__dict__.get("_rendered")
        if rendered is None or rendered[0] is not self:
            rendered = record._rendered = (self, super().format(record))
        return rendered[1]


def _formatter(json_output: bool, service_instance: str) -> dict[str, Any]:
    # JSON escapes newlines, so a value can never start a forged line of its own.
    renderers = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json_output
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    return {
        "()": RenderOnceFormatter,
        "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
        "foreign_pre_chain": _shared_processors(service_instance),
    }


def logging_config(*, json_output: bool, level: str, service_instance: str) -> dict[str, Any]:
    """A dictConfig for the standard library; structlog events pass through the same formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": _formatter(json_output, service_instance),
            "json": _formatter(True, service_instance),
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "structured"},
            # JSON either way; in production the same formatter as stdout's, so one rendering serves both.
            "otlp": {
                "class": "observability.logs.OtlpForwarder",
                "formatter": "structured" if json_output else "json",
            },
        },
        "root": {"handlers": ["stdout", "otlp"], "level": level},
        "loggers": {
            # request_started is logged at DEBUG (see settings), so each request is one line.
            "django_structlog": {"level": level},
            "gunicorn.error": {"handlers": ["stdout", "otlp"], "level": level, "propagate": False},
            # nginx writes the access log; gunicorn's would be a second line per request.
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "opentelemetry": {"level": "WARNING"},
            # It logs every retry of every batch; observability.tracing logs an outage once instead.
            "opentelemetry.exporter": {"level": "CRITICAL"},
        },
    }


def configure_structlog(service_instance: str) -> None:
    structlog.configure(
        processors=[
            *_shared_processors(service_instance),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
