"""The native stack's ports: ports.env's, each overridable by STACK_PORT_<NAME>.

ports.env (at the repository's root) declares every port of every runtime. The native stack listens
on each service's port unless ports.env moves it (its STACK_PORT_<NAME> lines), and every file of the
stack takes its ports from here (rendered into the supervisor config, nginx includes, Prometheus
targets and environment variables).
"""

import os
import socket
from pathlib import Path

from stack import appconfig, registry

DECLARATIONS = Path(__file__).resolve().parents[1] / "ports.env"

# name: what listens there, from each service's entry (stack/registry.py). Web replica i listens on
# web + i.
LISTENERS: dict[str, str] = registry.listeners()
# Listened on only when the fault proxy is on.
FAULT_PROXY_PORTS = registry.fault_proxy_ports()


def declared(path: Path = DECLARATIONS) -> dict[str, int]:
    """KEY=number lines of ports.env, as written there."""
    return {key: int(value) for key, value in appconfig.declared(path).items()}


def service_variable(name: str) -> str:
    """The port's ports.env name in every runtime: otelcol-metrics -> OTELCOL_METRICS_PORT."""
    return name.upper().replace("-", "_") + "_PORT"


def defaults(path: Path = DECLARATIONS) -> dict[str, int]:
    """The native stack's port of each listener: its STACK_PORT_ line of ports.env, else the service's."""
    table = declared(path)
    return {
        name: table[variable(name)] if variable(name) in table else table[service_variable(name)]
        for name in LISTENERS
    }


def variable(name: str) -> str:
    return "STACK_PORT_" + name.upper().replace("-", "_")


class PortError(SystemExit):
    pass


def resolve(environ=os.environ) -> dict[str, int]:
    """Default ports with the environment's overrides applied."""
    return {name: override(name, default, environ) for name, default in defaults().items()}


def override(name: str, default: int, environ=os.environ) -> int:
    """A port: STACK_PORT_<NAME> if set, else its default."""
    raw = environ.get(variable(name), "")
    try:
        port = int(raw) if raw else default
    except ValueError:
        raise PortError(f"{variable(name)}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise PortError(f"{variable(name)}={port} is not between 1 and 65535")
    return port


def web_ports(ports: dict[str, int], replicas: int) -> list[int]:
    return [ports["web"] + index for index in range(replicas)]


def all_listening(ports: dict[str, int], replicas: int, extra: dict[str, int]) -> dict[str, int]:
    """Every (label, port) the stack listens on, web replicas expanded."""
    listening = {name: port for name, port in ports.items() if name != "web"}
    listening |= {f"web-{index}": port for index, port in enumerate(web_ports(ports, replicas))}
    listening |= extra
    return listening


def check_free(listening: dict[str, int], host: str = "127.0.0.1") -> None:
    """Fail with one line naming the first port in use (or used twice) and the fix."""
    seen: dict[int, str] = {}
    for label, port in listening.items():
        if port in seen:
            raise PortError(
                f"port {port} is given to both {seen[port]} and {label}: set distinct STACK_PORT_*"
            )
        seen[port] = label
        with socket.socket() as sock:
            # As the servers do: connections of a previous run in TIME_WAIT do not block the port.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                name = "web" if label.startswith("web-") else label
                raise PortError(
                    f"port {port} ({label}) is already in use on {host}: stop what listens there "
                    f"(`ss -ltnp 'sport = :{port}'`) or set {variable(name)}=<free port>"
                ) from None
