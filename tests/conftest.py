"""Fixtures shared by every test: a private MEDIA_ROOT, an empty cache, users and logged-in clients,
and a real gunicorn running the app in production mode on its own database of the harness's PostgreSQL;
the Docker Engine, the stand-in images and a registry of the live tiers."""

import io
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.core.cache import cache
from PIL import Image

from tests.factories import UserFactory
from tests.harness import free_port

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def closed_breakers():
    """Breakers live as long as the process: one a test opened (by stopping Redis) must not turn the
    next test's cache reads into misses."""
    from config import breakers

    breakers.forget_all()
    yield
    breakers.forget_all()


@pytest.fixture(scope="session")
def live_database_url():
    """A database of its own, migrated, so gunicorn's writes never touch the test database."""
    admin_url = os.environ["DATABASE_URL"]
    name = f"tweetstack_live_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    subprocess.run(
        [sys.executable, str(REPO / "app" / "manage.py"), "migrate", "--noinput"],
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        check=True,
        capture_output=True,
    )
    yield url
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Production serves hashed static files from a manifest, as `collectstatic` builds it."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, str(REPO / "app" / "manage.py"), "collectstatic", "--noinput"],
        env={**production_env(), "DJANGO_STATIC_ROOT": str(root)},
        check=True,
        capture_output=True,
    )
    return root


def production_env(**overrides) -> dict:
    """This process's environment with production settings and a fresh secret; overrides win."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "OTEL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    log_path: Path
    base: str = field(init=False)

    def __post_init__(self):
        self.base = f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def json_logs(self) -> list[dict]:
        return [json.loads(line) for line in self.log_lines() if line.startswith("{")]

    def wait_for_log(self, predicate, timeout: float = 30.0, count: int = 1) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            matching = [entry for entry in self.json_logs() if predicate(entry)]
            if len(matching) >= count:
                return matching
            time.sleep(0.1)
        raise AssertionError("no matching log line:\n" + "\n".join(self.log_lines()[-20:]))


@pytest.fixture
def start_gunicorn(live_database_url, static_root, tmp_path):
    """Start gunicorn with the repo's config; extra environment variables override the defaults."""
    started: list[Gunicorn] = []

    def start(**overrides) -> Gunicorn:
        port = free_port()
        defaults = dict(
            DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
            DJANGO_STATIC_ROOT=str(static_root),
            DATABASE_URL=live_database_url,
            GUNICORN_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="2",
            LOG_FORMAT="json",
            SERVICE_INSTANCE_ID="web-test-0",
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / f"metrics-{port}"),
            OTEL_TRACES_EXPORTER="none",
        )
        env = production_env(**(defaults | overrides))
        log_path = tmp_path / f"gunicorn-{port}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(REPO / "app" / "gunicorn.conf.py")],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Gunicorn(process, port, log_path)
        started.append(server)
        # Until every worker has loaded the app, the first one ready would take all the traffic.
        server.wait_for_log(
            lambda entry: entry.get("event") == "worker_ready", count=int(env["WEB_CONCURRENCY"])
        )
        return server

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


def image_bytes(image_format: str = "JPEG", size=(64, 48), exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    extra = {"exif": exif} if exif else {}
    image.save(buffer, format=image_format, **extra)
    return buffer.getvalue()


def media_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.fixture(scope="session")
def engine():
    """A Docker Engine: the one that answers, or our own (tests/deploy/engine.py), stopped at the end
    with whatever containers and networks the tests left removed. Defined here, once: tests/deploy/
    and tests/cicd/ share it, and a second session fixture would wait forever on the first's flock
    (flock locks per open file, even within one process)."""
    from tests.deploy.engine import Engine, EngineError, locked

    # One live session at a time per machine: the projects, published ports and the daemon itself
    # are shared, so a second `make test` (another checkout) waits here instead of colliding.
    with locked("live-deployment"):
        try:
            docker = Engine().start()
        except EngineError as error:
            pytest.fail(f"no Docker Engine for the live deployment tests: {error}")
        yield docker
        left = docker.stop() if docker.process else docker.leftovers()
    # Every live test removes what it made; anything still there is a defect of that test.
    assert not [name for name in left if name.startswith("tweetstack")], f"left behind: {left}"


@pytest.fixture(scope="session")
def local_images(engine) -> dict:
    """The stand-ins of tests/deploy/standins/, tagged with the names versions.env pins."""
    from tests.deploy.engine import EngineError, standin_images

    try:
        return standin_images(engine)
    except EngineError as error:
        pytest.fail(str(error))


@pytest.fixture
def registry(tmp_path):
    """The distribution registry (built from tests/cicd/tools/registry/go.mod) on a free loopback port,
    storing into the test's folder: the forge's registry's stand-in for tests/cicd/ and the deploy."""
    from tests.deploy.conftest import install

    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'storage'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    process = subprocess.Popen(
        [install("registry"), "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    address = f"127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{address}/v2/", timeout=1)
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.1)
    try:
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)
