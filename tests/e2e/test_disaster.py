"""Disaster drill: under a steady stream of posts PostgreSQL loses its data folder and is SIGKILLed;
`make restore` (python -m stack restore) brings it back from pgBackRest's repository. Measured: the
acknowledged tweets lost (RPO) and the time until the site takes posts again (RTO)."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from stack.pgbackrest import server_settings
from stack.services import stat_fields
from tests.e2e.conftest import REPLICAS, REPO, wait_until
from tests.e2e.test_outages import database_texts, logged_in
from tests.e2e.traffic import Traffic, create_users, replicas_back_in_rotation

# Every tweet acknowledged this long before the failure must survive: its WAL segment was switched
# by archive_timeout and pushed (the slack is for archive-push on a loaded machine).
ARCHIVE_TIMEOUT = float(server_settings()["archive_timeout"].removesuffix("s"))
SURVIVAL_SLACK = 20.0


def parent(process: Path) -> int:
    return int(stat_fields(process.name)[1])


def kill_server(postmaster: int) -> None:
    """SIGKILL the postmaster and every process it started. Each of them is a session of its own
    (PostgreSQL calls setsid in every child), so killing the postmaster's process group would leave
    the backends running; stopped first, the postmaster starts no new one meanwhile."""
    os.kill(postmaster, signal.SIGSTOP)
    children = []
    for process in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            if process.name.isdigit() and parent(process) == postmaster:
                children.append(int(process.name))
    for pid in [*children, postmaster]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def recorded(stack, job: str) -> bool:
    status = stack.state / "backups" / "status.json"
    return status.exists() and f"{job}_last_success_timestamp_seconds" in json.loads(status.read_text())


def a_backup_exists(stack) -> bool:
    return recorded(stack, "backup")


def test_the_backup_program_backs_up_at_start_and_then_runs_the_restore_drill(stack):
    wait_until(lambda: recorded(stack, "backup_restore_drill"), 400, "no scheduled restore drill ran")
    log = "\n".join(stack.log_lines("backup"))
    assert "Backup written" in log and "pgBackRest full" in log and "Restore drill passed" in log, log[-2000:]


def test_postgres_killed_with_its_data_folder_lost_is_restored_from_the_repository(stack):
    # The scheduled backup program takes the stack's first backup once it starts.
    wait_until(lambda: a_backup_exists(stack), 300, "the backup program took no backup")
    posters = logged_in(stack, create_users(stack, 4))
    pgdata = stack.state / "data" / "postgres"
    with Traffic(
        stack.site, readers=1, posters=posters, post_every=0.6, max_requests=5000, max_seconds=240
    ) as traffic:
        time.sleep(45)  # a steady stream of posts, archived as it goes
        # The disk is gone: the folder vanishes under the running server, which is then killed, every
        # process of it: a backend left alive would go on acknowledging tweets into the lost folder.
        lost_folder = pgdata.with_name("postgres-lost")
        pgdata.rename(lost_folder)
        kill_server(stack.program_pid("postgres"))
        failed_at = time.monotonic()
        shutil.rmtree(lost_folder)
        restore = subprocess.run(
            [sys.executable, "-m", "stack", "restore"],
            cwd=REPO,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert restore.returncode == 0, restore.stdout + restore.stderr

        def serving_posts():
            return [o for o in traffic.outcomes if o.kind == "post" and o.ok and o.started > failed_at]

        first = wait_until(serving_posts, 120, "no post succeeded after the restore")[0]
        rto = first.ended - failed_at
        time.sleep(3)
    replicas_back_in_rotation(stack, REPLICAS)

    acknowledged = [o for o in traffic.outcomes if o.kind == "post" and o.ok and o.ended < failed_at]
    present = database_texts(stack, [o.text for o in acknowledged])
    lost = [o for o in acknowledged if o.text not in present]
    window = max((failed_at - o.ended for o in lost), default=0.0)
    print(
        f"\nDISASTER DRILL: {len(acknowledged)} tweets acknowledged before the failure, RPO {len(lost)} "
        f"lost (acknowledged within the last {window:.1f}s), RTO {rto:.1f}s to the first post served "
        f"again ({restore.stdout.strip().splitlines()[-1]})"
    )
    assert len(acknowledged) >= 50
    old_enough = [o for o in lost if failed_at - o.ended > ARCHIVE_TIMEOUT + SURVIVAL_SLACK]
    assert not old_enough, f"{len(old_enough)} tweets acknowledged long before the failure were lost"
    after = [o.text for o in traffic.outcomes if o.kind == "post" and o.ok and o.started > failed_at]
    assert set(after) <= database_texts(stack, after), "a tweet acknowledged after the restore is missing"
    # While PostgreSQL is gone, and while the restored server replays WAL (read-only), a post is a 503.
    assert not [o for o in traffic.outcomes if o.status == 500], "a request failed with a 500"
