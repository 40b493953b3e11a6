"""The page a user sees when a request is refused: the reason in plain words and the right status."""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.views import defaults
from psycopg import errors


def error_page(request, message: str, status: int):
    return render(request, "error.html", {"message": message, "status": status}, status=status)


def csrf_failure(request, reason: str = ""):
    return error_page(
        request, "Your form expired or came from another site. Go back, reload the page and try again.", 403
    )


def database_unavailable(error: BaseException | None) -> bool:
    """Unreachable, timed out or cut off, or read-only for now (a server restored from a backup or a
    standby replays WAL before it takes writes): the client may retry. An integrity or programming
    error is a bug."""
    return isinstance(error, OperationalError | InterfaceError) or isinstance(
        getattr(error, "__cause__", None), errors.ReadOnlySqlTransaction
    )


def failure_status(error: BaseException | None) -> int:
    """The status server_error answers an uncaught exception with (the request's log line says it)."""
    return 503 if database_unavailable(error) else 500


def server_error(request):
    """handler500: a database that cannot be reached is a 503 the client may retry, not a 500.

    Django calls this for any uncaught exception, in views and middleware alike; the page renders
    without touching the database (no user menu), since the database is what failed.
    """
    if failure_status(sys.exc_info()[1]) == 503:
        retry_after = int(settings.TIMEOUTS["RETRY_AFTER"])
        response = render(request, "503.html", {"retry_after": retry_after}, status=503)
        response["Retry-After"] = str(retry_after)
        return response
    return defaults.server_error(request)
