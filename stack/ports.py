"""The native stack's ports: the one table of defaults, each overridable by STACK_PORT_<NAME>.

Every other file takes its ports from here (rendered into the supervisor config, nginx includes,
Prometheus targets and environment variables), so a port number is written once.
"""

import os
import socket

# name: (default port, what listens there). Web replica i listens on web + i.
DEFAULT_PORTS: dict[str, tuple[int, str]] = {
    "nginx": (8080, "nginx, the public site"),
    "nginx-status": (8081, "nginx's internal listener (stub_status for the exporter)"),
    "web": (8100, "web replica 0 (replica i uses web + i)"),
    "postgres": (15432, "PostgreSQL"),
    "redis": (16379, "Redis"),
    "prometheus": (9090, "Prometheus"),
    "alertmanager": (9093, "Alertmanager"),
    "otelcol-otlp-grpc": (4317, "the collector's OTLP/gRPC receiver"),
    "otelcol-otlp-http": (4318, "the collector's OTLP/HTTP receiver"),
    "otelcol-metrics": (8888, "the collector's own metrics"),
    "otelcol-spanmetrics": (8889, "the collector's span metrics for Prometheus"),
    "otelcol-health": (13133, "the collector's health check"),
    "otelcol-zpages": (55679, "the collector's zPages"),
    "jaeger-otlp-grpc": (14317, "Jaeger's OTLP/gRPC receiver"),
    "jaeger-ui": (16686, "Jaeger's UI and HTTP API"),
    "jaeger-grpc": (16685, "Jaeger's query gRPC API"),
    "jaeger-health": (14133, "Jaeger's health check"),
    "jaeger-metrics": (14888, "Jaeger's own metrics"),
    "postgres-exporter": (9187, "the PostgreSQL exporter"),
    "redis-exporter": (9121, "the Redis exporter"),
    "nginx-exporter": (9113, "the nginx exporter"),
    "mtail": (3903, "mtail: nginx's responses by status and upstream errors, from its access log"),
    "node-exporter": (9100, "the node exporter: the data folder's filesystem, CPU and memory"),
    # Only with STACK_FAULT_PROXY=1 (the fault drills): the app reaches Redis through toxiproxy.
    "toxiproxy": (8474, "toxiproxy's API (STACK_FAULT_PROXY=1 only)"),
    "redis-proxy": (16380, "toxiproxy's listener in front of Redis (STACK_FAULT_PROXY=1 only)"),
}
# Listened on only when the fault proxy is on.
FAULT_PROXY_PORTS = ("toxiproxy", "redis-proxy")


def variable(name: str) -> str:
    return "STACK_PORT_" + name.upper().replace("-", "_")


class PortError(SystemExit):
    pass


def resolve(environ=os.environ) -> dict[str, int]:
    """Default ports with the environment's overrides applied."""
    return {name: override(name, default, environ) for name, (default, _) in DEFAULT_PORTS.items()}


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
