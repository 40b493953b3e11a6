"""Prometheus holds every kind of series the stack produces, after some traffic."""

import pytest

from tests.e2e.conftest import http, wait_until

SERIES = {
    "django (web replicas)": 'django_http_requests_total_by_view_transport_method_total{job="web"}',
    "span metrics (collector)": 'traces_span_metrics_calls_total{service_name="tweetstack-web"}',
    "postgres exporter": 'pg_up{job="postgres"} == 1',
    "redis exporter": 'redis_up{job="redis"} == 1',
    "nginx exporter": 'nginx_connections_accepted{job="nginx"}',
    "collector": 'otelcol_receiver_accepted_spans_total{job="otelcol"}',
    "jaeger": 'otelcol_receiver_accepted_spans_total{job="jaeger"}',
    "every target up": "count(up == 1) >= 10",
}


@pytest.mark.parametrize("query", SERIES.values(), ids=SERIES.keys())
def test_prometheus_holds_series_of(stack, query):
    for _ in range(5):
        http(f"{stack.site}/explore/")
    # Span metrics are flushed every 15 s by the collector, then scraped.
    wait_until(lambda: stack.prometheus(query), 60, f"no result for {query}")
