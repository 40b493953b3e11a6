"""Traces: a server span per request with SQL and Redis children, correlated with the request's log line."""

import pytest
from django.urls import reverse
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.factories import TweetFactory

pytestmark = pytest.mark.django_db
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture(scope="session")
def span_exporter():
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(span_exporter):
    span_exporter.clear()
    return span_exporter


def server_spans(spans):
    return [span for span in spans.get_finished_spans() if span.kind is SpanKind.SERVER]


def test_a_request_has_a_server_span_with_sql_and_redis_children(client, spans):
    TweetFactory()
    client.get(reverse("explore"))
    [server] = server_spans(spans)
    assert server.attributes["http.route"] == "explore/"
    children = [
        span
        for span in spans.get_finished_spans()
        if span.parent and span.parent.span_id == server.context.span_id
    ]
    systems = {span.attributes.get("db.system.name") for span in children}
    assert {"postgresql", "redis"} <= systems


def test_spans_carry_the_stable_semantic_conventions_not_the_replaced_names(client, spans, settings):
    TweetFactory()
    client.get(reverse("explore"), headers={"host": "localhost:8443"})
    [server] = server_spans(spans)
    assert (server.attributes["server.address"], server.attributes["server.port"]) == ("localhost", 8443)
    assert server.attributes["http.request.method"] == "GET"
    assert server.attributes["http.response.status_code"] == 200
    assert not {"http.method", "http.status_code", "http.target", "net.host.port"} & set(server.attributes)
    database = [span for span in spans.get_finished_spans() if span.attributes.get("db.system.name")]
    postgres = [span for span in database if span.attributes["db.system.name"] == "postgresql"]
    assert postgres and {span.attributes["db.namespace"] for span in postgres} == {
        settings.DATABASES["default"]["NAME"]
    }
    assert not any("db.system" in span.attributes or "db.statement" in span.attributes for span in database)
    assert {span.resource.attributes["service.instance.id"] for span in spans.get_finished_spans()} == {
        settings.SERVICE_INSTANCE_ID
    }


def test_an_upstream_traceparent_is_continued(client, spans):
    client.get(reverse("explore"), headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})
    [server] = server_spans(spans)
    assert trace.format_trace_id(server.context.trace_id) == TRACE_ID
    assert trace.format_span_id(server.parent.span_id) == "00f067aa0ba902b7"


def test_the_log_line_carries_the_exported_spans_ids(client, spans, caplog):
    client.get(reverse("explore"))
    [server] = server_spans(spans)
    [line] = [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "request_finished"
    ]
    assert line["trace_id"] == trace.format_trace_id(server.context.trace_id)
    assert line["span_id"] == trace.format_span_id(server.context.span_id)


def test_resource_names_the_service_and_its_instance(client, spans):
    client.get(reverse("explore"))
    [server] = server_spans(spans)
    attributes = server.resource.attributes
    assert attributes["service.name"] == "tweetstack-web"
    assert attributes["service.version"] == "0.1.0"
    assert attributes["service.instance.id"]
    assert attributes["deployment.environment"] == "development"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_health_and_metrics_are_not_traced(client, spans, path):
    client.get(path)
    assert server_spans(spans) == []
