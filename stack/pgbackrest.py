"""The native stack's pgBackRest: WAL archiving settings for PostgreSQL, the repository under the
state folder, the stanza, and restoring the stack's database from the repository (make restore).

The shared files are postgres/archiving.conf (the server's settings) and postgres/pgbackrest.conf
(pgBackRest's); this module adds what is this stack's own, as PGBACKREST_* variables.
"""

import os
import shlex
import shutil
import subprocess
import time

from stack import services
from stack.layout import REPO, Stack, StackError

ARCHIVING_CONF = REPO / "postgres" / "archiving.conf"
PGBACKREST_CONF = REPO / "postgres" / "pgbackrest.conf"
STANZA = "tweetstack"


def server_settings(path=ARCHIVING_CONF) -> dict[str, str]:
    """postgresql.conf lines (name = value, '' quoted values) as a dict."""
    settings = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()  # no value here holds a #
        if not line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        settings[name] = value[1:-1].replace("''", "'") if value.startswith("'") else value
    return settings


def server_options(path=ARCHIVING_CONF) -> str:
    """The settings as postgres command-line options (-c name=value)."""
    return "".join(f" -c {shlex.quote(f'{name}={value}')}" for name, value in server_settings(path).items())


def environment(stack: Stack, cipher_pass: str) -> dict[str, str]:
    """What the server (archive-push), the backup jobs and a restore give pgBackRest."""
    return {
        "PGBACKREST_CONFIG": str(PGBACKREST_CONF),
        "PGBACKREST_STANZA": STANZA,
        "PGBACKREST_REPO1_PATH": str(stack.path("data", "pgbackrest")),
        "PGBACKREST_REPO1_CIPHER_PASS": cipher_pass,
        "PGBACKREST_PG1_PATH": str(stack.pgdata),
        "PGBACKREST_PG1_PORT": str(stack.ports["postgres"]),
        "PGBACKREST_PG1_SOCKET_PATH": str(stack.pgdata),
        "PGBACKREST_PG1_USER": "app",
        "PGBACKREST_LOCK_PATH": str(stack.path("run", "pgbackrest")),
    } | off_host_repository()


def off_host_repository(environ=os.environ) -> dict[str, str]:
    """The second repository (S3, off the host), configured by pgBackRest's own PGBACKREST_REPO2_*
    options in the caller's environment (type, endpoint, bucket, region, keys, cipher)."""
    return {key: value for key, value in environ.items() if key.startswith("PGBACKREST_REPO2_")}


def prepare(stack: Stack) -> None:
    """The repository and lock folders, owned by the server's user (archive-push runs as it)."""
    for folder in (stack.path("data", "pgbackrest"), stack.path("run", "pgbackrest")):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o750)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")


def run(env: dict[str, str], *arguments: str, timeout: float = 3600) -> str:
    result = subprocess.run(
        [*services.as_postgres_owner(), "pgbackrest", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise StackError(f"pgbackrest {arguments[0]} failed: {' '.join(lines[-3:])}")
    return result.stdout


def create_stanza(env: dict[str, str]) -> None:
    """Idempotent: stanza-create accepts a stanza that matches this server; check proves archiving."""
    run(env, "stanza-create", timeout=300)
    run(env, "check", timeout=300)


def restore_options(target_time: str, backup_set: str) -> list[str]:
    """pgBackRest's restore options: to the end of the archived WAL, or to a moment (then promote)."""
    options = [f"--set={backup_set}"] if backup_set else []
    if target_time:
        options += ["--type=time", f"--target={target_time}", "--target-action=promote"]
    return options


def restore(stack: Stack, env: dict[str, str], options: list[str], log) -> float:
    """Stops the stack's PostgreSQL, restores its data folder from the repository, starts it and waits
    until it serves writes again; returns the seconds that took."""
    started = time.monotonic()
    # Also a server supervisor keeps restarting (BACKOFF) on a lost data folder: started again while
    # the restore writes the folder, it would serve a half-restored database.
    services.stop_for_good(stack, "postgres", stack.ready_timeout)
    pgdata = stack.pgdata
    if (pgdata / "PG_VERSION").exists():
        # Only the files that differ from the backup are copied back.
        options = [*options, "--delta"]
    elif pgdata.exists() and any(pgdata.iterdir()):
        raise StackError(f"{pgdata} is neither a PostgreSQL data folder nor empty: move it away first")
    prepare(stack)
    pgdata.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(pgdata, "postgres", "postgres")
    pgdata.chmod(0o700)
    log(f"restoring {pgdata} from the repository ({' '.join(options) or 'newest backup, all archived WAL'})")
    run(env, "restore", *options)
    services.start(stack, "postgres")
    services.wait_ready(stack, ["postgres"], stack.ready_timeout)
    deadline = time.monotonic() + stack.ready_timeout
    while services.postgres_in_recovery(stack):
        if time.monotonic() > deadline:
            raise StackError(f"PostgreSQL still recovering after {stack.ready_timeout:.0f}s")
        time.sleep(0.2)
    return time.monotonic() - started
