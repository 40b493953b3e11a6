"""Bounded traffic through nginx for the fault drills: readers, a poster and logins in threads, every
request recorded with its start and end time, capped in requests and seconds."""

import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar

from django.conf import settings
from django_ratelimit.core import _split_rate

from tests import https
from tests.e2e.conftest import REPO, http, wait_until

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# nginx takes a replica that refused a connection out of rotation for 10 s (stack.services).
NGINX_FAIL_TIMEOUT = 10


@dataclass
class Outcome:
    kind: str  # read, post, login
    started: float
    ended: float
    status: int | str
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.status == (200 if self.kind == "read" else 302)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping client that does not follow redirects (a 302 is a form's success)."""

    def __init__(self, site: str):
        self.site = site
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect, https.handler()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int | str, str]:
        """The status, or for a redirect anywhere but the home page (where a form's success goes) the
        status and where: a post whose session was lost is sent to the login page, not posted."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        # As a browser's form post: over HTTPS, Django's CSRF check wants the Origin (or a Referer).
        headers = {"Origin": self.site} if data is not None else {}
        request = urllib.request.Request(self.site + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            location = error.headers.get("Location", "")
            status = error.code if error.code != 302 or location == "/" else f"302 to {location}"
            return status, error.read().decode(errors="replace")

    def csrf(self) -> str:
        return next((cookie.value for cookie in self.jar if cookie.name == "csrftoken"), "")

    def login(self, username: str, password: str) -> int | str:
        status, page = self.request("/accounts/login/")
        token = CSRF_FIELD.search(page).group(1) if status == 200 else ""
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        return self.request("/accounts/login/", fields)[0]

    def post_tweet(self, text: str) -> int | str:
        return self.request("/tweets/", {"text": text, "csrfmiddlewaretoken": self.csrf()})[0]


def create_users(stack, count: int) -> list[tuple[str, str]]:
    """Accounts made through manage.py (signup is rate limited per IP, and every test is 127.0.0.1)."""
    users = [(f"drill{uuid.uuid4().hex[:10]}", f"Pw-{uuid.uuid4().hex}") for _ in range(count)]
    code = "from accounts.models import User\n" + "".join(
        f"User.objects.create_user({name!r}, password={password!r})\n" for name, password in users
    )
    result = subprocess.run(
        [sys.executable, "-m", "stack", "manage", "shell", "--no-imports", "-c", code],
        cwd=REPO,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return users


@dataclass
class Traffic:
    """Readers GET /explore/; posters (logged-in browsers, taking turns) post one tweet per
    post_every seconds; logins (fresh browsers) log in one user per login_every seconds."""

    site: str
    readers: int = 3
    posters: list[Browser] = field(default_factory=list)
    post_every: float = 0.8
    logins: list[tuple[str, str]] = field(default_factory=list)
    login_every: float = 3.0
    max_requests: int = 1500
    max_seconds: float = 90
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        # Every drill's client is 127.0.0.1: posts faster than the site's limits (per user and per
        # IP) would be refused with 429s that no fault caused.
        if self.posters:
            for key, rate in settings.RATE_LIMITS["post"].items():
                count, seconds = _split_rate(rate)  # django-ratelimit's own parsing of "30/m"
                per_client = self.post_every * (len(self.posters) if key == "user" else 1)
                assert 1 / per_client < count / seconds, f"posting faster than the {key} limit {rate}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _record(self, kind: str, call, text: str = "") -> None:
        started = time.monotonic()
        try:
            status = call()
        except OSError as error:
            status = repr(error)
        with self._lock:
            self.outcomes.append(Outcome(kind, started, time.monotonic(), status, text))

    def _running(self) -> bool:
        return (
            not self._stop.is_set()
            and time.monotonic() < self._deadline
            and len(self.outcomes) < self.max_requests
        )

    def _reader(self) -> None:
        while self._running():
            self._record("read", lambda: http(f"{self.site}/explore/", timeout=15).status)
            time.sleep(0.02)

    def _poster(self) -> None:
        turn = 0
        while self._running() and self.posters:
            browser, text = self.posters[turn % len(self.posters)], f"drill {uuid.uuid4().hex}"
            self._record("post", lambda browser=browser, text=text: browser.post_tweet(text), text)
            turn += 1
            self._stop.wait(self.post_every)

    def _login(self) -> None:
        turn = 0
        while self._running() and self.logins:
            name, password = self.logins[turn % len(self.logins)]
            self._record(
                "login", lambda name=name, password=password: Browser(self.site).login(name, password)
            )
            turn += 1
            self._stop.wait(self.login_every)

    def __enter__(self) -> "Traffic":
        self._deadline = time.monotonic() + self.max_seconds
        workers = [self._reader] * self.readers + [self._poster, self._login]
        self._threads = [threading.Thread(target=worker, daemon=True) for worker in workers]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def failures(self, kind: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok and kind in (None, o.kind)]

    def count(self, kind: str) -> int:
        return sum(o.kind == kind for o in self.outcomes)


def ready(url: str) -> bool:
    try:
        return http(url, timeout=2).status == 200
    except OSError:
        return False


def replicas_back_in_rotation(stack, replicas: int) -> None:
    """Every replica ready, then nginx's fail_timeout waited out, so the next test finds them all in use."""
    for index in range(replicas):
        wait_until(
            lambda index=index: ready(f"http://127.0.0.1:{stack.web_port(index)}/readyz"),
            90,
            f"web-{index} never became ready again",
        )
    time.sleep(NGINX_FAIL_TIMEOUT)


@dataclass
class Load:
    """What a closed loop of `clients` anonymous readers of one page measured: each sends its next
    request when the previous answers, for `seconds` or until `max_requests` in all."""

    latencies: list[float]
    statuses: list[int | str]
    seconds: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("inf")

    @property
    def server_errors(self) -> list[int | str]:
        return [status for status in self.statuses if not isinstance(status, int) or status >= 500]

    def summary(self) -> str:
        return (
            f"{len(self.latencies)} requests in {self.seconds:.1f}s: {self.throughput:.1f} req/s, "
            f"p50 {self.percentile(0.5) * 1000:.0f} ms, p99 {self.percentile(0.99) * 1000:.0f} ms, "
            f"{len(self.server_errors)} 5xx or errors"
        )


def load(site: str, path: str = "/explore/", *, clients: int, seconds: float, max_requests: int) -> Load:
    latencies: list[float] = []
    statuses: list[int | str] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def client() -> None:
        while time.monotonic() < deadline and len(latencies) < max_requests:
            sent = time.monotonic()
            try:
                status = http(site + path, timeout=15).status
            except OSError as error:
                status = repr(error)
            with lock:
                latencies.append(time.monotonic() - sent)
                statuses.append(status)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return Load(latencies, statuses, time.monotonic() - started)
