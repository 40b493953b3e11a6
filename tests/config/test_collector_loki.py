"""The collector with the Loki overlay (Compose and Terraform): logs reach Loki's OTLP endpoint and the file.

Loki cannot run here, so a stand-in answers its OTLP/HTTP path; the collector is the real binary.
"""

import gzip
import json
import os
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from tests.conftest import REPO
from tests.harness import free_port, wait_for_port

TRACE_ID = "5b8efff798038103d269b633813fc60c"


def collector_binary() -> str:
    result = subprocess.run(
        [str(REPO / "scripts" / "build-otel.sh")], capture_output=True, text=True, check=True
    )
    return dict(line.split("=", 1) for line in result.stdout.split())["OTELCOL_BIN"]


def test_logs_go_to_loki_and_to_the_file_sink(tmp_path):
    received: list[ExportLogsServiceRequest] = []

    class Loki(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":  # the exporter's default
                body = gzip.decompress(body)
            if self.path == "/otlp/v1/logs":
                received.append(ExportLogsServiceRequest.FromString(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args):
            pass

    loki = ThreadingHTTPServer(("127.0.0.1", 0), Loki)
    threading.Thread(target=loki.serve_forever, daemon=True).start()
    names = ("OTLP_GRPC", "OTLP_HTTP", "SPANMETRICS", "METRICS", "HEALTH", "ZPAGES")
    ports = {f"OTELCOL_{name}_PORT": str(free_port()) for name in names}
    log_file = tmp_path / "logs.jsonl"
    env = {
        **os.environ,
        **ports,
        "OTELCOL_LISTEN_HOST": "127.0.0.1",
        "JAEGER_HOST": "127.0.0.1",
        "JAEGER_OTLP_GRPC_PORT": str(free_port()),
        "OTELCOL_LOG_FILE": str(log_file),
        "LOKI_HOST": "127.0.0.1",
        "LOKI_PORT": str(loki.server_port),
    }
    configs = [
        f"--config={REPO / 'monitoring/otel-collector' / name}" for name in ("config.yaml", "loki.yaml")
    ]
    collector = subprocess.Popen(
        [collector_binary(), *configs], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(int(ports["OTELCOL_HEALTH_PORT"]))
        wait_for_port(int(ports["OTELCOL_OTLP_HTTP_PORT"]))
        record = {
            "timeUnixNano": str(time.time_ns()),
            "body": {"stringValue": '{"event": "request_finished", "password": "hunter2"}'},
            "traceId": TRACE_ID,
            "attributes": [{"key": "password", "value": {"stringValue": "hunter2"}}],
        }
        payload = {
            "resourceLogs": [
                {
                    "resource": {
                        "attributes": [{"key": "service.name", "value": {"stringValue": "tweetstack-web"}}]
                    },
                    "scopeLogs": [{"logRecords": [record]}],
                }
            ]
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{ports['OTELCOL_OTLP_HTTP_PORT']}/v1/logs",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert urllib.request.urlopen(request, timeout=5).status == 200
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (
            received and log_file.exists() and log_file.stat().st_size
        ):
            time.sleep(0.1)
    finally:
        collector.terminate()
        collector.wait(timeout=15)
        loki.shutdown()
    records = [
        r for req in received for rl in req.resource_logs for sl in rl.scope_logs for r in sl.log_records
    ]
    assert [r.trace_id.hex() for r in records] == [TRACE_ID]
    attributes = {a.key: a.value.string_value for a in records[0].attributes}
    assert attributes["password"] != "hunter2"  # the redaction processor runs before every exporter
    assert TRACE_ID in log_file.read_text().lower()
