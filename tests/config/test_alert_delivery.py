"""The production receivers deliver for real: a real Alertmanager loads the shared routes followed by
receivers.production.yml and notifies stand-ins that speak PagerDuty's Events API v2, a Slack incoming
webhook, SMTP (aiosmtpd, with AUTH) and a dead man's switch, each credential read from its secret file.

The only edits to the production file are its deployment addresses (the SMTP relay, PagerDuty's URL,
the dead man's switch, the secrets folder), each asserted to occur exactly once, so a reshaped file
fails here instead of being tested by accident.
"""

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from stack.layout import PRODUCTION_RECEIVERS, alertmanager_config
from tests.harness import free_port, wait_for_port

SECRETS = {
    "pagerduty_routing_key": "test-routing-key-0123",
    "smtp_password": "test-smtp-password",
    "watchdog_token": "test-watchdog-token",
}
ALERTS = [
    {
        "labels": {"alertname": "WebReplicaDown", "severity": "critical", "service": "web", "job": "web"},
        "annotations": {
            "summary": "Web replica web-0 is down",
            "description": "Prometheus cannot scrape web-0.",
            "runbook_url": "docs/runbooks/WebReplicaDown.md",
        },
    },
    {
        "labels": {"alertname": "CacheHitRatioLow", "severity": "warning", "service": "web"},
        "annotations": {
            "summary": "Timeline cache hit ratio is low",
            "description": "Under 50% for 15 minutes.",
            "runbook_url": "docs/runbooks/CacheHitRatioLow.md",
        },
    },
    {"labels": {"alertname": "Watchdog", "severity": "none", "service": "alerting"}, "annotations": {}},
]


class Recorder(BaseHTTPRequestHandler):
    """PagerDuty (POST /v2/enqueue), Slack (POST /slack) and the dead man's switch (POST /ping)."""

    received: list

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, dict(self.headers), body))
        if self.path == "/v2/enqueue":  # PagerDuty answers 202 with the event's dedup key
            answer = {"status": "success", "message": "Event processed", "dedup_key": body.get("dedup_key")}
            self._answer(202, json.dumps(answer).encode(), "application/json")
        else:  # Slack answers 200 "ok"
            self._answer(200, b"ok", "text/plain")

    def _answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class Mailbox:
    """aiosmtpd handler and authenticator: keeps each message and each login."""

    def __init__(self):
        self.messages, self.logins = [], []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((mechanism, auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password.decode() == SECRETS["smtp_password"])


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"receivers.production.yml should contain {old!r} once"
    return text.replace(old, new)


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """The stand-ins' records after Alertmanager, with the production receivers, notified the three alerts."""
    binary = shutil.which("prometheus-alertmanager")
    if not binary:
        pytest.fail("prometheus-alertmanager not found: `apt-get install -y prometheus-alertmanager`")
    folder = tmp_path_factory.mktemp("alert-delivery")
    handler = type("Handler", (Recorder,), {"received": []})
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    stand_in = f"http://127.0.0.1:{http.server_address[1]}"
    mailbox = Mailbox()
    # PLAIN only: aiosmtpd's LOGIN prompts ("User Name") differ from the "Username:" Alertmanager expects.
    smtp = Controller(
        mailbox, hostname="127.0.0.1", port=free_port(), authenticator=mailbox, auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )  # fmt: skip
    smtp.start()

    secrets = folder / "secrets"
    secrets.mkdir()
    # Without a trailing newline, as Compose and Terraform write them: Alertmanager 0.25 trims the
    # PagerDuty key and the Slack URL but sends the SMTP password file's bytes as they are.
    for name, value in SECRETS.items():
        (secrets / name).write_text(value)
    (secrets / "slack_webhook_url").write_text(f"{stand_in}/slack")
    config = alertmanager_config(PRODUCTION_RECEIVERS)
    config = replace_once(config, "smtp.example.org:587", f"127.0.0.1:{smtp.port}")
    # aiosmtpd offers no STARTTLS here; Go's SMTP client still sends a password only to a loopback host.
    config = replace_once(config, "smtp_require_tls: true", "smtp_require_tls: false")
    config = replace_once(config, "https://events.pagerduty.com/v2/enqueue", f"{stand_in}/v2/enqueue")
    config = replace_once(config, "https://deadmansswitch.example.org/ping/tweetstack", f"{stand_in}/ping")
    config = config.replace("/etc/alertmanager/secrets/", f"{secrets}/")
    (folder / "alertmanager.yml").write_text(config)

    port = free_port()
    log = folder / "alertmanager.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                binary, f"--config.file={folder / 'alertmanager.yml'}", f"--storage.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        wait_for_port(port)
        api = f"http://127.0.0.1:{port}"
        request = urllib.request.Request(
            f"{api}/api/v2/alerts", json.dumps(ALERTS).encode(), {"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=5)
        # group_wait is 10 s for pages and chat: wait for all four deliveries, or 60 s.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (len(handler.received) < 3 or not mailbox.messages):
            time.sleep(0.5)
        metrics = urllib.request.urlopen(f"{api}/metrics", timeout=5).read().decode()
        yield {"http": handler.received, "mailbox": mailbox, "metrics": metrics}
    finally:
        process.terminate()
        process.wait(timeout=10)
        smtp.stop()
        http.shutdown()
        http.server_close()
        print(log.read_text()[-3000:])


def posted(delivered, path: str) -> tuple[dict, dict]:
    found = [(headers, body) for p, headers, body in delivered["http"] if p == path]
    assert found, f"nothing was posted to {path}; got {[p for p, _, _ in delivered['http']]}"
    return found[0]


def test_critical_alerts_page_through_pagerduty_with_the_key_from_its_file(delivered):
    _, event = posted(delivered, "/v2/enqueue")
    assert event["routing_key"] == SECRETS["pagerduty_routing_key"]
    assert event["event_action"] == "trigger"
    assert event["payload"]["severity"] == "critical"
    assert "WebReplicaDown" in event["payload"]["summary"]
    assert event["links"] == [{"href": "docs/runbooks/WebReplicaDown.md", "text": "runbook"}]


def test_warnings_reach_slack_at_the_webhook_url_from_its_file(delivered):
    _, message = posted(delivered, "/slack")
    attachment = message["attachments"][0]
    assert attachment["title"] == "[FIRING] CacheHitRatioLow (web)"
    assert "Timeline cache hit ratio is low" in attachment["text"]
    assert "docs/runbooks/CacheHitRatioLow.md" in attachment["text"]


def test_warnings_are_emailed_after_logging_in_with_the_password_from_its_file(delivered):
    mailbox = delivered["mailbox"]
    assert mailbox.logins and all(login[1:] == ("tweetstack-alerts@example.org", "test-smtp-password")
                                  for login in mailbox.logins)  # fmt: skip
    envelope = mailbox.messages[0]
    assert envelope.mail_from == "tweetstack-alerts@example.org"
    assert envelope.rcpt_tos == ["tweetstack-oncall@example.org"]
    assert "CacheHitRatioLow" in message_from_bytes(envelope.original_content)["Subject"]


def test_the_watchdog_heartbeats_to_the_dead_mans_switch_with_its_token(delivered):
    headers, payload = posted(delivered, "/ping")
    assert headers["Authorization"] == f"Bearer {SECRETS['watchdog_token']}"
    assert [alert["labels"]["alertname"] for alert in payload["alerts"]] == ["Watchdog"]


def test_alertmanager_counts_every_notification_and_no_failure(delivered):
    metrics = delivered["metrics"]
    for integration in ("pagerduty", "slack", "email", "webhook"):
        sent = f'alertmanager_notifications_total{{integration="{integration}"}}'
        failed = f'alertmanager_notifications_failed_total{{integration="{integration}"}}'
        assert f"{sent} 1" in metrics, sent
        assert f"{failed} 0" in metrics, failed
