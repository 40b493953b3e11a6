"""The request's log line: ids that cannot be forged, fields that never carry secrets."""

import io
import json
import logging
import re

import pytest
import structlog
from django.urls import reverse

from observability.logs import OtlpForwarder, RenderOnceFormatter, logging_config
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def request_lines(caplog) -> list[dict]:
    return [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "request_finished"
    ]


def test_a_request_id_with_a_newline_is_replaced_not_logged(client, caplog):
    forged = 'abc\n{"event": "request_finished", "user_id": 1}'
    response = client.get(reverse("explore"), headers={"X-Request-ID": forged})
    generated = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    [line] = request_lines(caplog)
    assert line["request_id"] == generated


def test_a_well_formed_request_id_is_kept_and_echoed(client, caplog):
    response = client.get(reverse("explore"), headers={"X-Request-ID": "edge-7f3a:42"})
    assert response["X-Request-ID"] == "edge-7f3a:42"
    assert request_lines(caplog)[0]["request_id"] == "edge-7f3a:42"


def test_the_logged_in_users_id_is_in_the_line(client, user, caplog):
    client.force_login(user)
    client.get(reverse("home"))
    assert request_lines(caplog)[0]["user_id"] == user.pk


def test_a_password_typed_at_login_appears_in_no_log_record(client, user, caplog):
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD + "-wrong"})
    assert caplog.records
    for record in caplog.records:
        assert PASSWORD not in str(record.msg) and PASSWORD not in record.getMessage()


def render(event: str, json_output: bool = True, **fields) -> str:
    """Log one event through structlog and the configured formatter, and return the line."""
    config = logging_config(json_output=json_output, level="INFO", service_instance="web-9")
    options = {key: value for key, value in config["formatters"]["structured"].items() if key != "()"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(**options))
    target = logging.getLogger("tests.render")
    target.addHandler(handler)
    target.propagate = False
    try:
        structlog.get_logger("tests.render").info(event, **fields)
    finally:
        target.removeHandler(handler)
    return stream.getvalue().rstrip("\n")


def test_sensitive_keys_are_redacted_and_huge_values_truncated():
    line = json.loads(
        render(
            "x",
            password="p4ss",
            Authorization="Bearer t",
            sessionid="abc",
            csrftoken="tok",
            path="/" + "a" * 10_000,
        )
    )
    assert line["password"] == line["Authorization"] == line["sessionid"] == line["csrftoken"] == "[redacted]"
    assert len(line["path"]) < 2100


def test_json_lines_stay_one_line_whatever_the_values(settings):
    rendered = render("line one\nline two", note='\r\n{"forged": 1}')
    assert "\n" not in rendered and json.loads(rendered)["event"] == "line one\nline two"
    assert json.loads(rendered)["service_instance"] == settings.SERVICE_INSTANCE_ID


def test_the_embedded_default_prints_a_readable_console_line():
    rendered = render("request_finished", json_output=False, status=200)
    assert not rendered.startswith("{") and "request_finished" in rendered and "status=200" in rendered


def test_the_otlp_copy_of_a_line_is_the_stdout_line(monkeypatch):
    """One rendering serves both handlers, so even a stdlib record's timestamp is the same in both."""
    config = logging_config(json_output=True, level="INFO", service_instance="web-9")
    options = {key: value for key, value in config["formatters"]["structured"].items() if key != "()"}
    formatter = RenderOnceFormatter(**options)
    stream, shipped = io.StringIO(), []
    stdout = logging.StreamHandler(stream)
    otlp = OtlpForwarder()
    for handler in (stdout, otlp):
        handler.setFormatter(formatter)
    monkeypatch.setattr(OtlpForwarder, "target", type("Target", (), {"handle": shipped.append})())
    target = logging.getLogger("tests.otlp_copy")
    for handler in (stdout, otlp):
        target.addHandler(handler)
    monkeypatch.setattr(target, "propagate", False)
    try:
        target.warning("disk %s is full", "sda")
        structlog.get_logger("tests.otlp_copy").info("request_finished", status=200)
    finally:
        for handler in (stdout, otlp):
            target.removeHandler(handler)
    assert [record.msg for record in shipped] == stream.getvalue().splitlines()
    assert json.loads(shipped[0].msg)["event"] == "disk sda is full"
    assert not [key for record in shipped for key in record.__dict__ if key.startswith("_")]
