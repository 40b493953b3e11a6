"""A minimal Alertmanager webhook receiver: prints each notified alert as one JSON line on stdout.

The native stack runs it under supervisor (its log is logs/alert-sink.log), so `make stack-logs`
shows what would have paged someone. POST /alerts takes Alertmanager's webhook payload; GET /healthz
answers 200. It listens on the port of the webhook URLs in monitoring/alertmanager/receivers.yml,
where that port is written once; containers run this file alone, so it needs only the standard library.
"""

import argparse
import json
import re
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY_BYTES = 1024 * 1024


def webhook_port(receivers: Path) -> int:
    """The loopback port every webhook receiver of the receivers file posts to."""
    ports = set(re.findall(r"url:\s*http://127\.0\.0\.1:(\d+)/", receivers.read_text()))
    if len(ports) != 1:
        raise SystemExit(f"alert-sink: {receivers} must post every webhook to one http://127.0.0.1:PORT/")
    return int(ports.pop())


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer(200 if self.path == "/healthz" else 404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.path != "/alerts" or not 0 < length <= MAX_BODY_BYTES:
            self._answer(400)
            return
        try:
            payload = json.loads(self.rfile.read(length))
        except ValueError:
            self._answer(400)
            return
        for alert in payload.get("alerts", []):
            line = {
                "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "event": "alert",
                "status": alert.get("status"),
                "alertname": alert.get("labels", {}).get("alertname"),
                "labels": alert.get("labels", {}),
                "annotations": alert.get("annotations", {}),
                "starts_at": alert.get("startsAt"),
            }
            print(json.dumps(line, sort_keys=True), flush=True)
        self._answer(200)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass  # one line per alert is the log; requests would only repeat it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--receivers", type=Path, required=True, help="Alertmanager config or receivers file")
    parser.add_argument("--check", action="store_true", help="exit 0 if the sink answers (healthcheck)")
    arguments = parser.parse_args()
    port = webhook_port(arguments.receivers)
    if arguments.check:
        urllib.request.urlopen(f"http://{arguments.host}:{port}/healthz", timeout=2)
        return
    server = ThreadingHTTPServer((arguments.host, port), Handler)
    print(json.dumps({"event": "alert_sink_listening", "port": port}), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
