"""nginx's own error responses: JSON in the API's error shape under /api/, HTML pages elsewhere.

The stack's rendered nginx on free ports with no replica behind it (test_stack_tls's fixture): every
proxied request is nginx's 503, and a body over the upload limit its 413."""

import json
import ssl
import urllib.error
import urllib.request

from tests.config.test_stack_tls import nginx  # noqa: F401  (the fixture)

LIMIT = 1024 * 1024  # the fixture's image_max_bytes; the body limit is a little above it


def request(stack, path: str, data: bytes | None = None):
    context = ssl.create_default_context(cafile=stack.ca_file)
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(urllib.request.Request(stack.site_url(path), data=data), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_an_unavailable_api_answers_json_with_retry_after(nginx):  # noqa: F811
    status, headers, body = request(nginx, "/api/v1/timeline/explore")
    assert status == 503
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "unavailable" and error["fields"] == {}
    assert f"Retry in {headers['Retry-After']} seconds" in error["message"]


def test_an_unavailable_page_is_still_html(nginx):  # noqa: F811
    status, headers, body = request(nginx, "/explore/")
    assert status == 503 and headers["Content-Type"].startswith("text/html")
    assert b"Tweetstack is temporarily unavailable" in body
    # Only paths under /api/: a page whose name starts with "api" is a page.
    assert request(nginx, "/apiary/")[1]["Content-Type"].startswith("text/html")


def test_an_api_body_over_the_limit_answers_json(nginx):  # noqa: F811
    status, headers, body = request(nginx, "/api/v1/tweets", data=b"x" * (2 * LIMIT))
    assert status == 413 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "too_large"


def test_a_page_body_over_the_limit_is_still_the_html_page(nginx):  # noqa: F811
    status, headers, body = request(nginx, "/tweets/", data=b"x" * (2 * LIMIT))
    assert status == 413 and headers["Content-Type"].startswith("text/html")
    assert b"Upload too large" in body
