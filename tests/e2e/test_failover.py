"""A replica SIGKILLed under load: no failed request, supervisor restarts it, its alert fires."""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from tests.e2e.conftest import http, wait_until

CLIENTS = 4
MAX_REQUESTS = 600
MAX_SECONDS = 40


def bounded_load(stack, stop: threading.Event) -> list:
    """GETs through nginx from CLIENTS threads until stopped, or MAX_REQUESTS / MAX_SECONDS."""
    results, lock = [], threading.Lock()
    deadline = time.monotonic() + MAX_SECONDS

    def client():
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                if len(results) >= MAX_REQUESTS:
                    return
            try:
                status = http(f"{stack.site}/explore/", timeout=15).status
            except OSError as error:
                status = repr(error)
            with lock:
                results.append(status)
            time.sleep(0.02)

    with ThreadPoolExecutor(CLIENTS) as pool:
        for _ in range(CLIENTS):
            pool.submit(client)
    return results


def ready(url: str) -> bool:
    try:
        return http(url, timeout=2).status == 200
    except OSError:
        return False


def up_values(stack, instance: str) -> list[float]:
    result = stack.prometheus(f'up{{job="web", service_instance="{instance}"}}[3m]')
    return [float(value) for _, value in result[0]["values"]] if result else []


def test_killing_a_replica_under_load_loses_no_request_and_fires_web_replica_down(stack):
    victim = "web-0"
    # Run first in a session, the kill could land before Prometheus has a history of `up` to compare.
    wait_until(lambda: len(up_values(stack, victim)) >= 10, 30, f"Prometheus has not scraped {victim} yet")
    old_pid = stack.program_pid(victim)
    killed_at = datetime.now(UTC)
    stop = threading.Event()
    results: list = []
    loader = threading.Thread(target=lambda: results.extend(bounded_load(stack, stop)))
    loader.start()
    try:
        time.sleep(2)
        # The whole replica (gunicorn's master and its workers) dies at once, as in a crash.
        os.killpg(old_pid, signal.SIGKILL)
        new_pid = wait_until(
            lambda: (pid := stack.program_pid(victim)) not in (0, old_pid) and pid,
            30,
            "supervisor did not restart the killed replica",
        )
        wait_until(
            lambda: ready(f"http://127.0.0.1:{stack.web_port(0)}/readyz"),
            60,
            "the restarted replica never became ready",
        )
        time.sleep(3)  # the restarted replica takes traffic again under the same load
    finally:
        stop.set()
        loader.join()

    failed = [status for status in results if status != 200]
    assert len(results) >= 50, f"too little load to prove anything: {len(results)} requests"
    assert failed == [], f"{len(failed)} of {len(results)} requests failed: {failed[:5]}"
    assert new_pid != old_pid

    # Scraped twice a second: a 0 while it was down, then 1 again.
    def down_then_up():
        values = up_values(stack, victim)
        return 0.0 in values and values[-1] == 1.0 and values.index(0.0) < len(values) - 1

    wait_until(down_then_up, 30, f"Prometheus never saw up go 0 then 1: {up_values(stack, victim)}")

    def alert_received():
        alerts = stack.alerts_received("WebReplicaDown", killed_at)
        return next((a for a in alerts if a.get("labels", {}).get("service_instance") == victim), None)

    # Evaluated every 15 s, firing after `for: 15s`, then Alertmanager's group_wait of 10 s.
    alert = wait_until(alert_received, 120, "WebReplicaDown never reached the Alertmanager webhook", 1)
    assert alert["status"] == "firing"
    assert alert["labels"]["severity"] == "critical"
    assert alert["annotations"]["runbook_url"]
