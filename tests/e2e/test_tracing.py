"""One request through nginx is one trace in Jaeger, joined to the app's and nginx's log lines."""

import uuid

from tests.e2e.conftest import http, wait_until


def tag(span: dict, key: str):
    return next((item["value"] for item in span.get("tags", []) if item["key"] == key), None)


def test_a_request_is_traced_from_django_to_postgresql_and_logged_with_its_ids(stack):
    # An unknown profile: a page whose view always asks PostgreSQL (no cache in front of it).
    response = http(f"{stack.site}/@nobody{uuid.uuid4().hex[:12]}")
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
        spans = found.json()["data"][0]["spans"] if found.status == 200 else []
        has_database = any(tag(span, "db.system") == "postgresql" for span in spans)
        return spans if has_database else None

    spans = wait_until(trace, 30, f"trace {trace_id} with a PostgreSQL span not in Jaeger")
    by_id = {span["spanID"]: span for span in spans}
    server = [span for span in spans if tag(span, "span.kind") == "server"]
    assert len(server) == 1, [span["operationName"] for span in spans]
    assert tag(server[0], "http.route") == "@<str:username>"

    def ancestors(span):
        while span["references"]:
            span = by_id[span["references"][0]["spanID"]]
            yield span

    database = [span for span in spans if tag(span, "db.system") == "postgresql"]
    assert all(server[0] in ancestors(span) for span in database)

    nginx_lines = [entry for entry in stack.json_log("nginx") if entry.get("request_id") == request_id]
    assert len(nginx_lines) == 1
    assert nginx_lines[0]["status"] == 404
    assert nginx_lines[0]["upstream_addr"] == f"127.0.0.1:{stack.web_port(int(line['service_instance'][-1]))}"
