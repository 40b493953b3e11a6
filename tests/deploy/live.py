"""What the live deployment tests do through a deployment's published nginx, as a user would: a
cookie-keeping browser (sign up, post a tweet with an image), HTTPS verified against the local CA the
test issued nginx's certificate from, and waiting for a condition. Nothing here knows whether Compose
or Terraform made the deployment."""

import io
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from http.cookiejar import CookieJar

from PIL import Image

from stack import tls
from stack.layout import Stack
from stack.ports import declared
from tests import https

# ports.env, where every runtime's ports are declared: the tests address services by it too.
PORTS = declared()
# Inside the deployment's networks (Compose's service names are Terraform's hostnames too).
PROMETHEUS_URL = f"http://prometheus:{PORTS['PROMETHEUS_PORT']}"
JAEGER_URL = f"http://jaeger:{PORTS['JAEGER_UI_PORT']}"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# nginx's user in our nginx image (Dockerfile): it reads the key from a bind-mounted file.
NGINX_UID = 101


def tls_files(folder) -> tls.TlsFiles:
    """A local CA and a certificate for localhost and 127.0.0.1, as the native stack makes them, for
    nginx to be given as files; every HTTPS request of the session then verifies against that CA."""
    paths = tls.ensure(Stack.from_env({"STACK_DIR": str(folder)}))
    if os.geteuid() == 0:
        os.chown(paths.key, NGINX_UID, NGINX_UID)
    # The folders are the test's temporary ones: nginx's user must reach the files inside.
    for parent in (paths.key.parent, paths.key.parent.parent):
        parent.chmod(0o755)
    https.trust(paths.ca_cert)
    return paths


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self):
        return json.loads(self.body)


def http(
    url: str, *, method: str = "GET", headers: dict | None = None, data: bytes | None = None, timeout=15
):
    request = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Response(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


def wait_until(predicate, timeout: float, message: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except (OSError, ValueError) as error:  # not up yet
            last = error
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise AssertionError(f"{message} (waited {timeout:.0f}s; last: {last!r})")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


class Browser:
    """Keeps cookies, does not follow redirects (a form's success is a 302), posts multipart forms."""

    def __init__(self, site: str):
        self.site = site
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect, https.handler()
        )

    def request(self, path: str, *, data: bytes | None = None, headers: dict | None = None) -> Response:
        # A form post carries its Origin, as a browser's does: Django's CSRF check over HTTPS wants it.
        origin = {"Origin": self.site} if data is not None else {}
        request = urllib.request.Request(self.site + path, data=data, headers=origin | (headers or {}))
        try:
            with self.opener.open(request, timeout=30) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request(path, headers=headers)

    def post(self, path: str, fields: dict, headers: dict | None = None) -> Response:
        return self.request(path, data=urllib.parse.urlencode(fields).encode(), headers=headers)

    def token(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, (path, page.status, page.text[:500])
        return CSRF_FIELD.search(page.text).group(1)

    def sign_up(self) -> str:
        username = f"user{uuid.uuid4().hex[:10]}"
        password = f"Pw-{uuid.uuid4().hex}"
        token = self.token("/accounts/signup/")
        fields = {"username": username, "password1": password, "password2": password}
        response = self.post("/accounts/signup/", fields | {"csrfmiddlewaretoken": token})
        assert response.status == 302, (response.status, response.text[:2000])
        return username

    def post_tweet(self, text: str, image: bytes | None = None, headers: dict | None = None) -> Response:
        token = self.token("/")
        boundary = uuid.uuid4().hex
        parts = [("csrfmiddlewaretoken", None, token.encode()), ("text", None, text.encode())]
        if image is not None:
            parts.append(("image", "picture.png", image))
        body = b""
        for name, filename, value in parts:
            disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
            body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
            if filename:
                body += b"Content-Type: image/png\r\n"
            body += b"\r\n" + value + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        content_type = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("/tweets/", data=body, headers=content_type | (headers or {}))
