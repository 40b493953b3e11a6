"""Requests from static/js/enhance.js: a form submitted with fetch is answered with the page's changed
part (an HTML fragment) instead of a redirect, so a like or follow updates without a navigation."""

from django.http import HttpRequest

FRAGMENT_HEADER = "X-Fragment"


def wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"
