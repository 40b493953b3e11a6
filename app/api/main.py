"""The JSON API (django-ninja): its authentication, its errors, and its routers.

Authenticated by a personal access token (`Authorization: Bearer tws_...`) or by the site's session
(then with its CSRF token, as the pages' forms). Every error is `{"error": {"code", "message",
"fields"}}` with its status; the endpoints call the same services and selectors as the pages.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.security import HttpBearer, SessionAuth

from api.tokens import token_user
from tweets.cursors import InvalidCursor
from web.ratelimits import over_limit


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is None:
            # A wrong token is refused, not read as anonymous: its owner must learn it is wrong.
            raise AuthenticationError(401, "That access token is not valid (revoked, or never issued).")
        request.user = user
        return user


def anyone(request: HttpRequest) -> Any:
    return request.user  # the anonymous user too: the reads the pages show to everyone


SIGNED_IN = [TokenAuth(), SessionAuth()]
ANYONE = [TokenAuth(), SessionAuth(), anyone]
# The OpenAPI document of an ANYONE endpoint: a token or the session, or nothing ({}).
OPTIONAL_AUTH: dict[str, Any] = {"security": [{"TokenAuth": []}, {"SessionAuth": []}, {}]}


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def limit(request: HttpRequest, scope: str) -> None:
    """The pages' rate limits (web/ratelimits.py), counted together with them."""
    retry_after = over_limit(request, scope)
    if retry_after is not None:
        raise RateLimited(retry_after)


api = NinjaAPI(
    title="Tweetstack API",
    version="1",
    description="Timelines, tweets, replies, reposts, likes, follows, search and notifications.",
    urls_namespace="api",
)

STATUS_CODES = {400: "invalid", 401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method"}


def error(request: HttpRequest, status: int, code: str, message: str, **fields: list[str]) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields}}, status=status
    )


@api.exception_handler(RequestInvalid)
def request_invalid(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for problem in exc.errors:
        name = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "request"
        fields.setdefault(name, []).append(str(problem.get("msg", "invalid")))
    return error(request, 422, "invalid_request", "The request does not match the API's schema.", **fields)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    code = getattr(exc, "code", None) or "invalid"
    return error(request, 400, str(code), " ".join(exc.messages))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, STATUS_CODES.get(exc.status_code, "error"), exc.message)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, "forbidden", str(exc) or "You may not do that.")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(InvalidCursor)
def invalid_cursor(request: HttpRequest, exc: InvalidCursor) -> HttpResponse:
    return error(request, 400, "invalid_cursor", "That cursor is not valid: start again from the newest.")


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = error(request, 429, "rate_limited", f"Too many requests. Retry in {exc.retry_after} seconds.")
    response["Retry-After"] = str(exc.retry_after)
    return response


api.add_router("/", "api.tweets.router")
api.add_router("/", "api.people.router")
