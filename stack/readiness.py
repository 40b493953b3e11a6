"""Readiness probes of the native stack's services: each True once its service serves.

A probe is a callable (stack, instance index) -> bool, named in the service's registry entry
(stack/registry.py). A leaf module (the registry imports it; it imports nothing of the stack's), so
the registry stays importable from ports.py and the checklist's image.
"""

import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stack.layout import Stack


def http_ok(url: str, timeout: float = 2.0, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def nginx_ok(stack: "Stack", index: int = 0) -> bool:
    """nginx answers on both listeners, over HTTPS with a chain the stack's CA verifies. An operator's
    own certificate (STACK_TLS_CERT) names their host, not 127.0.0.1: then the plain listener only."""
    if not http_ok(stack.url("nginx", "/healthz")):
        return False
    if stack.tls_cert:
        return True
    return http_ok(stack.site_url("/healthz"), context=ssl.create_default_context(cafile=stack.ca_file))


def postgres_ok(stack: "Stack", index: int = 0) -> bool:
    import psycopg

    try:
        with psycopg.connect(stack.database_url("postgres"), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def redis_ok(stack: "Stack", index: int = 0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", stack.ports["redis"]), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass(frozen=True)
class Http:
    """200 from a path on one of the stack's ports (by its ports.py name)."""

    port: str
    path: str = "/"

    def __call__(self, stack: "Stack", index: int = 0) -> bool:
        return http_ok(stack.url(self.port, self.path))


@dataclass(frozen=True)
class AlertSink:
    """The sink's port is receivers.yml's (or STACK_PORT_ALERT_SINK), not one of ports.env's."""

    def __call__(self, stack: "Stack", index: int = 0) -> bool:
        return http_ok(f"http://127.0.0.1:{stack.alert_port}/healthz")


@dataclass(frozen=True)
class WebReplica:
    """Replica `index` on its own port (web + index)."""

    def __call__(self, stack: "Stack", index: int = 0) -> bool:
        return http_ok(f"http://127.0.0.1:{stack.web_ports()[index]}/readyz")
