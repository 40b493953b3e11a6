"""One native stack (2 web replicas) for every end-to-end test of the session, on free loopback ports.

It is started with `python -m stack up` exactly as `make stack` starts it, in a temporary state
folder, with Prometheus scraping twice a second through the stack's STACK_SCRAPE_INTERVAL (target
labels of the shared prometheus.yml). It is always stopped, also when a test or the start fails,
and the test fails if any of its processes is left behind. Logs are kept under test-artifacts/.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from stack import ports as port_table
from tests import https
from tests.e2e.chromium import chromium  # noqa: F401  (a fixture, for every browser test)
from tests.harness import free_port, free_ports

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
REPLICAS = 2
# A SIGKILLed replica is back within ~2 s: scraped twice a second, it fails several scrapes.
SCRAPE_INTERVAL = "500ms"
# The scheduled checklist runs this often (seconds) instead of every 5 minutes: a degraded item is
# seen within a minute, at a few seconds of CPU per run.
CHECKLIST_INTERVAL = 60


def free_consecutive_ports(count: int, avoid: set[int]) -> int:
    for _ in range(50):
        base = free_port()
        wanted = range(base, base + count)
        if base + count < 65536 and not avoid.intersection(wanted) and all(map(_is_free, wanted)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def http(
    url: str, *, headers: dict | None = None, data: bytes | None = None, timeout: float = 10
) -> Response:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Response(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


def wait_until(predicate, timeout: float, message: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"{message} (waited {timeout:.0f}s)")


@dataclass
class RunningStack:
    state: Path
    ports: dict[str, int]
    env: dict

    def url(self, name: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    @property
    def site(self) -> str:
        """The public site: nginx over HTTPS, its certificate issued by the stack's local CA."""
        return f"https://127.0.0.1:{self.ports['nginx-https']}"

    @property
    def ca_file(self) -> Path:
        return self.state / "tls" / "ca.crt"

    def web_port(self, index: int) -> int:
        return self.ports["web"] + index

    @property
    def metrics_token(self) -> str:
        return (self.state / "secrets" / "metrics-token").read_text().strip()

    def replica_metrics(self, index: int) -> str:
        headers = {"Authorization": f"Bearer {self.metrics_token}"}
        response = http(f"http://127.0.0.1:{self.web_port(index)}/metrics", headers=headers)
        assert response.status == 200, response.body[:200]
        return response.body.decode()

    def log_lines(self, program: str) -> list[str]:
        path = self.state / "logs" / f"{program}.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def json_log(self, program: str) -> list[dict]:
        entries = []
        for line in self.log_lines(program):
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    entries.append(json.loads(line))
        return entries

    def alerts_received(self, alertname: str, since: datetime) -> list[dict]:
        """Alerts of that name the stack's webhook receiver logged, started at or after `since`."""
        return [
            entry
            for entry in self.json_log("alert-sink")
            if entry.get("event") == "alert"
            and entry.get("alertname") == alertname
            and datetime.fromisoformat(entry["starts_at"].replace("Z", "+00:00")) >= since
        ]

    def supervisorctl(self, *arguments: str) -> str:
        conf = str(self.state / "supervisord.conf")
        command = [str(REPO / ".venv" / "bin" / "supervisorctl"), "-c", conf, *arguments]
        if not Path(command[0]).exists():
            command[0] = str(Path(sys.executable).parent / "supervisorctl")
        return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout

    def program_pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", program).strip())

    def prometheus(self, query: str) -> list[dict]:
        url = self.url("prometheus", "/api/v1/query?") + urllib.parse.urlencode({"query": query})
        response = http(url)
        assert response.status == 200, response.body[:300]
        return response.json()["data"]["result"]


def _stack_command(state: Path, env: dict, *arguments: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stack", *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _processes_under(state: Path) -> list[int]:
    """Pids of supervisord (its command line names the state folder) and of every process it started
    (supervisor puts its socket's path, under the state folder, in their environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            text = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            if str(state).encode() in text:
                found.append(int(entry.name))
    return found


def _keep_logs(state: Path) -> None:
    target = ARTIFACTS / "e2e-stack-logs"
    shutil.rmtree(target, ignore_errors=True)
    if (state / "logs").exists():
        shutil.copytree(state / "logs", target)


@pytest.fixture(scope="session")
def stack() -> RunningStack:
    state = Path(tempfile.mkdtemp(prefix="tweetstack-e2e-"))
    state.chmod(0o755)  # PostgreSQL runs as `postgres` and nginx's workers as `nobody` under root
    # The alert sink too, off receivers.yml's port, so the tests run beside a `make stack`.
    names = [name for name in port_table.LISTENERS if name != "web"] + ["alert-sink"]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    ports["web"] = free_consecutive_ports(REPLICAS, avoid=set(ports.values()))
    # Nothing of pytest's own environment (its test database, DJANGO_SETTINGS_MODULE) reaches the stack.
    env = {
        key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TWEETSTACK_CACHE")
    }
    env |= {port_table.variable(name): str(port) for name, port in ports.items()}
    env |= {
        "STACK_DIR": str(state / "stack"),
        "STACK_REPLICAS": str(REPLICAS),
        "STACK_SCRAPE_INTERVAL": SCRAPE_INTERVAL,
        "STACK_READY_TIMEOUT": "180",
        "STACK_CHECKLIST_INTERVAL": str(CHECKLIST_INTERVAL),
        # The app reaches Redis through toxiproxy, so the drills can slow it (test_degraded_dependencies).
        "STACK_FAULT_PROXY": "1",
    }
    running = RunningStack(state / "stack", ports, env)
    try:
        # A cold build of the collector and Jaeger (scripts/build-otel.sh) takes minutes; warm, none.
        result = _stack_command(state, env, "up", timeout=1200)
        assert result.returncode == 0, f"stack up failed:\n{result.stdout}\n{result.stderr}"
        # Every request of the tests verifies the site's certificate against the stack's own CA.
        https.trust(running.ca_file)
        yield running
    finally:
        _stack_command(state, env, "down", timeout=180)
        _keep_logs(running.state)
        leftovers = _processes_under(running.state)
        for pid in leftovers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(state, ignore_errors=True)
        assert not leftovers, f"processes left behind after `stack down`: {leftovers}"
