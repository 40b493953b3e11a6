"""Talking to the running stack: supervisor, PostgreSQL set-up, readiness probes."""

import os
import shutil
import subprocess
import time
import xmlrpc.client
from pathlib import Path

from stack import registry
from stack.layout import Stack, StackError, find_binary


def supervisorctl(stack: Stack, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(stack.venv_bin / "supervisorctl"), "-c", str(stack.supervisor_conf), *arguments],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def supervisord_pid(stack: Stack) -> int | None:
    """The pid of this state folder's supervisord, or None when it is not running."""
    try:
        pid = int(stack.path("run", "supervisord.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command: state, ppid, ... (proc(5)); raises OSError
    when there is no such process."""
    # pid (command) state ppid ...: the command may hold spaces and parentheses, the last ")" ends it.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _alive(pid: int) -> bool:
    """Running (a zombie has exited: it only waits for its parent to reap it)."""
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def start_supervisord(stack: Stack) -> None:
    # A clean environment: nothing of the caller's (DATABASE_URL, DJANGO_*, OTEL_*) leaks into a service.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    subprocess.run(
        [str(stack.venv_bin / "supervisord"), "-c", str(stack.supervisor_conf)],
        env=env,
        check=True,
        timeout=30,
    )
    deadline = time.monotonic() + 15
    while supervisorctl(stack, "pid", check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise StackError(f"supervisord did not start; see {stack.path('logs', 'supervisord.log')}")
        time.sleep(0.1)


def rpc(stack: Stack):
    """supervisord's XML-RPC interface on its unix socket."""
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, f"unix://{stack.path('run', 'supervisor.sock')}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def start(stack: Stack, *names: str) -> None:
    """Starts the programs at once, without waiting for each (wait_ready probes them)."""
    server = rpc(stack)
    for name in names:
        try:
            server.supervisor.startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" not in fault.faultString:
                raise StackError(
                    f"{name} did not start ({fault.faultString}); see {stack.path('logs', name + '.log')}"
                ) from None


def stop_for_good(stack: Stack, name: str, timeout: float) -> None:
    """Stops a program and makes sure supervisor does not start it again: one that has just died
    (EXITED) is restarted on supervisor's next tick, and stopping it then finds it NOT_RUNNING. Done
    once supervisor reports it STOPPED, or FATAL (it gave up restarting it)."""
    server = rpc(stack)
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.supervisor.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise
        if server.supervisor.getProcessInfo(name)["statename"] in ("STOPPED", "FATAL"):
            return
        if time.monotonic() > deadline:
            raise StackError(f"{name} did not stay stopped within {timeout:.0f}s")
        time.sleep(0.2)


def stop_supervisord(stack: Stack, timeout: float = 90) -> bool:
    """Stops every service, then supervisord; True when something was running."""
    pid = supervisord_pid(stack)
    if pid is None:
        return False
    supervisorctl(stack, "shutdown", check=False)
    deadline = time.monotonic() + timeout
    # Until the process is gone: supervisord removes its pid file a moment before it exits.
    while _alive(pid):
        if time.monotonic() > deadline:
            raise StackError(f"supervisord (pid {pid}) did not stop within {timeout:.0f}s")
        time.sleep(0.2)
    return True


def as_postgres_owner() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def check_reachable_by_service_users(stack: Stack) -> None:
    """As root, PostgreSQL runs as `postgres` and nginx workers as `nobody`: both must reach the state."""
    if os.geteuid() != 0:
        return
    for parent in [stack.state, *stack.state.parents]:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise StackError(
                f"{parent} is not searchable by other users (postgres, nginx's workers): "
                f"set STACK_DIR to a folder outside it, e.g. STACK_DIR=/var/tmp/tweetstack-stack"
            )


def init_postgres(stack: Stack) -> None:
    if (stack.pgdata / "PG_VERSION").exists():
        return
    initdb = os.path.join(os.path.dirname(find_binary("/usr/lib/postgresql/*/bin/postgres")), "initdb")
    stack.pgdata.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(stack.pgdata, "postgres", "postgres")
    stack.pgdata.chmod(0o700)
    # Trust on loopback only: listen_addresses is 127.0.0.1 and the socket lives in the data folder.
    result = subprocess.run(
        [*as_postgres_owner(), initdb, "-D", str(stack.pgdata), "-U", "app", "--auth=trust", "-E", "UTF8"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise StackError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")


def create_database(stack: Stack, name: str = "tweetstack") -> None:
    import psycopg

    with psycopg.connect(stack.database_url("postgres"), autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def postgres_in_recovery(stack: Stack) -> bool:
    """True while a restored server replays WAL (it accepts reads, not writes, until it promotes)."""
    import psycopg

    with psycopg.connect(stack.database_url("postgres"), connect_timeout=2) as connection:
        row = connection.execute("SELECT pg_is_in_recovery()").fetchone()
    return bool(row and row[0])


def probes(stack: Stack) -> dict:
    """program -> a function that is True once the program serves (its registry entry's probe)."""
    table = {}
    for service, index, name in registry.programs(stack):
        if service.ready is None:
            table[name] = lambda name=name: running(stack, name)
        else:
            table[name] = lambda probe=service.ready, index=index: probe(stack, index)
    return table


def running(stack: Stack, name: str) -> bool:
    return rpc(stack).supervisor.getProcessInfo(name)["statename"] == "RUNNING"


def wait_ready(stack: Stack, names: list[str], timeout: float) -> None:
    table = probes(stack)
    pending = list(names)
    deadline = time.monotonic() + timeout
    server = rpc(stack)
    while pending:
        pending = [name for name in pending if not table[name]()]
        if not pending:
            return
        # A program supervisor gave up on (it kept exiting at once) will never answer.
        failed = [name for name in pending if server.supervisor.getProcessInfo(name)["statename"] == "FATAL"]
        if failed:
            _print_tail(stack, failed[0])
            raise StackError(
                f"{failed[0]} keeps exiting at start; see {stack.path('logs', failed[0] + '.log')}"
            )
        if time.monotonic() > deadline:
            _print_tail(stack, pending[0])
            log = stack.path("logs", pending[0] + ".log")
            raise StackError(
                f"{', '.join(pending)} not ready after {timeout:.0f}s; see {log} "
                "(raise STACK_READY_TIMEOUT on a slow machine)"
            )
        time.sleep(0.3)


# nginx takes a replica that refused a connection out for fail_timeout (its default, 10 s: the upstream
# servers set none); the next replica stops only once nginx sends to the restarted one again.
NGINX_FAIL_TIMEOUT = 10


def rolling_restart(stack: Stack, log) -> None:
    """Restarts the web replicas one at a time, each back to ready (and back in nginx's rotation)
    before the next stops.

    supervisor stops a replica with SIGTERM: gunicorn stops accepting, finishes the requests in flight
    (graceful timeout) and exits; nginx sends new requests to the other replicas meanwhile.
    """
    names = stack.web_names()
    table = probes(stack)
    if len(names) < 2:
        log("one replica only: requests fail while it restarts (REPLICAS=2 or more avoids that)")
    server = rpc(stack)
    for name in names:
        others = [other for other in names if other != name]
        not_ready = [other for other in others if not table[other]()]
        if not_ready:
            raise StackError(f"{', '.join(not_ready)} not ready; restarting {name} now would drop requests")
        started = time.monotonic()
        server.supervisor.stopProcess(name, True)
        server.supervisor.startProcess(name, False)
        wait_ready(stack, [name], stack.ready_timeout)
        log(f"{name} restarted and ready in {time.monotonic() - started:.1f}s")
        if name != names[-1]:
            time.sleep(NGINX_FAIL_TIMEOUT)


def _print_tail(stack: Stack, name: str, lines: int = 5) -> None:
    log = stack.path("logs", f"{name}.log")
    for line in log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else []:
        print(f"  {name}| {line[:300]}")
