"""Alertmanager's config: valid for amtool, routed by severity, every receiver on the one webhook port."""

import re
import shutil
import subprocess

import pytest

from stack.layout import ALERTMANAGER_CONFIG, alert_webhook_port

# labels of an alert -> the receiver it must reach
ROUTES = {
    "alertname=Watchdog severity=none service=alerting": "watchdog",
    "alertname=WebReplicaDown severity=critical service=web": "page",
    "alertname=RedisDown severity=critical service=redis": "page",
    "alertname=ErrorBudgetBurn severity=critical burn=fast slo=availability service=web": "page",
    "alertname=ErrorBudgetBurn severity=warning burn=slow slo=latency service=web": "chat",
    "alertname=CacheHitRatioLow severity=warning service=web": "chat",
    "alertname=SomethingNew": "chat",
}


def amtool(*arguments: str) -> subprocess.CompletedProcess:
    path = shutil.which("amtool")
    if not path:
        pytest.fail("amtool not found: install it with `apt-get install -y prometheus-alertmanager`")
    return subprocess.run([path, *arguments], capture_output=True, text=True, timeout=60)


def test_amtool_accepts_the_config():
    result = amtool("check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("labels,receiver", ROUTES.items(), ids=ROUTES.keys())
def test_alerts_are_routed_by_severity(labels, receiver):
    result = amtool(
        "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}", f"--verify.receivers={receiver}",
        *labels.split(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_notifications_are_grouped_by_alertname_and_service():
    assert re.search(r"^  group_by: \[alertname, service\]$", ALERTMANAGER_CONFIG.read_text(), re.M)


def test_every_receiver_posts_to_the_one_webhook_the_stack_runs():
    text = ALERTMANAGER_CONFIG.read_text()
    receivers = re.findall(r"^  - name: (\w+)$", text, re.M)
    urls = re.findall(r"^\s+- url: (\S+)$", text, re.M)
    assert set(receivers) == {"page", "chat", "watchdog"}
    assert len(urls) == len(receivers)
    assert set(urls) == {f"http://127.0.0.1:{alert_webhook_port()}/alerts"}


def test_all_replicas_down_inhibits_the_per_replica_alert():
    text = ALERTMANAGER_CONFIG.read_text()
    rule = re.search(r'source_matchers: \[alertname="AllWebReplicasDown"\]\n\s+target_matchers: (.*)', text)
    assert rule and "WebReplicaDown" in rule.group(1)
