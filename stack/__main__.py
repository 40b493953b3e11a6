"""`python -m stack up|status|logs|rolling-restart|restore|down|clean`: the native stack's commands
(make stack-*, make restore)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from stack import pgbackrest, registry, render, services
from stack import ports as port_table
from stack.layout import REPO, SYSTEM_PACKAGES, Stack, StackError, find_binary


def log(message: str) -> None:
    print(f"stack: {message}", flush=True)


def build(script: str, what: str) -> dict[str, str]:
    """Runs a scripts/build-*.sh (pinned Go builds, cached) and returns the NAME=path lines it prints."""
    result = subprocess.run([str(REPO / "scripts" / script)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise StackError(f"building {what} failed (scripts/{script}, output above)")
    return dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)


def build_otel() -> dict[str, str]:
    return build("build-otel.sh", "the collector and Jaeger")


def build_toxiproxy() -> dict[str, str]:
    return build("build-toxiproxy.sh", "toxiproxy")


def manage(stack: Stack, *arguments: str, env: dict) -> str:
    result = subprocess.run(
        [str(stack.venv_bin / "python"), str(REPO / "app" / "manage.py"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-3000:])
        raise StackError(f"manage.py {arguments[0]} failed (output above)")
    return result.stdout


def image_max_bytes(stack: Stack, env: dict) -> int:
    """The app's image limit as the app computes it, so nginx's body limit never disagrees."""
    code = "from django.conf import settings; print(settings.IMAGE_MAX_BYTES)"
    return int(manage(stack, "shell", "--no-imports", "-c", code, env=env).strip().splitlines()[-1])


def start_phase(stack: Stack, phase: str) -> None:
    """Starts a phase's programs (stack/registry.py) together and waits until every one is ready."""
    names = registry.phase(stack, phase)
    services.start(stack, *names)
    services.wait_ready(stack, names, stack.ready_timeout)


def up(stack: Stack) -> None:
    started = time.monotonic()
    if services.supervisord_pid(stack):
        log(f"already running from {stack.state}; `make stack-down` first to apply changes")
        print_urls(stack)
        return
    for binary in SYSTEM_PACKAGES:
        find_binary(binary)
    if not (stack.venv_bin / "supervisord").exists():
        raise StackError("supervisord not found in the virtualenv: run `make install`")
    port_table.check_free(stack.listening())
    services.check_reachable_by_service_users(stack)
    stack.state.mkdir(parents=True, exist_ok=True)
    binaries = build_otel() | (build_toxiproxy() if stack.fault_proxy else {})
    # Secrets first: manage.py runs with the same environment as the replicas.
    django_env = render.django_environment(stack, render.secret(stack, "django-secret-key", 50))
    limit = image_max_bytes(stack, django_env)
    render.render_all(stack, binaries, limit, log)
    log(f"state in {stack.state}; {stack.replicas} web replicas; rendered {stack.supervisor_conf}")
    services.init_postgres(stack)
    services.start_supervisord(stack)
    try:
        start_phase(stack, registry.INFRASTRUCTURE)
        pgbackrest.create_stanza(render.base_environment() | render.pgbackrest_environment(stack))
        services.create_database(stack)
        log("migrating the database and collecting static files")
        manage(stack, "migrate", "--noinput", env=django_env)
        manage(stack, "collectstatic", "--noinput", env=django_env)
        start_phase(stack, registry.APP)
        start_phase(stack, registry.SERVICES_PHASE)
    except BaseException:
        log("start failed; stopping what started (state kept; `make stack-logs` shows the logs)")
        services.stop_supervisord(stack)
        raise
    log(f"ready in {time.monotonic() - started:.1f}s")
    print_urls(stack)


def restore(stack: Stack, target_time: str, backup_set: str) -> None:
    if not services.supervisord_pid(stack):
        raise StackError(f"not running (state folder {stack.state}): `make stack` first")
    env = render.base_environment() | render.pgbackrest_environment(stack)
    took = pgbackrest.restore(stack, env, pgbackrest.restore_options(target_time, backup_set), log)
    log(f"PostgreSQL restored and serving again in {took:.1f}s")


def urls(stack: Stack) -> dict[str, str]:
    table = {
        "site (nginx)": stack.site_url(),
        "site's certificate": (
            f"{stack.tls_cert}  (STACK_TLS_CERT)"
            if stack.tls_cert
            else f"from the local CA {stack.ca_file}  (trust it to verify the site; plain HTTP redirects)"
        ),
        "Jaeger": stack.url("jaeger-ui"),
        "Prometheus": stack.url("prometheus"),
        "Alertmanager": stack.url("alertmanager"),
        "alert webhook log": str(stack.path("logs", "alert-sink.log")),
        "nginx stub_status": stack.url("nginx-status", "/stub_status"),
        "nginx log metrics": stack.url("mtail", "/metrics"),
        "collector zPages": stack.url("otelcol-zpages", "/debug/tracez"),
        "OTLP/HTTP": stack.url("otelcol-otlp-http"),
        "OTLP/gRPC": f"127.0.0.1:{stack.ports['otelcol-otlp-grpc']}",
        "PostgreSQL": stack.database_url(),
        "Redis": stack.redis_url(),
    }
    for name, port in zip(stack.web_names(), stack.web_ports(), strict=True):
        table[name] = f"http://127.0.0.1:{port}/  (/readyz, /metrics with the token in secrets/metrics-token)"
    return table


def print_urls(stack: Stack) -> None:
    for label, url in urls(stack).items():
        print(f"  {label:<20} {url}")
    print(f"  {'logs':<20} {stack.path('logs')}/  (make stack-logs)")


def status(stack: Stack) -> int:
    if not services.supervisord_pid(stack):
        log(f"not running (state folder {stack.state})")
        return 3
    print(services.supervisorctl(stack, "status", check=False).stdout, end="")
    table = services.probes(stack)
    not_ready = [name for name, probe in table.items() if not probe()]
    log("every service answers" if not not_ready else f"not answering: {', '.join(not_ready)}")
    print_urls(stack)
    return 1 if not_ready else 0


def logs(stack: Stack, names: list[str], follow: bool) -> None:
    files = [str(stack.path("logs", f"{name}.log")) for name in names] or sorted(
        str(path) for path in stack.path("logs").glob("*.log")
    )
    if not files:
        raise StackError(f"no logs under {stack.path('logs')}: start the stack with `make stack`")
    tail = shutil.which("tail") or "/usr/bin/tail"
    os.execv(tail, [tail, "-n", "20", *(["-F"] if follow else []), *files])  # noqa: S606


def down(stack: Stack) -> None:
    if services.stop_supervisord(stack):
        log(f"stopped; data kept in {stack.state} (`make stack-clean` removes it)")
    else:
        log("not running")


def clean(stack: Stack) -> None:
    down(stack)
    if stack.state.exists():
        shutil.rmtree(stack.state)
        log(f"removed {stack.state}")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start the stack and wait until it is ready")
    up_parser.add_argument(
        "--replicas", type=int, default=None, help="web replicas (default STACK_REPLICAS or 2)"
    )
    commands.add_parser("status", help="every service's state and the URLs")
    logs_parser = commands.add_parser("logs", help="the services' logs")
    logs_parser.add_argument("names", nargs="*", help="e.g. web-0 nginx (default: all)")
    logs_parser.add_argument("--no-follow", action="store_true")
    commands.add_parser("rolling-restart", help="restart the web replicas one at a time, each until ready")
    restore_parser = commands.add_parser(
        "restore", help="restore PostgreSQL from pgBackRest's repository (to now, or to --time)"
    )
    restore_parser.add_argument("--time", default="", help='e.g. "2026-12-02 01:30:00+00" (default: all WAL)')
    restore_parser.add_argument("--set", default="", help="a label of `pgbackrest info` (default newest)")
    commands.add_parser("down", help="stop every service, keep the data")
    commands.add_parser("clean", help="stop and remove the state folder")
    commands.add_parser("ports", help="the port table as JSON")
    manage_parser = commands.add_parser("manage", help="run app/manage.py with the stack's settings")
    manage_parser.add_argument("arguments", nargs=argparse.REMAINDER, help="e.g. seed_demo --tweets 100")
    pid_parser = commands.add_parser("pid", help="the pid of one supervised program")
    pid_parser.add_argument("program", help="e.g. web-0")
    return parser


def rolling_restart(stack: Stack) -> None:
    if not services.supervisord_pid(stack):
        raise StackError(f"not running (state folder {stack.state}): `make stack` first")
    services.rolling_restart(stack, log)


def run_manage(stack: Stack, arguments: list[str]) -> None:
    env = render.django_environment(stack, render.secret(stack, "django-secret-key", 50))
    print(manage(stack, *arguments, env=env), end="")


# command -> what it does with the stack and the parsed arguments; a return value is the exit code.
COMMANDS = {
    "up": lambda stack, arguments: up(stack),
    "status": lambda stack, arguments: status(stack),
    "logs": lambda stack, arguments: logs(stack, arguments.names, follow=not arguments.no_follow),
    "rolling-restart": lambda stack, arguments: rolling_restart(stack),
    "restore": lambda stack, arguments: restore(stack, arguments.time, arguments.set),
    "down": lambda stack, arguments: down(stack),
    "clean": lambda stack, arguments: clean(stack),
    "ports": lambda stack, arguments: print(json.dumps(stack.listening(), indent=2)),
    "manage": lambda stack, arguments: run_manage(stack, arguments.arguments),
    "pid": lambda stack, arguments: print(
        services.supervisorctl(stack, "pid", arguments.program).stdout.strip()
    ),
}


def main(argv: list[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    stack = Stack.from_env(replicas=getattr(arguments, "replicas", None))
    return COMMANDS[arguments.command](stack, arguments) or 0


if __name__ == "__main__":
    sys.exit(main())
