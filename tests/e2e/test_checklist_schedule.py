"""The checklist on its schedule: a readiness item that degrades fires its alert with nobody running
`make checklist`, and the exported results stay fresh."""

import time
from datetime import UTC, datetime

from tests.e2e.conftest import CHECKLIST_INTERVAL, wait_until


def last_run(stack) -> float:
    found = stack.prometheus('max(tweetstack_checklist_last_run_timestamp_seconds{job="web"})')
    return float(found[0]["value"][1]) if found else 0.0


def test_the_scheduled_checklist_exports_results_nobody_asked_for(stack):
    # Nothing in this session ran `make checklist` before this test: the stack's program did.
    ran_at = wait_until(
        lambda: last_run(stack), CHECKLIST_INTERVAL * 2, "no scheduled checklist run was exported"
    )
    assert time.time() - ran_at < CHECKLIST_INTERVAL * 2
    assert stack.prometheus('tweetstack_checklist_item_status{job="web", item="scaling.replicas"}')


def test_a_replica_stopped_fails_its_item_and_the_alert_reaches_the_sink(stack):
    since = datetime.now(UTC)
    assert "stopped" in stack.supervisorctl("stop", "web-1")
    try:

        def replicas_item_failing():
            return [
                alert
                for alert in stack.alerts_received("ProductionReadinessItemFailing", since)
                if alert["labels"].get("item") == "scaling.replicas" and alert["status"] == "firing"
            ]

        # The next run (within an interval) records the failure; the rule's `for` is 1 m.
        alert = wait_until(
            replicas_item_failing, CHECKLIST_INTERVAL + 150, "ProductionReadinessItemFailing never arrived", 2
        )[0]
        assert alert["labels"]["category"] == "scaling"
        assert alert["annotations"]["runbook_url"] == "docs/runbooks/ProductionReadinessItemFailing.md"
    finally:
        stack.supervisorctl("start", "web-1")
    wait_until(
        lambda: (
            all(sample["value"][1] == "1" for sample in stack.prometheus('up{job="web"}'))
            and len(stack.prometheus('up{job="web"}')) == 2
        ),
        60,
        "web-1 did not come back",
    )
