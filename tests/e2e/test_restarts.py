"""Restarts that lose nothing: a replica SIGTERMed under load, and `make stack-rolling-restart`."""

import os
import signal
import subprocess
import sys
import time

from tests.e2e.conftest import REPLICAS, REPO, wait_until
from tests.e2e.traffic import Traffic, ready, replicas_back_in_rotation


def test_sigterm_to_a_replica_under_load_fails_no_request(stack):
    victim = "web-0"
    old_pid = stack.program_pid(victim)
    try:
        with Traffic(stack.site, readers=4, max_requests=1200, max_seconds=60) as traffic:
            time.sleep(2)
            # gunicorn's master: it stops accepting, lets its workers finish what they serve, exits;
            # supervisor starts it again.
            os.kill(old_pid, signal.SIGTERM)
            wait_until(
                lambda: stack.program_pid(victim) not in (0, old_pid),
                40,
                "supervisor did not start the replica again",
            )
            wait_until(
                lambda: ready(f"http://127.0.0.1:{stack.web_port(0)}/readyz"),
                60,
                "the restarted replica never became ready",
            )
            time.sleep(3)  # and it takes requests again
    finally:
        replicas_back_in_rotation(stack, REPLICAS)

    failed = traffic.failures()
    assert traffic.count("read") >= 100, f"too little load to prove anything: {traffic.count('read')}"
    assert failed == [], f"{len(failed)} of {len(traffic.outcomes)} requests failed: {failed[:5]}"


def test_rolling_restart_under_load_fails_no_request_and_restarts_every_replica(stack):
    before = {name: stack.program_pid(name) for name in ("web-0", "web-1")}
    try:
        with Traffic(stack.site, readers=4, max_requests=2500, max_seconds=120) as traffic:
            time.sleep(1)
            result = subprocess.run(
                [sys.executable, "-m", "stack", "rolling-restart"],
                cwd=REPO,
                env=stack.env,
                capture_output=True,
                text=True,
                timeout=240,
            )
            time.sleep(2)
    finally:
        replicas_back_in_rotation(stack, REPLICAS)

    assert result.returncode == 0, result.stdout + result.stderr
    assert [line for line in result.stdout.splitlines() if "restarted and ready" in line], result.stdout
    after = {name: stack.program_pid(name) for name in before}
    assert all(after[name] not in (0, before[name]) for name in before), (before, after)
    failed = traffic.failures()
    assert traffic.count("read") >= 100, f"too little load to prove anything: {traffic.count('read')}"
    assert failed == [], f"{len(failed)} of {len(traffic.outcomes)} requests failed: {failed[:5]}"
