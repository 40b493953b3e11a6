"""The alerting path on the live stack: the rules load and read real series, alerts reach the webhook.

The Watchdog (always firing) is seen at the webhook here; WebReplicaDown by test_failover.py (a
SIGKILLed replica) and RedisDown by test_outages.py (Redis stopped), which own those faults, so the
session stops Redis once. Alertmanager's inhibition is seen on its API.
"""

import json
import re
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import http, wait_until

# Series a fresh stack cannot have: the backup and checklist series appear once a backup or the
# first (scheduled) checklist run has happened.
NOT_IN_A_FRESH_STACK = re.compile(
    r"backup_last_success_timestamp_seconds|pgbackrest_backup_last_timestamp_seconds|tweetstack_checklist_\w+"
)


def rule_groups(stack) -> list[dict]:
    return http(stack.url("prometheus", "/api/v1/rules")).json()["data"]["groups"]


def test_every_rule_loads_and_evaluates_without_error(stack):
    def all_evaluated():
        return all(group["lastEvaluation"].startswith("20") for group in rule_groups(stack))

    wait_until(all_evaluated, 60, "some rule group was never evaluated")
    rules = [rule for group in rule_groups(stack) for rule in group["rules"]]
    assert len(rules) >= 40
    broken = [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"]
    assert broken == []


def test_every_metric_the_rules_read_exists_in_the_live_prometheus(stack):
    names = set()
    for group in rule_groups(stack):
        for rule in group["rules"]:
            names |= set(re.findall(r"\b([a-z_][a-z0-9_]*)\{", rule["query"]))
    names = {name for name in names if not NOT_IN_A_FRESH_STACK.fullmatch(name)}
    assert len(names) >= 10
    missing = [name for name in sorted(names) if not stack.prometheus(f'count({{__name__="{name}"}})')]
    assert missing == []


def test_the_watchdog_reaches_the_webhook(stack):
    def arrived():
        return stack.alerts_received("Watchdog", datetime(2000, 1, 1, tzinfo=UTC))

    alert = wait_until(arrived, 90, "the Watchdog never reached the Alertmanager webhook", 1)[0]
    assert alert["status"] == "firing"
    assert alert["labels"]["severity"] == "none"
    assert alert["annotations"]["runbook_url"] == "docs/runbooks/Watchdog.md"


def test_all_replicas_down_inhibits_web_replica_down_in_alertmanager(stack):
    # Synthetic alerts under a service of their own (inhibition is per service), gone in a minute.
    service = f"inhibition-probe-{uuid.uuid4().hex[:8]}"
    ends = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    alerts = [
        {"labels": {"alertname": name, "service": service, "severity": "critical"}, "endsAt": ends}
        for name in ("AllWebReplicasDown", "WebReplicaDown")
    ]
    response = http(
        stack.url("alertmanager", "/api/v2/alerts"),
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 200, response.body

    def states():
        query = urllib.parse.urlencode({"filter": f'service="{service}"'})
        found = http(stack.url("alertmanager", f"/api/v2/alerts?{query}")).json()
        return {alert["labels"]["alertname"]: alert["status"]["state"] for alert in found}

    wait_until(lambda: states().get("WebReplicaDown") == "suppressed", 30, f"not inhibited: {states()}")
    assert states()["AllWebReplicasDown"] == "active"
