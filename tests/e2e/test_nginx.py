"""nginx's own behaviour in front of the replicas: request ids, limits, files, what stays private."""

import re
import uuid

from tests.e2e.conftest import http, wait_until


def test_a_well_formed_request_id_is_kept_and_a_malformed_one_replaced(stack):
    mine = f"client-{uuid.uuid4().hex}"
    assert http(f"{stack.site}/healthz", headers={"X-Request-ID": mine}).headers["X-Request-ID"] == mine
    replaced = http(f"{stack.site}/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith spaces"
    assert len(replaced.headers["X-Request-ID"]) == 32
    logged = [entry for entry in stack.json_log("nginx") if entry.get("request_id") == mine]
    assert logged and logged[0]["upstream_addr"].startswith("127.0.0.1:")
    assert {"request_time", "upstream_response_time", "status"} <= logged[0].keys()


def test_an_upload_over_the_image_limit_gets_a_413_page(stack):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\0" * (6 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = http(
        f"{stack.site}/tweets/",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status == 413
    assert b"Upload too large" in response.body


def test_hashed_static_files_are_served_by_nginx_cached_for_a_year_and_compressed(stack):
    page = http(f"{stack.site}/explore/").body.decode()
    start = page.index("/static/css/site.")
    stylesheet = page[start : page.index('"', start)]
    response = http(stack.site + stylesheet, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_metrics_and_readiness_are_not_public(stack):
    assert http(f"{stack.site}/metrics").status == 404
    assert http(f"{stack.site}/readyz").status == 404
    assert http(f"{stack.site}/healthz").status == 200


def test_stub_status_is_on_the_internal_listener_only(stack):
    assert b"Active connections" in http(stack.url("nginx-status", "/stub_status")).body
    assert http(f"{stack.site}/stub_status").status == 404


def mtail_counters(stack) -> dict[str, float]:
    text = http(stack.url("mtail", "/metrics")).body.decode()
    return {
        name: float(value) for name, value in re.findall(r"^(nginx_log_\w+(?:\{[^}]*\})?) (\S+)$", text, re.M)
    }


def test_mtail_counts_nginx_s_responses_by_status_class_from_its_access_log(stack):
    found = 'nginx_log_responses_total{prog="nginx.mtail",status_class="2xx"}'
    missing = 'nginx_log_responses_total{prog="nginx.mtail",status_class="4xx"}'
    requests = 'nginx_log_requests_total{prog="nginx.mtail"}'
    before = mtail_counters(stack)
    for _ in range(3):
        assert http(f"{stack.site}/healthz").status == 200
        assert http(f"{stack.site}/no-such-page/").status == 404

    def counted():
        now = mtail_counters(stack)
        return (
            now.get(found, 0) - before.get(found, 0) >= 3
            and now.get(missing, 0) - before.get(missing, 0) >= 3
            and now[requests] - before.get(requests, 0) >= 6
        )

    wait_until(counted, 15, "mtail did not count the requests from nginx's access log")
    # Exported from the start (at 0 until a replica fails; the fault drills of the session may fail one).
    assert 'nginx_log_upstream_errors_total{prog="nginx.mtail"}' in mtail_counters(stack)
