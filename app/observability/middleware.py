"""The request id: taken from X-Request-ID when well-formed, generated otherwise, echoed in the response."""

import re
import time
import uuid
from collections.abc import Callable

import sentry_sdk
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from opentelemetry import trace

# nginx's $request_id is 32 hex characters; accept common id shapes, never newlines or floods.
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request.headers.get("X-Request-ID", "")
        if not WELL_FORMED_REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        # django-structlog reads the id from the request's headers, so logs, Sentry and the response
        # agree; request.headers is cached from META on first use, hence the reset.
        request.META["HTTP_X_REQUEST_ID"] = request_id
        request.__dict__.pop("headers", None)
        request.started_at = time.perf_counter()  # type: ignore[attr-defined]  # read by the log fields
        sentry_sdk.set_tag("request_id", request_id)
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            sentry_sdk.set_tag("trace_id", trace.format_trace_id(context.trace_id))
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
