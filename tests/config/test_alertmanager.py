"""Alertmanager's config: the routes with either receivers file is valid for amtool, routes by severity
the same way, and the production receivers read every credential from a file."""

import re
import shutil
import subprocess

import pytest

from stack.layout import (
    ALERTMANAGER_ROUTES,
    LOCAL_RECEIVERS,
    PRODUCTION_RECEIVERS,
    alert_webhook_port,
    alertmanager_config,
)

RECEIVERS = {"sink": LOCAL_RECEIVERS, "production": PRODUCTION_RECEIVERS}

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


@pytest.fixture(params=RECEIVERS, scope="module")
def config_file(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("alertmanager") / f"alertmanager-{request.param}.yml"
    path.write_text(alertmanager_config(RECEIVERS[request.param]))
    return path


def test_amtool_accepts_the_config(config_file):
    result = amtool("check-config", str(config_file))
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("labels,receiver", ROUTES.items(), ids=ROUTES.keys())
def test_alerts_are_routed_by_severity(config_file, labels, receiver):
    result = amtool(
        "config", "routes", "test", f"--config.file={config_file}", f"--verify.receivers={receiver}",
        *labels.split(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_the_routes_file_holds_no_receivers_and_each_receivers_file_the_same_three():
    assert not re.search(r"^receivers:", ALERTMANAGER_ROUTES.read_text(), re.M)
    for path in RECEIVERS.values():
        assert re.findall(r"^  - name: (\w+)$", path.read_text(), re.M) == ["page", "chat", "watchdog"]


def test_notifications_are_grouped_by_alertname_and_service():
    assert re.search(r"^  group_by: \[alertname, service\]$", ALERTMANAGER_ROUTES.read_text(), re.M)


def test_every_sink_receiver_posts_to_the_one_webhook_the_stack_runs():
    urls = re.findall(r"^\s+- url: (\S+)$", LOCAL_RECEIVERS.read_text(), re.M)
    assert len(urls) == 3
    assert set(urls) == {f"http://127.0.0.1:{alert_webhook_port()}/alerts"}


def test_production_receivers_read_every_credential_from_a_secret_file():
    text = PRODUCTION_RECEIVERS.read_text()
    # Alertmanager's keys for a credential given inline; each has a *_file twin used instead.
    keys = "routing_key|service_key|api_url|auth_password|smtp_auth_password|credentials|auth_secret"
    inline = rf"^[\s-]*({keys}):"
    assert not re.search(inline, text, re.M)
    files = re.findall(r"^[\s-]*(\w+_file): (\S+)$", text, re.M)
    assert {key for key, _ in files} == {
        "smtp_auth_password_file", "routing_key_file", "api_url_file", "credentials_file",
    }  # fmt: skip
    assert all(path.startswith("/etc/alertmanager/secrets/") for _, path in files)


def test_production_pages_through_pagerduty_and_chats_through_slack_and_email():
    text = PRODUCTION_RECEIVERS.read_text()
    blocks = dict(re.findall(r"^  - name: (\w+)\n((?:    .*\n|\s*\n)*)", text, re.M))
    assert re.findall(r"^    (\w+_configs):", blocks["page"], re.M) == ["pagerduty_configs"]
    assert re.findall(r"^    (\w+_configs):", blocks["chat"], re.M) == ["slack_configs", "email_configs"]
    assert re.findall(r"^    (\w+_configs):", blocks["watchdog"], re.M) == ["webhook_configs"]


def test_all_replicas_down_inhibits_the_per_replica_alert():
    text = ALERTMANAGER_ROUTES.read_text()
    rule = re.search(r'source_matchers: \[alertname="AllWebReplicasDown"\]\n\s+target_matchers: (.*)', text)
    assert rule and "WebReplicaDown" in rule.group(1)
