"""What every checklist item shares: its result, and the deployment it is checked against."""

import functools
import http.client
import json
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
# The gauge's value per status (tweetstack_checklist_item_status): 0 is what the alert looks for.
STATUS_VALUES = {FAIL: 0, WARN: 1, PASS: 2}


@dataclass(frozen=True)
class Result:
    status: str
    checked: str
    fix: str = ""


@dataclass(frozen=True)
class Item:
    id: str
    category: str
    title: str
    check: Callable[["Deployment"], Result]


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        """All values of a header, joined as a proxy would ("" when absent)."""
        return ", ".join(value for key, value in self.headers if key.lower() == name.lower())

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class _NamedConnection(http.client.HTTPSConnection):
    """TLS to the URL's address, the certificate verified for (and SNI sent as) another name."""

    def __init__(self, host, *, server_name: str, **kwargs):
        super().__init__(host, **kwargs)
        self.server_name = server_name

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.server_name)


class _NamedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext, server_name: str):
        super().__init__(context=context)
        self.context, self.server_name = context, server_name

    def https_open(self, req):
        connection = functools.partial(_NamedConnection, server_name=self.server_name)
        return self.do_open(connection, req, context=self.context)


@dataclass
class Deployment:
    """A running deployment: its public URL, its Prometheus, and a way to run its manage.py."""

    url: str
    prometheus_url: str
    manage: list[str]
    timeout: float = 10.0
    # The CA that verifies the site's certificate (the native stack's local CA); None: the system's.
    ca_file: str | None = None
    # The name the certificate is verified for when the URL reaches the site by another (a container
    # checks https://localhost while the certificate names the public host); None: the URL's host.
    server_name: str | None = None
    # The Host the site's requests carry when the URL reaches it by an address Django does not allow
    # (a cluster's nginx Service); None: the URL's host.
    host: str | None = None
    _probe: dict | None = field(default=None, repr=False)

    @property
    def is_https(self) -> bool:
        return urllib.parse.urlsplit(self.url).scheme == "https"

    def get(self, path: str) -> HttpResponse:
        """GET through the public site, redirects not followed."""
        context = ssl.create_default_context(cafile=self.ca_file)
        https = (
            _NamedHTTPSHandler(context, self.server_name)
            if self.server_name
            else urllib.request.HTTPSHandler(context=context)
        )
        opener = urllib.request.build_opener(_NoRedirect, https)
        url = self.url.rstrip("/") + path
        headers = {"User-Agent": "checklist", **({"Host": self.host} if self.host else {})}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return HttpResponse(response.status, response.headers.items(), response.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, error.headers.items(), error.read())

    def prometheus(self, path: str, **params: str) -> dict:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        url = self.prometheus_url.rstrip("/") + path + query
        with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
            body = json.loads(response.read())
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus {path}: {body.get('error', body)}")
        return body["data"]

    def query(self, promql: str) -> list[dict]:
        return self.prometheus("/api/v1/query", query=promql)["result"]

    def scalar(self, promql: str) -> float | None:
        """The single value of an instant query, or None when it returns nothing."""
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else None

    def settle(self, young: float = 120, timeout: float = 60) -> bool:
        """A Prometheus started moments ago (`make stack`) has not scraped every target or evaluated
        its rules yet: wait until it has, at most `timeout` seconds. True when it had to wait."""
        uptime = self.scalar('time() - max(process_start_time_seconds{job="prometheus"})')
        if uptime is not None and uptime > young:
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            targets = self.prometheus("/api/v1/targets", state="active")["activeTargets"]
            scraped = targets and all(target["health"] != "unknown" for target in targets)
            if (
                scraped
                and self.query('ALERTS{alertname="Watchdog"}')
                and self.scalar("sum(alertmanager_notifications_total)")
            ):
                break
            time.sleep(1)
        return True

    def run_in_app(self, *arguments: str, stdin: str = "", timeout: float = 180) -> str:
        """Runs a management command in the deployment's Django (its manage.py) and returns its stdout."""
        result = subprocess.run(
            [*self.manage, *arguments],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=REPO,
        )
        if result.returncode != 0:
            command = " ".join([*self.manage, *arguments])
            raise RuntimeError(f"`{command}` failed: {result.stderr.strip()[-600:]}")
        return result.stdout

    @property
    def probe(self) -> dict:
        """The app's own view of itself (`manage.py readiness_probe`), read once."""
        if self._probe is None:
            output = self.run_in_app("readiness_probe")
            line = next((line for line in output.splitlines() if line.startswith("CHECKLIST-PROBE ")), None)
            if line is None:
                raise RuntimeError(f"the probe printed no result: {output[-300:]}")
            self._probe = json.loads(line.removeprefix("CHECKLIST-PROBE "))
        return self._probe

    def record(self, results: dict) -> str:
        """Writes the results where the app's /metrics exposes them; returns the file's path."""
        output = self.run_in_app("readiness_probe", "--record", stdin=json.dumps(results), timeout=60)
        line = next((line for line in output.splitlines() if line.startswith("CHECKLIST-RECORDED ")), "")
        return line.removeprefix("CHECKLIST-RECORDED ")
