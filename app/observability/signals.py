"""Receivers that add request facts to the request's log line."""

import time

from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_structlog import signals as structlog_signals

from web.error_pages import failure_status


def _set_request_fields(log_kwargs: dict[str, object], request: HttpRequest, status: int) -> None:
    # "request" repeats method and path with the query string, which may carry tokens.
    log_kwargs.pop("request", None)
    log_kwargs.pop("code", None)
    match = getattr(request, "resolver_match", None)
    started = getattr(request, "started_at", None)
    log_kwargs |= {
        "method": request.method,
        "path": request.path,
        "route": match.route if match else None,
        "view": match.view_name if match else None,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
    }


@receiver(structlog_signals.bind_extra_request_finished_metadata)
def add_finished_fields(
    request: HttpRequest, response: HttpResponseBase, log_kwargs: dict[str, object], **kwargs: object
) -> None:
    _set_request_fields(log_kwargs, request, response.status_code)


@receiver(structlog_signals.bind_extra_request_failed_metadata)
def add_failed_fields(
    request: HttpRequest, exception: BaseException, log_kwargs: dict[str, object], **kwargs: object
) -> None:
    # The status the client gets from handler500: a 503 when the database is unavailable.
    _set_request_fields(log_kwargs, request, failure_status(exception))
