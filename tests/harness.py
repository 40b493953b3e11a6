"""Real PostgreSQL and Redis for the test session, started on free loopback ports and stopped after.

Loaded as a plugin (`-p tests.harness` in pyproject) because the servers must exist before
pytest-django imports the settings, which read DATABASE_URL and REDIS_URL. Given URLs are used as they
are; only the missing ones are started. initdb refuses to run as root, so as root the server runs as
the `postgres` system user. The session is a process of the app like manage.py's, so it starts the
app's observability the same way, once, before the first test.
"""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """count different free ports: each is held until all are chosen, so none is handed out twice."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def require(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if not path:
        pytest.exit(f"{binary} not found: install it with `apt-get install -y {package}` (.ci/run does)", 3)
    return path


class PostgresServer:
    def __init__(self, base: Path):
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = candidates[-1] if candidates else require("initdb", "postgresql")
        self.bindir = Path(initdb).parent
        self.data = base / "pgdata"
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgres://app@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_owner, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.data.mkdir()
        if self.as_owner:
            shutil.chown(self.data, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "app",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data} -c fsync=off -c full_page_writes=off"
        log = self.data / "server.log"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


class RedisServer:
    def __init__(self, base: Path):
        self.binary = require("redis-server", "redis-server")
        self.dir = base / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Services:
    """The servers this session started (None for those given by URL)."""

    postgres: PostgresServer | None = None
    redis: RedisServer | None = None


SERVICES = Services()


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    base = Path(tempfile.mkdtemp(prefix="tweetstack-test-"))
    base.chmod(0o755)  # the postgres user must reach its data folder
    if not os.environ.get("DATABASE_URL"):
        SERVICES.postgres = PostgresServer(base)
        SERVICES.postgres.init()
        SERVICES.postgres.start()
        os.environ["DATABASE_URL"] = SERVICES.postgres.url
    if not os.environ.get("REDIS_URL"):
        SERVICES.redis = RedisServer(base)
        SERVICES.redis.start()
        os.environ["REDIS_URL"] = SERVICES.redis.url

    def stop_all() -> None:
        for server in (SERVICES.redis, SERVICES.postgres):
            if server:
                # A test that restarts a server may have left it stopped.
                with contextlib.suppress(subprocess.SubprocessError, OSError):
                    server.stop()
        shutil.rmtree(base, ignore_errors=True)

    early_config.add_cleanup(stop_all)
    return (yield)


def pytest_configure(config):
    """The whole suite (no paths given: pyproject's testpaths) builds the later tiers' tools meanwhile."""
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS or config.option.collectonly:
        return
    from tests.deploy.engine import CACHE

    CACHE.mkdir(parents=True, exist_ok=True)
    # Niced and in a session of its own, so it yields the cores to the tests and is stopped whole.
    with (CACHE / "prebuild.log").open("w") as output:
        prebuild = subprocess.Popen(
            ["nice", "-n", "10", sys.executable, "-m", "tests.prebuild"],
            cwd=Path(__file__).resolve().parents[1],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )

    def stop() -> None:
        # A build cut off here leaves no half-written tool: each step moves its result into place whole.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(prebuild.pid, signal.SIGTERM)
        prebuild.wait()

    config.add_cleanup(stop)


def pytest_sessionstart(session):
    """Structured logs, Sentry and tracing, as every entry point of the app starts them."""
    from observability import bootstrap

    bootstrap.start()
