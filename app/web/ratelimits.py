"""Rate limits on the writes worth abusing (login, signup, posting, liking), per client IP and per user.

Limits come from settings.RATE_LIMITS (set by env), counted in the shared cache by django-ratelimit.
Over a limit the user gets a 429 page with Retry-After; windows are fixed, so nobody is locked out
for longer than one window. If the cache is down, requests pass (RATELIMIT_FAIL_OPEN).
"""

import functools

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from web.error_pages import error_page
from web.metrics import RATE_LIMITED

# How each key of settings.RATE_LIMITS identifies the client (django-ratelimit key syntax).
KEYS = {
    "ip": "ip",
    "user": "user_or_ip",
    "username": lambda group, request: request.POST.get("username", "").lower(),
}


def rate_limited(scope: str):
    """Refuse POSTs to the view over any of the scope's limits; other methods are not counted."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                retry_after = over_limit(request, scope)
                if retry_after is not None:
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def over_limit(request, scope: str) -> int | None:
    """Count this request against the scope's limits: the seconds to wait if it is over one of them.
    The pages and the JSON API share the counts, so a client cannot double its rate by switching."""
    for key, rate in settings.RATE_LIMITS[scope].items():
        # Every method: the caller counts only writes (POST here, POST and DELETE in the API).
        usage = get_usage(request, group=scope, key=KEYS[key], rate=rate, method=ALL, increment=True)
        if usage and usage["should_limit"]:
            RATE_LIMITED.labels(scope=scope).inc()
            return int(usage["time_left"])
    return None


def too_many_requests(request, retry_after: int):
    response = error_page(
        request, f"Too many attempts. Please wait {retry_after} seconds and try again.", status=429
    )
    response["Retry-After"] = str(retry_after)
    return response
