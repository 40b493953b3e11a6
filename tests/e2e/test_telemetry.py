"""Prometheus holds every kind of series the stack produces, after some traffic."""

import pytest

from stack import render
from tests.e2e.conftest import http, wait_until

SERIES = {
    "django (web replicas)": 'django_http_requests_total_by_view_transport_method_total{job="web"}',
    "span metrics (collector)": 'traces_span_metrics_calls_total{service_name="tweetstack-web"}',
    "postgres exporter": 'pg_up{job="postgres"} == 1',
    "redis exporter": 'redis_up{job="redis"} == 1',
    "nginx exporter": 'nginx_connections_accepted{job="nginx"}',
    "mtail (nginx access log)": 'nginx_log_responses_total{job="nginx-log", status_class="2xx"} > 0',
    "node exporter": 'node_filesystem_avail_bytes{job="node"} > 0',
    "collector": 'otelcol_receiver_accepted_spans_total{job="otelcol"}',
    "jaeger": 'otelcol_receiver_accepted_spans_total{job="jaeger"}',
    "every target up": "count(up == 1) >= 12",
}


@pytest.mark.parametrize("query", SERIES.values(), ids=SERIES.keys())
def test_prometheus_holds_series_of(stack, query):
    for _ in range(5):
        http(f"{stack.site}/explore/")
    # Span metrics are flushed every 15 s by the collector, then scraped.
    wait_until(lambda: stack.prometheus(query), 60, f"no result for {query}")


def test_node_exporter_reports_the_filesystem_of_the_stack_s_data_and_only_it(stack):
    mountpoint = render.mount_point(stack.state / "data" / "postgres")
    query = f'node_filesystem_avail_bytes{{job="node", mountpoint="{mountpoint}"}} > 0'
    wait_until(lambda: stack.prometheus(query), 30, f"no result for {query}")
    reported = {
        series["metric"]["mountpoint"]
        for series in stack.prometheus('node_filesystem_size_bytes{job="node"}')
    }
    assert reported == {mountpoint}
    # DiskFillingUp's expression selects that series (its thresholds are not reached on this machine).
    ratio = 'node_filesystem_avail_bytes{job="node"} / node_filesystem_size_bytes{job="node"}'
    assert [series["metric"]["mountpoint"] for series in stack.prometheus(ratio)] == [mountpoint]
