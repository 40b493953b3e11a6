"""Where the native stack keeps its state, and the settings it takes from the environment.

Environment: STACK_DIR (state folder, default var/stack), STACK_REPLICAS (web replicas, default 2),
STACK_PORT_<NAME> (see ports.py), STACK_SCRAPE_INTERVAL (e.g. 1s; default: Prometheus' global 15 s),
STACK_READY_TIMEOUT (seconds, default 180), STACK_FAULT_PROXY (1: the app reaches Redis through
toxiproxy, so the fault drills can slow it down; default 0), STACK_TLS_CERT and STACK_TLS_KEY (a
certificate chain and key of your own for nginx; default: one from the stack's local CA, stack/tls.py),
WEB_CONCURRENCY and GUNICORN_THREADS
(per replica), IMAGE_MAX_BYTES (passed to the app; nginx's body limit follows it).
"""

import glob
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from stack import ports as port_table
from stack.alert_sink import webhook_port

REPO = Path(__file__).resolve().parents[1]
# Binary on PATH (or a glob) -> the Debian package that provides it.
SYSTEM_PACKAGES = {
    "nginx": "nginx-light",
    "redis-server": "redis-server",
    "/usr/lib/postgresql/*/bin/postgres": "postgresql-15",
    "prometheus": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "prometheus-postgres-exporter": "prometheus-postgres-exporter",
    "prometheus-redis-exporter": "prometheus-redis-exporter",
    "prometheus-nginx-exporter": "prometheus-nginx-exporter",
    "mtail": "mtail",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
    "pgbackrest": "pgbackrest",
}
ALERTMANAGER_DIR = REPO / "monitoring" / "alertmanager"
# The routing tree, and the receivers appended to it: webhooks to the alert sink, or production's.
ALERTMANAGER_ROUTES = ALERTMANAGER_DIR / "alertmanager.yml"
LOCAL_RECEIVERS = ALERTMANAGER_DIR / "receivers.yml"
PRODUCTION_RECEIVERS = ALERTMANAGER_DIR / "receivers.production.yml"


class StackError(SystemExit):
    """A problem the user can fix; the message is one line naming the fix."""

    def __init__(self, message: str):
        super().__init__(f"stack: {message}")


def find_binary(name: str) -> str:
    if "*" in name:
        matches = sorted(glob.glob(name))
        path = matches[-1] if matches else None
    else:
        path = shutil.which(name)
    if not path:
        package = SYSTEM_PACKAGES[name]
        raise StackError(
            f"{os.path.basename(name)} not found: install it with `apt-get install -y {package}`"
        )
    return path


def alertmanager_config(receivers: Path = LOCAL_RECEIVERS, sink_port: int | None = None) -> str:
    """The one file Alertmanager loads: the routes, then a receivers file (Compose and Terraform concatenate
    the same two files); sink_port moves the sink's webhooks to another loopback port."""
    text = receivers.read_text()
    if sink_port is not None:
        text = text.replace(f"http://127.0.0.1:{webhook_port(receivers)}/", f"http://127.0.0.1:{sink_port}/")
    return ALERTMANAGER_ROUTES.read_text() + text


def alert_webhook_port() -> int:
    """The webhook port is written once, in receivers.yml (Alertmanager 0.25 reads no variables)."""
    return webhook_port(LOCAL_RECEIVERS)


@dataclass
class Stack:
    state: Path
    replicas: int
    ports: dict[str, int]
    scrape_interval: str
    ready_timeout: float
    alert_port: int
    fault_proxy: bool = False
    # The operator's own certificate chain and key for nginx (else the stack's local CA issues one).
    tls_cert: str = ""
    tls_key: str = ""
    venv_bin: Path = field(default_factory=lambda: Path(sys.executable).parent)

    @classmethod
    def from_env(cls, environ=os.environ, replicas: int | None = None) -> "Stack":
        state = Path(environ.get("STACK_DIR") or REPO / "var" / "stack").absolute()
        count = replicas if replicas is not None else int(environ.get("STACK_REPLICAS") or 2)
        if not 1 <= count <= 32:
            raise StackError(f"REPLICAS={count}: give between 1 and 32 web replicas")
        interval = environ.get("STACK_SCRAPE_INTERVAL", "")
        if interval and not re.fullmatch(r"\d+(ms|s|m)", interval):
            raise StackError(f"STACK_SCRAPE_INTERVAL={interval!r}: give a Prometheus duration such as 1s")
        return cls(
            state=state,
            replicas=count,
            ports=port_table.resolve(environ),
            scrape_interval=interval,
            ready_timeout=float(environ.get("STACK_READY_TIMEOUT") or 180),
            # receivers.yml's port unless STACK_PORT_ALERT_SINK moves this stack's sink elsewhere.
            alert_port=port_table.override("alert-sink", alert_webhook_port(), environ),
            fault_proxy=environ.get("STACK_FAULT_PROXY", "0") == "1",
            tls_cert=environ.get("STACK_TLS_CERT", ""),
            tls_key=environ.get("STACK_TLS_KEY", ""),
        )

    def environment(self) -> dict[str, str]:
        """The variables from_env reads back into this stack (for programs that act on it)."""
        ports = {port_table.variable(name): str(port) for name, port in self.ports.items()}
        return ports | {
            "STACK_DIR": str(self.state),
            "STACK_REPLICAS": str(self.replicas),
            port_table.variable("alert-sink"): str(self.alert_port),
            "STACK_TLS_CERT": self.tls_cert,
            "STACK_TLS_KEY": self.tls_key,
        }

    # Folders and files under the state folder.
    def path(self, *parts: str) -> Path:
        return self.state.joinpath(*parts)

    @property
    def supervisor_conf(self) -> Path:
        return self.path("supervisord.conf")

    @property
    def www(self) -> Path:
        """nginx's prefix: static/, media/ and run/ (see nginx/nginx.conf)."""
        return self.path("www")

    @property
    def pgdata(self) -> Path:
        return self.path("data", "postgres")

    def web_names(self) -> list[str]:
        return [f"web-{index}" for index in range(self.replicas)]

    def web_ports(self) -> list[int]:
        return port_table.web_ports(self.ports, self.replicas)

    def listening(self) -> dict[str, int]:
        unused = () if self.fault_proxy else port_table.FAULT_PROXY_PORTS
        ports = {name: port for name, port in self.ports.items() if name not in unused}
        return port_table.all_listening(ports, self.replicas, {"alert-sink": self.alert_port})

    def url(self, name: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def site_url(self, path: str = "/") -> str:
        """The public site: nginx over HTTPS (its plain-HTTP listener redirects there)."""
        return f"https://127.0.0.1:{self.ports['nginx-https']}{path}"

    @property
    def ca_file(self) -> Path:
        """The local CA that issued nginx's certificate (stack/tls.py): what clients trust."""
        return self.path("tls", "ca.crt")

    def database_url(self, name: str = "tweetstack") -> str:
        return f"postgres://app@127.0.0.1:{self.ports['postgres']}/{name}"

    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports['redis']}/0"

    def app_redis_url(self) -> str:
        """Where the app reaches Redis: through the fault proxy when it is on."""
        return f"redis://127.0.0.1:{self.ports['redis-proxy' if self.fault_proxy else 'redis']}/0"
