"""Renders what differs between runtimes (addresses, limits, secrets) and the supervisor config.

The shared configs are linked, not copied, into etc/<component>/ under the state folder, beside the
files rendered here, because nginx and Prometheus resolve their relative includes against the folder
of the config file they were given.
"""

import hashlib
import json
import os
import re
import secrets
import string
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from stack import appconfig, pgbackrest, registry
from stack import ports as port_table
from stack.layout import REPO, Stack, StackError, alertmanager_config, find_binary

if TYPE_CHECKING:
    from stack import tls

TEMPLATES = Path(__file__).parent / "templates"


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    temporary.chmod(mode)
    temporary.replace(path)


def link_shared(source_dir: Path, target_dir: Path) -> None:
    """Symlink every file and folder of a shared config folder into a runtime folder."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for source in source_dir.iterdir():
        target = target_dir / source.name
        if target.is_symlink() or target.is_file():
            target.unlink()
        target.symlink_to(source)


def secret(stack: Stack, name: str, length: int) -> str:
    """A secret generated on first use and kept in secrets/ (mode 0600) across restarts."""
    path = stack.path("secrets", name)
    if not path.exists():
        write(path, secrets.token_urlsafe(length), mode=0o600)
    return path.read_text().strip()


def nginx_timeouts(timeouts: dict[str, float]) -> str:
    """nginx's timeouts.conf from the app's config/timeouts.env (Terraform renders the same lines)."""
    connect, read = int(timeouts["NGINX_PROXY_CONNECT_TIMEOUT"]), int(timeouts["NGINX_PROXY_READ_TIMEOUT"])
    return (
        f"proxy_connect_timeout {connect}s;\n"
        f"proxy_send_timeout {read}s;\n"
        f"proxy_read_timeout {read}s;\n"
        f'map "" $tweetstack_retry_after {{ default {int(timeouts["RETRY_AFTER"])}; }}\n'
    )


def app_timeouts() -> dict[str, float]:
    """The declared timeouts with this environment's overrides, which the app receives too."""
    return appconfig.reader().timeouts()


def upload_form_overhead() -> int:
    """What a posted form carries besides its image (app/config/limits.env): nginx's body limit is
    the app's IMAGE_MAX_BYTES plus this."""
    return int(appconfig.declared(REPO / "app/config/limits.env")["UPLOAD_FORM_OVERHEAD_BYTES"])


def listen_public(stack: Stack, certificate: "tls.TlsFiles") -> str:
    """The public server's listeners: plain HTTP (redirected by tls.conf) and HTTPS with HTTP/2 (as
    `listen ... http2`, which Debian 12's nginx 1.22 takes; `http2 on;` needs 1.25)."""
    https = stack.ports["nginx-https"]
    return (
        f"listen 127.0.0.1:{stack.ports['nginx']};\n"
        f"listen 127.0.0.1:{https} ssl http2;\n"
        f"ssl_certificate {certificate.cert};\n"
        f"ssl_certificate_key {certificate.key};\n"
        f"set $tweetstack_https_port {https};\n"
        "include tls.conf;\n"
    )


def render_nginx(stack: Stack, image_max_bytes: int, log=lambda message: None) -> None:
    # Imported here: the checklist image reads this module but has no `cryptography` (the CA's).
    from stack import tls

    certificate = tls.ensure(stack, log)
    conf = stack.path("etc", "nginx")
    link_shared(REPO / "nginx", conf)
    servers = "".join(f"server 127.0.0.1:{port};\n" for port in stack.web_ports())
    write(conf / "web-replicas.conf", servers)
    write(conf / "listen-public.conf", listen_public(stack, certificate))
    write(conf / "listen-internal.conf", f"listen 127.0.0.1:{stack.ports['nginx-status']};\n")
    write(conf / "limits.conf", f"client_max_body_size {image_max_bytes + upload_form_overhead()};\n")
    write(conf / "timeouts.conf", nginx_timeouts(app_timeouts()))
    # mtail reads the access log from stdout, which supervisor writes (and rotates) to logs/nginx.log.
    write(conf / "access-log.conf", f"# stdout only: mtail reads {stack.path('logs', 'nginx.log')}\n")
    for folder in ("static", "media", "run"):
        (stack.www / folder).mkdir(parents=True, exist_ok=True)


def _targets(address_groups: list[tuple[list[int], dict]], scrape_interval: str) -> str:
    groups = []
    for ports, labels in address_groups:
        labels = dict(labels)
        if scrape_interval:
            # Per-target overrides of the global intervals (the shared prometheus.yml stays as it is).
            labels |= {"__scrape_interval__": scrape_interval, "__scrape_timeout__": scrape_interval}
        groups.append({"targets": [f"127.0.0.1:{port}" for port in ports], "labels": labels})
    return json.dumps(groups, indent=2) + "\n"


def prometheus_jobs() -> dict[str, dict]:
    return json.loads((REPO / "monitoring" / "prometheus" / "jobs.json").read_text())


def probe_labels(target: dict, port_of: dict[str, int]) -> dict[str, str]:
    """A probing job's target label: the URL its exporter probes (jobs.json's "probe"), on loopback here."""
    probe = target.get("probe")
    if not probe:
        return {}
    return {"__param_target": f"https://127.0.0.1:{port_of[probe['port']]}{probe['path']}"}


def scrape_targets(stack: Stack) -> dict[str, list[tuple[list[int], dict]]]:
    """job -> its target groups: each registry entry's scrape jobs, on the port jobs.json names."""
    # monitoring/prometheus/jobs.json: each job's service and its port's ports.env name.
    port_of = {port_table.service_variable(name): port for name, port in stack.ports.items()}
    declared = prometheus_jobs()
    jobs = {}
    for service in registry.SERVICES:
        for job in service.scrape:
            target = declared[job]
            if service.replicated:
                jobs[job] = [
                    ([port], {"service_instance": name})
                    for name, port in zip(stack.web_names(), stack.web_ports(), strict=True)
                ]
            else:
                jobs[job] = [([port_of[target["port"]]], probe_labels(target, port_of))]
    if missing := set(declared) - set(jobs):
        raise StackError(f"no service of stack/registry.py scrapes job(s) {', '.join(sorted(missing))}")
    return jobs


def render_prometheus(stack: Stack, metrics_token: str) -> None:
    conf = stack.path("etc", "prometheus")
    link_shared(REPO / "monitoring" / "prometheus", conf)
    for job, groups in scrape_targets(stack).items():
        write(conf / "targets" / f"{job}.json", _targets(groups, stack.scrape_interval))
    write(conf / "secrets" / "metrics-token", metrics_token + "\n", mode=0o600)


def _environment(variables: dict[str, str]) -> str:
    # supervisor expands %(name)s in its config, so a literal % is doubled.
    return ",".join(f'{key}="{str(value).replace("%", "%%")}"' for key, value in variables.items())


APP_TUNABLES = (
    "IMAGE_MAX_BYTES",
    "BACKUP_DIR",
    "BACKUP_KEEP",
    "BACKUP_INTERVAL_SECONDS",
    "BACKUP_FULL_INTERVAL_SECONDS",
    "BACKUP_DRILL_INTERVAL_SECONDS",
    "METRICS_ENABLED",
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
)


def pgbackrest_environment(stack: Stack) -> dict[str, str]:
    return pgbackrest.environment(stack, secret(stack, "pgbackrest-cipher-pass", 48))


def base_environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(Path.home())}


def web_environment(stack: Stack, index: int, django_secret: str, metrics_token: str) -> dict[str, str]:
    port, name = stack.web_ports()[index], stack.web_names()[index]
    env = django_environment(stack, django_secret) | {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "GUNICORN_THREADS": os.environ.get("GUNICORN_THREADS", "2"),
        "LOG_FORMAT": "json",
        "SERVICE_INSTANCE_ID": name,
        "PROMETHEUS_MULTIPROC_DIR": str(stack.path("run", "metrics", name)),
        "METRICS_TOKEN": metrics_token,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{stack.ports['otelcol-otlp-http']}",
        "OTEL_SERVICE_NAME": "tweetstack-web",
        # Ship spans every second (the SDK's default is 5 s), so a trace is searchable at once.
        "OTEL_BSP_SCHEDULE_DELAY": "1000",
    }
    return env


def django_environment(stack: Stack, django_secret: str) -> dict[str, str]:
    """Production settings behind nginx's HTTPS on loopback; the same for the replicas and manage.py.

    SSL redirect, Secure cookies and HSTS are on, as in any production: nginx terminates TLS and tells
    the app (X-Forwarded-Proto); the health and metrics paths the stack probes directly are exempt.
    """
    origins = [f"https://{host}:{stack.ports['nginx-https']}" for host in ("127.0.0.1", "localhost")]
    env = (
        base_environment()
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": django_secret,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_CSRF_TRUSTED_ORIGINS": ",".join(origins),
            "DATABASE_URL": stack.database_url(),
            "REDIS_URL": stack.app_redis_url(),
            "DJANGO_MEDIA_ROOT": str(stack.www / "media"),
            "DJANGO_STATIC_ROOT": str(stack.www / "static"),
            "DJANGO_SERVE_MEDIA": "false",
            "DEPLOYMENT_ENVIRONMENT": "native-stack",
            # nginx sets X-Real-IP (nginx/proxy.conf); without it every client would share nginx's address.
            "RATELIMIT_IP_META_KEY": "HTTP_X_REAL_IP",
            # Backups, their status and the checklist's results stay with the stack's other state.
            "BACKUP_DIR": str(stack.path("backups")),
            "BACKUP_METHOD": "pgbackrest",
        }
        | pgbackrest_environment(stack)
    )
    # App settings a caller may tune for this stack (limits, rate limits, timeouts, the benchmark's
    # on/off switches).
    tunables = {*APP_TUNABLES, *appconfig.reader().declared()}
    env |= {
        key: value for key, value in os.environ.items() if key in tunables or key.startswith("RATELIMIT_")
    }
    return env


def otel_environment(stack: Stack) -> dict[str, str]:
    """What monitoring/otel-collector/config.yaml and monitoring/jaeger/config.yaml read: the stack's
    ports under ports.env's names, and the hosts (all loopback here)."""
    return {port_table.service_variable(name): str(port) for name, port in stack.ports.items()} | {
        "OTELCOL_LISTEN_HOST": "127.0.0.1",
        "JAEGER_HOST": "127.0.0.1",
        "JAEGER_LISTEN_HOST": "127.0.0.1",
        "OTELCOL_LOG_FILE": str(stack.path("data", "otelcol", "logs.jsonl")),
    }


def mount_point(path: Path) -> str:
    """The mount point of the filesystem holding path (path need not exist yet)."""
    path = path.absolute()
    while not path.exists():
        path = path.parent
    path = path.resolve()
    while not os.path.ismount(path):
        path = path.parent
    return str(path)


def mount_points(mounts: Path = Path("/proc/self/mounts")) -> set[str]:
    points = set()
    for line in mounts.read_text().splitlines():
        fields = line.split()
        if len(fields) > 1:
            # fstab(5) escapes of spaces, tabs, newlines and backslashes.
            points.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1]))
    return points


def node_exporter_mount_exclusion(stack: Stack) -> str:
    """node_exporter's mount-points-exclude pattern: every mount point but the data folder's, so its
    filesystem metrics (and DiskFillingUp) are about the filesystem that holds the stack's data."""
    data = mount_point(stack.pgdata)
    others = sorted(point for point in mount_points() if point != data)
    return "^(" + "|".join(re.escape(point) for point in others) + ")$"


def context(
    stack: Stack, binaries: dict[str, str], django_secret: str, metrics_token: str
) -> registry.Context:
    """What the registry's commands and environments are built from."""
    return registry.Context(
        stack=stack,
        repo=REPO,
        binary=find_binary,
        binaries=binaries,
        base=base_environment(),
        django=django_environment(stack, django_secret),
        web=lambda index: web_environment(stack, index, django_secret, metrics_token),
        otel=otel_environment(stack),
        pgbackrest=pgbackrest_environment(stack),
        postgres_options=pgbackrest.server_options(),
        alertmanager_config=alertmanager_path(stack),
        node_mount_exclusion=node_exporter_mount_exclusion(stack),
    )


@dataclass(frozen=True)
class Program:
    """One supervised program as rendered: its registry entry, command line and environment."""

    service: registry.Service
    command: str
    environment: dict[str, str]


def programs(stack: Stack, binaries: dict[str, str], django_secret: str, metrics_token: str) -> dict:
    """name -> Program, from the registry; the order is the start order."""
    ctx = context(stack, binaries, django_secret, metrics_token)
    table = {}
    for service, index, name in registry.programs(stack):
        instance = replace(ctx, index=index)
        table[name] = Program(service, service.command(instance), service.environment(instance))
    return table


def program_block(stack: Stack, name: str, program: Program) -> str:
    service = program.service
    # supervisor switches users only when it runs as root.
    user = service.user if os.geteuid() == 0 else ""
    return string.Template((TEMPLATES / "program.conf").read_text()).substitute(
        name=name,
        command=program.command.replace("%", "%%"),
        directory=REPO,
        environment=_environment(program.environment),
        user_line=f"user={user}" if user else "",
        startsecs=service.start_seconds,
        stopsignal=service.stop_signal,
        stopwaitsecs=service.stop_timeout,
        state=stack.state,
    )


def render_supervisor(stack: Stack, program_table: dict[str, Program]) -> None:
    text = string.Template((TEMPLATES / "supervisord.conf").read_text()).substitute(
        state=stack.state,
        repo=REPO,
        state_id=hashlib.sha256(str(stack.state).encode()).hexdigest()[:8],
        programs="\n".join(program_block(stack, name, program) for name, program in program_table.items()),
    )
    # Holds the Django secret and the metrics token.
    write(stack.supervisor_conf, text, mode=0o600)


def render_toxiproxy(stack: Stack) -> None:
    """The fault proxy's one proxy: the app's Redis connections, passed through until a drill adds a toxic."""
    proxies = [
        {
            "name": "redis",
            "listen": f"127.0.0.1:{stack.ports['redis-proxy']}",
            "upstream": f"127.0.0.1:{stack.ports['redis']}",
            "enabled": True,
        }
    ]
    write(stack.path("etc", "toxiproxy.json"), json.dumps(proxies, indent=2) + "\n")


def render_alertmanager(stack: Stack) -> None:
    # Generated, not linked: Alertmanager reads one file, the routes followed by the sink's receivers,
    # which post to this stack's sink port (receivers.yml's, or STACK_PORT_ALERT_SINK).
    write(alertmanager_path(stack), alertmanager_config(sink_port=stack.alert_port))


def alertmanager_path(stack: Stack) -> Path:
    return stack.path("etc", "alertmanager", "alertmanager.yml")


def render_all(stack: Stack, binaries: dict[str, str], image_max_bytes: int, log=print) -> dict:
    django_secret = secret(stack, "django-secret-key", 50)
    metrics_token = secret(stack, "metrics-token", 32)
    for folder in ("logs", "run", "data/redis", "data/prometheus", "data/alertmanager", "data/otelcol"):
        stack.path(folder).mkdir(parents=True, exist_ok=True)
    pgbackrest.prepare(stack)
    for name in stack.web_names():
        stack.path("run", "metrics", name).mkdir(parents=True, exist_ok=True)
    render_nginx(stack, image_max_bytes, log)
    render_prometheus(stack, metrics_token)
    render_alertmanager(stack)
    if stack.fault_proxy:
        render_toxiproxy(stack)
    table = programs(stack, binaries, django_secret, metrics_token)
    render_supervisor(stack, table)
    return table
