"""Metrics, logs and traces as a real gunicorn with two workers serves them."""

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO
from tests.factories import PASSWORD

OPENMETRICS = {"Accept": "application/openmetrics-text; version=1.0.0"}


def sample_sum(exposition: str, metric: str, **labels) -> float:
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == metric and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_request_counter_is_exact_across_two_workers(start_gunicorn):
    server = start_gunicorn()
    requests = 60
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: server.get("/explore/")[0], range(requests)))
    assert statuses == [200] * requests
    served_by = {entry["pid"] for entry in server.json_logs() if entry.get("view") == "explore"}
    assert len(served_by) >= 2, "the requests did not spread over both workers"
    _, _, exposition = server.get("/metrics")
    counted = sample_sum(
        exposition, "django_http_responses_total_by_status_view_method_total", view="explore", status="200"
    )
    assert counted == requests


def test_a_replica_without_a_writable_home_starts_without_an_error(start_gunicorn):
    # The images' user has HOME=/nonexistent on a read-only root: gunicorn 27's control socket under
    # $HOME made every replica log an error at start.
    # /proc: not even root (the tests run as root) can make a folder there.
    server = start_gunicorn(HOME="/proc/nonexistent", XDG_RUNTIME_DIR="")
    assert server.get("/healthz")[0] == 200
    errors = [entry for entry in server.json_logs() if entry.get("level") in ("error", "critical")]
    assert errors == []


def test_each_request_is_one_json_log_line_with_its_ids(start_gunicorn):
    server = start_gunicorn()
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    status, headers, _ = server.get(
        "/explore/",
        {"X-Request-ID": "req-abc-123", "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )
    assert status == 200 and headers["X-Request-ID"] == "req-abc-123"
    lines = server.wait_for_log(lambda entry: entry.get("request_id") == "req-abc-123")
    assert len(lines) == 1
    line = lines[0]
    assert line["event"] == "request_finished" and line["level"] == "info"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", line["timestamp"])
    assert (line["method"], line["route"], line["view"], line["status"]) == (
        "GET",
        "explore/",
        "explore",
        200,
    )
    assert line["duration_ms"] > 0
    assert line["trace_id"] == trace_id and re.fullmatch(r"[0-9a-f]{16}", line["span_id"])
    assert line["service_instance"] == "web-test-0"
    assert line["user_id"] is None


def test_gunicorn_own_logs_use_the_same_json_renderer(start_gunicorn):
    server = start_gunicorn()
    lines = server.wait_for_log(lambda entry: entry.get("logger") == "gunicorn.error")
    assert all("timestamp" in entry and "level" in entry for entry in lines)


def test_a_generated_request_id_is_echoed_when_none_or_a_bad_one_is_sent(start_gunicorn):
    server = start_gunicorn()
    for sent in ({}, {"X-Request-ID": "x" * 5000}, {"X-Request-ID": "bad id with spaces"}):
        _, headers, _ = server.get("/explore/", sent)
        generated = headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
        server.wait_for_log(lambda entry, generated=generated: entry.get("request_id") == generated)
    # gunicorn itself refuses a 10 KB header line before the app sees it.
    assert server.get("/explore/", {"X-Request-ID": "x" * 10_000})[0] == 431
    assert all(len(line) < 4000 for line in server.log_lines())


def test_login_secrets_never_reach_the_logs(start_gunicorn):
    import http.cookiejar
    import urllib.parse
    import urllib.request

    server = start_gunicorn()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(server.base + "/accounts/signup/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": "logsafe", "password1": PASSWORD, "password2": PASSWORD}
    opener.open(server.base + "/accounts/signup/", urllib.parse.urlencode(form).encode())
    opener.open(
        urllib.request.Request(server.base + "/explore/", headers={"Authorization": "Bearer hunter2-token"})
    )
    secrets = [PASSWORD, token, "hunter2-token"] + [cookie.value for cookie in jar]
    server.wait_for_log(lambda entry: entry.get("view") == "explore" and entry.get("user_id"))
    text = server.log_path.read_text()
    for secret in secrets:
        assert secret not in text


def test_latency_histogram_carries_trace_id_exemplars_across_workers(start_gunicorn):
    server = start_gunicorn()
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    server.get("/explore/", {"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"})
    _, headers, exposition = server.get("/metrics", OPENMETRICS)
    assert headers["Content-Type"].startswith("application/openmetrics-text")
    exemplar_lines = [
        line
        for line in exposition.splitlines()
        if line.startswith("django_http_requests_latency_seconds_by_view_method_bucket") and " # " in line
    ]
    assert any(f'trace_id="{trace_id}"' in line and 'view="explore"' in line for line in exemplar_lines)


def test_requests_succeed_quickly_and_log_once_while_the_trace_exporter_is_down(start_gunicorn):
    from tests.harness import free_port

    closed = free_port()
    server = start_gunicorn(
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{closed}",
        OTEL_BSP_SCHEDULE_DELAY="100",
        OTEL_EXPORTER_OTLP_TIMEOUT="1",
        WEB_CONCURRENCY="1",
    )
    durations = []
    for _ in range(20):
        started = time.perf_counter()
        status, _, _ = server.get("/explore/")
        durations.append(time.perf_counter() - started)
        assert status == 200
        time.sleep(0.1)
    # The exporter retries for up to 10 s per batch; a request that waited for it would show that.
    assert max(durations) < 2.0
    server.wait_for_log(lambda entry: entry.get("event") == "trace_export_failing")
    time.sleep(1)
    failures = [line for line in server.log_lines() if "export" in line.lower() and "fail" in line.lower()]
    assert len(failures) == 1, "\n".join(failures)


def test_workers_export_spans_and_logs_over_otlp_http(start_gunicorn):
    """Tracing starts after the fork: a provider made in the master would have no export thread here."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    spans, logs, resources = [], [], []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                request = ExportTraceServiceRequest.FromString(body)
                for resource in request.resource_spans:
                    resources.append(resource.resource)
                    spans.extend(span for scope in resource.scope_spans for span in scope.spans)
            elif self.path == "/v1/logs":
                request = ExportLogsServiceRequest.FromString(body)
                for resource in request.resource_logs:
                    logs.extend(record for scope in resource.scope_logs for record in scope.log_records)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args):
            pass

    collector = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    trace_id = "1234567890abcdef1234567890abcdef"

    def request_log_shipped():
        return [
            json.loads(record.body.string_value)
            for record in list(logs)
            if record.trace_id.hex() == trace_id and '"request_finished"' in record.body.string_value
        ]

    try:
        server = start_gunicorn(
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.server_port}",
            OTEL_TRACES_EXPORTER="otlp",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_BLRP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_OTLP_TIMEOUT="1",  # the workers flush on exit, after this stand-in has gone
        )
        server.get("/explore/", {"traceparent": f"00-{trace_id}-1234567890abcdef-01"})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (
            any(s.kind == 2 and s.trace_id.hex() == trace_id for s in spans) and request_log_shipped()
        ):
            time.sleep(0.1)
    finally:
        collector.shutdown()
    assert any(span.kind == 2 and span.trace_id.hex() == trace_id for span in spans)  # SPAN_KIND_SERVER
    attributes = {a.key: a.value.string_value for a in resources[0].attributes}
    assert attributes["service.name"] == "tweetstack-web"
    assert attributes["service.instance.id"] == "web-test-0"
    assert attributes["deployment.environment"] == "production"
    [line] = request_log_shipped()
    assert line["view"] == "explore" and line["trace_id"] == trace_id
    # structlog's logger object is no OTLP attribute: OpenTelemetry warned of it on every request.
    assert not [entry for entry in server.json_logs() if entry.get("logger") == "opentelemetry.attributes"]


def test_gunicorn_builds_no_access_log_line():
    # Stock gunicorn turns its access log on whenever a log config is set, as ours is.
    script = (
        "import runpy; from gunicorn.config import Config; conf = runpy.run_path('gunicorn.conf.py'); "
        "cfg = Config(); [cfg.set(k, conf[k]) for k in ('logconfig_dict', 'accesslog', 'logger_class')]; "
        "print(bool(cfg.logconfig_dict), cfg.logger_class(cfg).access_log_enabled)"
    )
    # Every runtime gives the bind address (gunicorn.conf.py has no default of its own).
    env = os.environ | {"GUNICORN_BIND": "127.0.0.1:0"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO / "app", env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "False"]
