"""Sentry: an unhandled exception reaches the ingest (a local stand-in speaking the envelope protocol)."""

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.urls import reverse

from config.settings.sentry import configure_sentry
from tweets import selectors

pytestmark = pytest.mark.django_db


class Ingest(BaseHTTPRequestHandler):
    envelopes: list[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # sentry-sdk prefers brotli when the package is installed
            import brotli

            body = brotli.decompress(body)
        Ingest.envelopes.append([json.loads(line) for line in body.splitlines() if line.strip()])
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_ingest(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Ingest.envelopes = []
    monkeypatch.setenv("SENTRY_DSN", f"http://publickey@127.0.0.1:{server.server_port}/42")
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "test-env")
    assert configure_sentry(environment="development", release="0.1.0")
    yield Ingest
    sentry_sdk.get_client().close()
    monkeypatch.delenv("SENTRY_DSN")
    sentry_sdk.init()  # no DSN (sentry_sdk reads SENTRY_DSN otherwise): later tests send nothing
    server.shutdown()


def test_sentry_is_off_without_a_dsn(monkeypatch):
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert configure_sentry(environment="development", release="0.1.0") is False


def test_an_unhandled_exception_is_reported_with_request_and_trace_ids(client, sentry_ingest, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("timeline exploded")

    monkeypatch.setattr(selectors, "explore_timeline", explode)
    client.raise_request_exception = False
    response = client.get(reverse("explore"), headers={"X-Request-ID": "req-sentry-1"})
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "timeline exploded" not in response.text
    sentry_sdk.flush(timeout=5)
    events = [item for envelope in sentry_ingest.envelopes for item in envelope if "exception" in item]
    assert len(events) == 1
    event = events[0]
    assert event["exception"]["values"][-1]["value"] == "timeline exploded"
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert len(event["tags"]["trace_id"]) == 32
    assert event["environment"] == "test-env" and event["release"] == "0.1.0"
    assert "cookies" not in event.get("request", {}) and "user" not in event
