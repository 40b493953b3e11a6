"""The README's first command on a fresh clone: `make run` installs, migrates, seeds and serves.

The clone is of the committed tree (what a new user gets), with its own .venv and var/; only the
download caches (uv's and ~/.cache/tweetstack) are shared, so the test stays quick and still fails when
a fresh checkout lacks something this checkout has grown (var/, a venv, a built file).
"""

import contextlib
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.harness import free_port

REPO = Path(__file__).resolve().parents[2]
# The test run's own settings, which a user's shell does not have (the harness's DATABASE_URL, ...).
TEST_RUN_VARIABLES = re.compile(
    r"^(DATABASE_URL|REDIS_URL|DJANGO_\w+|TWEETSTACK_VAR_DIR|VIRTUAL_ENV|PYTEST_\w+)$"
)
PASSWORD_LINE = re.compile(r"Created user 'demo' with password: (\S+) \(shown only this once\)")
SERVE_TIMEOUT = 300  # a cold uv cache downloads the app's wheels


def user_environment() -> dict[str, str]:
    """The environment of a user's shell: this one's, without the test run's own settings."""
    return {name: value for name, value in os.environ.items() if not TEST_RUN_VARIABLES.match(name)}


class Site:
    """A browser's view of the site: cookies kept, CSRF tokens read from the forms."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str, bytes]:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()

    def post_form(self, form_path: str, action: str, fields: dict[str, str]) -> tuple[int, str]:
        _, _, page = self.get(form_path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, f"{form_path} has no CSRF token"
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1).decode(), **fields}).encode()
        request = urllib.request.Request(self.base + action, data=body, headers={"Referer": self.base + "/"})
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    clone = tmp_path / "tweetstack"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=60)
    assert not (clone / "var").exists() and not (clone / ".venv").exists()
    return clone


def wait_for_demo_tweets(site: Site, server: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + SERVE_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"`make run` exited {server.returncode} before serving:\n{log.read_text()}")
        try:
            status, _, page = site.get("/explore/")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
            continue
        if status == 200 and b"Hello from the observable tweet stack!" in page:
            return page.decode()
        time.sleep(0.5)
    pytest.fail(f"no demo tweets at /explore/ within {SERVE_TIMEOUT} s:\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    """Stop make and everything it started (runserver and its autoreloader share the group)."""
    group = server.pid  # start_new_session: make leads its own process group
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGINT)  # what Ctrl-C sends
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        server.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(group, signal.SIGKILL)
    pytest.fail("processes of `make run` were still running after Ctrl-C")


def test_make_run_on_a_fresh_clone_serves_the_demo_and_takes_a_post(fresh_clone: Path):
    assert shutil.which("make"), "make is not installed"
    port = free_port()
    site = Site(f"http://127.0.0.1:{port}")
    log = fresh_clone.parent / "make-run.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=fresh_clone,
            env=user_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        explore = wait_for_demo_tweets(site, server, log)

        image = re.search(r'src="(/media/tweets/[^"]+\.jpe?g)"', explore)
        assert image, "the seeded tweets show no image"
        status, content_type, body = site.get(image.group(1))
        assert (status, content_type) == (200, "image/jpeg") and body[:2] == b"\xff\xd8"

        password = PASSWORD_LINE.search(log.read_text())
        assert password, f"`make run` printed no demo password:\n{log.read_text()}"
        status, home = site.post_form(
            "/accounts/login/", "/accounts/login/", {"username": "demo", "password": password.group(1)}
        )
        assert status == 200 and "Log out" in home, "the printed password does not log in"

        text = f"Posted from a fresh clone at {time.time():.0f}"
        status, home = site.post_form("/", "/tweets/", {"text": text})
        assert status == 200 and text in home
    finally:
        stop(server)
    assert (fresh_clone / "var" / "db.sqlite3").is_file()


def test_the_embedded_default_creates_a_state_folder_that_does_not_exist_yet(tmp_path: Path):
    state = tmp_path / "not" / "there" / "yet"
    result = subprocess.run(
        [str(REPO / ".venv/bin/python"), "app/manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env={**user_environment(), "TWEETSTACK_VAR_DIR": str(state)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (state / "db.sqlite3").is_file()
