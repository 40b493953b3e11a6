"""One request through nginx is one trace in Jaeger, joined to the app's and nginx's log lines."""

import time
import urllib.parse
import uuid

from tests.e2e.conftest import http, wait_until

STABLE_SERVER_KEYS = (
    "http.route",
    "http.request.method",
    "http.response.status_code",
    "url.path",
    "server.address",
)
DATABASE = "tweetstack"  # the native stack's database (stack/layout.py)
REPLACED_KEYS = ("http.method", "http.status_code", "http.target", "http.host", "net.host.port", "db.system")


def tag(span: dict, key: str):
    return next((item["value"] for item in span.get("tags", []) if item["key"] == key), None)


def test_a_request_is_traced_from_django_to_postgresql_and_logged_with_its_ids(stack):
    # An unknown profile: a page whose view always asks PostgreSQL (no cache in front of it).
    path = f"/@nobody{uuid.uuid4().hex[:12]}"
    response = http(f"{stack.site}{path}")
    assert response.status == 404
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32  # nginx's $request_id: no X-Request-ID was sent

    def app_line():
        return next(
            (
                entry
                for index in range(2)
                for entry in stack.json_log(f"web-{index}")
                if entry.get("request_id") == request_id and "status" in entry
            ),
            None,
        )

    line = wait_until(app_line, 10, f"no app log line with request_id {request_id}")
    assert line["status"] == 404 and line["view"] == "profile"
    trace_id = line["trace_id"]

    def trace():
        found = http(stack.url("jaeger-ui", f"/api/traces/{trace_id}"))
        data = found.json()["data"][0] if found.status == 200 else {"spans": []}
        has_database = any(tag(span, "db.system.name") == "postgresql" for span in data["spans"])
        return data if has_database else None

    data = wait_until(trace, 30, f"trace {trace_id} with a PostgreSQL span not in Jaeger")
    spans = data["spans"]
    by_id = {span["spanID"]: span for span in spans}
    server = [span for span in spans if tag(span, "span.kind") == "server"]
    assert len(server) == 1, [span["operationName"] for span in spans]
    assert tag(server[0], "http.route") == "@<str:username>"

    def ancestors(span):
        while span["references"]:
            span = by_id[span["references"][0]["spanID"]]
            yield span

    database = [span for span in spans if tag(span, "db.system.name") == "postgresql"]
    assert all(server[0] in ancestors(span) for span in database)

    # The stable semantic conventions (HTTP 2023, database 2025), not the names they replaced.
    assert {key: tag(server[0], key) for key in STABLE_SERVER_KEYS} == {
        "http.route": "@<str:username>",
        "http.request.method": "GET",
        "http.response.status_code": 404,
        "url.path": path,
        "server.address": "127.0.0.1",
    }
    assert not any(tag(server[0], key) is not None for key in REPLACED_KEYS)
    assert {tag(span, "db.namespace") for span in database} == {DATABASE}
    # Every span names the replica it came from.
    replicas = {tag(data["processes"][span["processID"]], "service.instance.id") for span in spans}
    assert replicas == {line["service_instance"]}

    nginx_lines = [entry for entry in stack.json_log("nginx") if entry.get("request_id") == request_id]
    assert len(nginx_lines) == 1
    assert nginx_lines[0]["status"] == 404
    assert nginx_lines[0]["upstream_addr"] == f"127.0.0.1:{stack.web_port(int(line['service_instance'][-1]))}"


def test_an_exemplar_of_the_latency_histogram_links_to_a_trace_in_jaeger(stack):
    # Prometheus keeps exemplars only with --enable-feature=exemplar-storage; without it this query
    # returned nothing and the "p95 with exemplars" panel could not link to a trace.
    for _ in range(10):
        assert http(f"{stack.site}/explore/").status == 200

    def exemplar_trace_ids():
        end = time.time()
        query = {"query": "django_http_requests_latency_seconds_by_view_method_bucket"}
        query |= {"start": end - 600, "end": end}
        found = http(stack.url("prometheus", "/api/v1/query_exemplars?") + urllib.parse.urlencode(query))
        assert found.status == 200, found.body[:300]
        return [item["labels"]["trace_id"] for series in found.json()["data"] for item in series["exemplars"]]

    trace_ids = wait_until(exemplar_trace_ids, 60, "Prometheus stored no exemplar")

    def one_in_jaeger():
        for trace_id in reversed(trace_ids):
            found = http(stack.url("jaeger-ui", f"/api/traces/{trace_id}"))
            if found.status == 200 and found.json()["data"]:
                return trace_id
        return None

    wait_until(one_in_jaeger, 30, f"none of the exemplars' traces {trace_ids[-5:]} is in Jaeger")
