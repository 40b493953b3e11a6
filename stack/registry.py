"""The native stack's services: one entry each, from which everything else is derived.

The supervisor config (stack/render.py), the start order (stack/__main__.py), the readiness probes
(stack/services.py), the port table (stack/ports.py) and Prometheus' targets all read SERVICES.
Adding a service is one entry here, its port in ports.env and its own config files.

A leaf: it imports no other module of the stack but readiness.py (ports.py and the layout import it);
what a command needs of the rendered state (binaries, environments, paths) comes in a Context.
"""

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stack.readiness import AlertSink, Http, WebReplica, nginx_ok, postgres_ok, redis_ok

if TYPE_CHECKING:
    from stack.layout import Stack

# Start phases, in order. `make stack` starts a phase's programs together and waits until they are
# ready before the next: the infrastructure; then (once the database is migrated) tracing and the web
# replicas; then what reads the replicas, so nginx and Prometheus never see them booting (Prometheus
# would count the boot as failed scrapes).
INFRASTRUCTURE, APP, SERVICES_PHASE = "infrastructure", "app", "services"
PHASES = (INFRASTRUCTURE, APP, SERVICES_PHASE)


@dataclass(frozen=True)
class Context:
    """What commands and environments are built from: the stack, and what render.py computed for it."""

    stack: "Stack"
    repo: Path
    binary: Callable[[str], str]  # layout.find_binary: a binary's path, or the package to install
    binaries: dict[str, str]  # the Go builds (OTELCOL_BIN, JAEGER_BIN, TOXIPROXY_BIN)
    base: dict[str, str]  # PATH, LANG, HOME
    django: dict[str, str]  # the app's production settings (manage.py, the backup loop)
    web: Callable[[int], dict[str, str]]  # replica i's environment
    otel: dict[str, str]  # what the collector's and Jaeger's configs read
    pgbackrest: dict[str, str]  # pgBackRest's options (PostgreSQL's archive-push reads them)
    postgres_options: str  # pgBackRest's server options (archive_command, ...)
    alertmanager_config: Path
    node_mount_exclusion: str
    index: int = 0  # the instance a replicated service's command is built for

    def path(self, *parts: str) -> str:
        return str(self.stack.path(*parts))

    def port(self, name: str) -> int:
        return self.stack.ports[name]

    @property
    def python(self) -> str:
        return str(self.stack.venv_bin / "python")


Probe = Callable[["Stack", int], bool]


@dataclass(frozen=True)
class Service:
    """One supervised program (or, replicated, one per web replica: web-0, web-1, ...)."""

    name: str
    command: Callable[[Context], str]
    phase: str
    # Its listeners: ports.py name -> what listens there (ports.env declares the numbers).
    ports: dict[str, str] = field(default_factory=dict)
    environment: Callable[[Context], dict[str, str]] = lambda ctx: ctx.base
    # None: a loop with no port, ready once supervisor keeps it running.
    ready: Probe | None = None
    # The jobs of monitoring/prometheus/jobs.json whose targets it is.
    scrape: tuple[str, ...] = ()
    # supervisor's stopwaitsecs: how long it may take to stop on stop_signal before SIGKILL.
    stop_timeout: int = 20
    stop_signal: str = "TERM"
    start_seconds: int = 1
    # The user to run as when the stack runs as root (supervisor can switch users only then).
    user: str = ""
    replicated: bool = False
    # Only with STACK_FAULT_PROXY=1.
    fault_proxy_only: bool = False

    def instances(self, stack: "Stack") -> list[str]:
        return stack.web_names() if self.replicated else [self.name]

    def enabled(self, stack: "Stack") -> bool:
        return stack.fault_proxy or not self.fault_proxy_only


def _postgres(ctx: Context) -> str:
    pgdata = ctx.stack.pgdata
    return (
        f"{ctx.binary('/usr/lib/postgresql/*/bin/postgres')} -D {pgdata} -c listen_addresses=127.0.0.1"
        f" -p {ctx.port('postgres')} -k {pgdata}"
        # Statements counted per query shape: what a request costs in SQL (bench-social reads it).
        " -c shared_preload_libraries=pg_stat_statements" + ctx.postgres_options
    )


def _redis(ctx: Context) -> str:
    return (
        f"{ctx.binary('redis-server')} --bind 127.0.0.1 --port {ctx.port('redis')}"
        f" --dir {ctx.path('data', 'redis')} --save '' --appendonly no"
        # A cache: bounded, evicting the least recently used keys.
        " --maxmemory 256mb --maxmemory-policy allkeys-lru"
    )


def _prometheus(ctx: Context) -> str:
    return (
        f"{ctx.binary('prometheus')} --config.file={ctx.path('etc', 'prometheus', 'prometheus.yml')}"
        f" --storage.tsdb.path={ctx.path('data', 'prometheus')} --storage.tsdb.retention.time=7d"
        f" --web.listen-address=127.0.0.1:{ctx.port('prometheus')}"
        f" --web.external-url={ctx.stack.url('prometheus')} --web.enable-lifecycle"
        # Exemplars (the trace_id on the latency histogram's buckets) are dropped without it.
        " --enable-feature=exemplar-storage"
    )


def _alertmanager(ctx: Context) -> str:
    return (
        f"{ctx.binary('prometheus-alertmanager')} --config.file={ctx.alertmanager_config}"
        f" --storage.path={ctx.path('data', 'alertmanager')}"
        f" --web.listen-address=127.0.0.1:{ctx.port('alertmanager')}"
        f" --web.external-url={ctx.stack.url('alertmanager')}"
        # An empty address turns clustering off (it would listen on 0.0.0.0:9094).
        " --cluster.listen-address="
    )


def _postgres_exporter_environment(ctx: Context) -> dict[str, str]:
    source = f"postgresql://app@127.0.0.1:{ctx.port('postgres')}/tweetstack?sslmode=disable"
    return ctx.base | {"DATA_SOURCE_NAME": source}


def _listen(ctx: Context, port: str, dash: str = "--") -> str:
    return f"{dash}web.listen-address=127.0.0.1:{ctx.port(port)}"


def _checklist(ctx: Context) -> str:
    # ProductionReadinessChecklistStale's interval, or STACK_CHECKLIST_INTERVAL seconds.
    interval = os.environ.get("STACK_CHECKLIST_INTERVAL", "")
    return f"{ctx.python} -m checklist --every {interval}".rstrip()


OTEL_PORTS = {
    "otelcol-otlp-grpc": "the collector's OTLP/gRPC receiver",
    "otelcol-otlp-http": "the collector's OTLP/HTTP receiver",
    "otelcol-metrics": "the collector's own metrics",
    "otelcol-spanmetrics": "the collector's span metrics for Prometheus",
    "otelcol-health": "the collector's health check",
    "otelcol-zpages": "the collector's zPages",
}
JAEGER_PORTS = {
    "jaeger-otlp-grpc": "Jaeger's OTLP/gRPC receiver",
    "jaeger-ui": "Jaeger's UI and HTTP API",
    "jaeger-grpc": "Jaeger's query gRPC API",
    "jaeger-health": "Jaeger's health check",
    "jaeger-metrics": "Jaeger's own metrics",
}


def scraped(name: str, what: str, job: str, command, health: str = "/metrics", **options) -> Service:
    """A program Prometheus scrapes (job of jobs.json) on its one port, ready once `health` answers;
    started with the services that read the web replicas."""
    return Service(
        name,
        command,
        SERVICES_PHASE,
        ports={name: what},
        ready=Http(name, health),
        scrape=(job,),
        **options,
    )


# The start order: by phase, then as listed.
SERVICES: tuple[Service, ...] = (
    Service(
        "postgres",
        _postgres,
        INFRASTRUCTURE,
        ports={"postgres": "PostgreSQL"},
        # archive-push reads its options from the server's environment.
        environment=lambda ctx: ctx.base | ctx.pgbackrest,
        ready=postgres_ok,
        # SIGINT is PostgreSQL's fast shutdown: sessions end, data is flushed.
        stop_signal="INT",
        user="postgres",
    ),
    Service("redis", _redis, INFRASTRUCTURE, ports={"redis": "Redis"}, ready=redis_ok),
    # The fault drills' proxy: the app reaches Redis through it, so a drill can slow Redis down.
    Service(
        "toxiproxy",
        lambda ctx: (
            f"{ctx.binaries['TOXIPROXY_BIN']} -host 127.0.0.1 -port {ctx.port('toxiproxy')}"
            f" -config {ctx.path('etc', 'toxiproxy.json')}"
        ),
        INFRASTRUCTURE,
        ports={
            "toxiproxy": "toxiproxy's API (STACK_FAULT_PROXY=1 only)",
            "redis-proxy": "toxiproxy's listener in front of Redis (STACK_FAULT_PROXY=1 only)",
        },
        ready=Http("toxiproxy", "/version"),
        fault_proxy_only=True,
    ),
    # Started with the web replicas: where their traces go.
    Service(
        "jaeger",
        lambda ctx: f"{ctx.binaries['JAEGER_BIN']} --config={ctx.repo / 'monitoring/jaeger/config.yaml'}",
        APP,
        ports=JAEGER_PORTS,
        environment=lambda ctx: ctx.base | ctx.otel,
        ready=Http("jaeger-health", "/status"),
        scrape=("jaeger",),
    ),
    Service(
        "otelcol",
        lambda ctx: (
            f"{ctx.binaries['OTELCOL_BIN']} --config={ctx.repo / 'monitoring/otel-collector/config.yaml'}"
        ),
        APP,
        ports=OTEL_PORTS,
        environment=lambda ctx: ctx.base | ctx.otel,
        ready=Http("otelcol-health"),
        scrape=("otelcol", "otelcol-spanmetrics"),
    ),
    Service(
        "web",
        lambda ctx: f"{ctx.stack.venv_bin / 'gunicorn'} -c {ctx.repo / 'app' / 'gunicorn.conf.py'}",
        APP,
        ports={"web": "web replica 0 (replica i uses web + i)"},
        environment=lambda ctx: ctx.web(ctx.index),
        ready=WebReplica(),
        scrape=("web",),
        # gunicorn finishes requests within GUNICORN_GRACEFUL_TIMEOUT (20 s) on SIGTERM.
        stop_timeout=30,
        start_seconds=3,
        replicated=True,
    ),
    Service(
        "nginx",
        lambda ctx: (
            f"{ctx.binary('nginx')} -p {ctx.stack.www}/ -c {ctx.path('etc', 'nginx', 'nginx.conf')}"
            " -g 'daemon off;'"
        ),
        SERVICES_PHASE,
        ports={
            "nginx": "nginx's plain-HTTP listener (redirects to HTTPS, except /healthz)",
            "nginx-https": "nginx over HTTPS, the public site",
            "nginx-status": "nginx's internal listener (stub_status for the exporter)",
        },
        ready=nginx_ok,
        # SIGQUIT: nginx finishes the requests in flight before it exits.
        stop_signal="QUIT",
    ),
    scraped(
        "prometheus",
        "Prometheus",
        "prometheus",
        _prometheus,
        health="/-/ready",
    ),
    scraped(
        "alertmanager",
        "Alertmanager",
        "alertmanager",
        _alertmanager,
        health="/-/ready",
    ),
    Service(
        "alert-sink",
        lambda ctx: f"{ctx.python} -m stack.alert_sink --receivers {ctx.alertmanager_config}",
        SERVICES_PHASE,
        ready=AlertSink(),
    ),
    scraped(
        "postgres-exporter",
        "the PostgreSQL exporter",
        "postgres",
        lambda ctx: (
            f"{ctx.binary('prometheus-postgres-exporter')} {_listen(ctx, 'postgres-exporter')}"
            f" --extend.query-path={ctx.repo / 'monitoring/postgres-exporter/queries.yaml'}"
        ),
        environment=_postgres_exporter_environment,
    ),
    scraped(
        "redis-exporter",
        "the Redis exporter",
        "redis",
        lambda ctx: (
            f"{ctx.binary('prometheus-redis-exporter')} -redis.addr=redis://127.0.0.1:{ctx.port('redis')}"
            f" {_listen(ctx, 'redis-exporter', dash='-')}"
        ),
    ),
    scraped(
        "nginx-exporter",
        "the nginx exporter",
        "nginx",
        lambda ctx: (
            f"{ctx.binary('prometheus-nginx-exporter')}"
            f" -nginx.scrape-uri=http://127.0.0.1:{ctx.port('nginx-status')}/stub_status"
            f" {_listen(ctx, 'nginx-exporter', dash='-')}"
        ),
    ),
    # nginx's JSON access lines go to its stdout, which supervisor writes (and rotates) to its log.
    scraped(
        "mtail",
        "mtail: nginx's responses by status and upstream errors, from its access log",
        "nginx-log",
        lambda ctx: (
            f"{ctx.binary('mtail')} --progs {ctx.repo / 'monitoring' / 'mtail'}"
            f" --logs {ctx.path('logs', 'nginx.log')} --address 127.0.0.1 --port {ctx.port('mtail')}"
            " --logtostderr"
        ),
    ),
    scraped(
        "node-exporter",
        "the node exporter: the data folder's filesystem, CPU and memory",
        "node",
        lambda ctx: (
            f"{ctx.binary('prometheus-node-exporter')} {_listen(ctx, 'node-exporter')}"
            " --collector.disable-defaults --collector.filesystem --collector.cpu --collector.meminfo"
            f" --collector.filesystem.mount-points-exclude={shlex.quote(ctx.node_mount_exclusion)}"
        ),
    ),
    # Probes nginx's HTTPS listener for Prometheus' job tls (the certificate's expiry).
    scraped(
        "blackbox-exporter",
        "the blackbox exporter: probes the HTTPS listener (certificate expiry)",
        "tls",
        lambda ctx: (
            f"{ctx.binary('prometheus-blackbox-exporter')}"
            f" --config.file={ctx.repo / 'monitoring' / 'blackbox' / 'blackbox.yml'}"
            f" {_listen(ctx, 'blackbox-exporter')}"
            # A probe gets the scrape's timeout less this offset (default 0.5 s): with the tests'
            # STACK_SCRAPE_INTERVAL=500ms the default left none, and every probe failed at once.
            " --timeout-offset=0.1"
        ),
        health="/-/healthy",
    ),
    # Backups on their schedule: one at start when the last is older than BACKUP_INTERVAL_SECONDS
    # (daily), full when the last full is older than BACKUP_FULL_INTERVAL_SECONDS (weekly).
    Service(
        "backup",
        lambda ctx: f"{ctx.python} {ctx.repo / 'app' / 'manage.py'} backup --every",
        SERVICES_PHASE,
        environment=lambda ctx: ctx.django,
    ),
    # The readiness checklist on its schedule, so its exported results stay fresh and a degraded item
    # fires. Last: it reads every other service.
    Service(
        "checklist",
        _checklist,
        SERVICES_PHASE,
        environment=lambda ctx: ctx.base | ctx.stack.environment(),
    ),
)


def by_name(name: str) -> Service:
    return next(service for service in SERVICES if service.name == name)


def listeners() -> dict[str, str]:
    """Every port of every service: name -> what listens there."""
    return {port: what for service in SERVICES for port, what in service.ports.items()}


def fault_proxy_ports() -> tuple[str, ...]:
    return tuple(port for service in SERVICES if service.fault_proxy_only for port in service.ports)


def phase(stack: "Stack", name: str) -> list[str]:
    """The programs of a start phase, in start order."""
    return [
        instance
        for service in SERVICES
        if service.phase == name and service.enabled(stack)
        for instance in service.instances(stack)
    ]


def programs(stack: "Stack") -> list[tuple[Service, int, str]]:
    """(service, index, program name) of every program this stack runs, in start order."""
    return [
        (service, index, instance)
        for name in PHASES
        for service in SERVICES
        if service.phase == name and service.enabled(stack)
        for index, instance in enumerate(service.instances(stack))
    ]
