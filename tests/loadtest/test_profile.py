"""Grouping py-spy's collapsed stacks by area and function, on a tiny hand-written profile."""

from xml.etree import ElementTree

import pytest

from loadtest import profile
from loadtest.flamegraph import write_svg

SITE = "/srv/.venv/lib/python3.11/site-packages"
THREAD = (
    f"Thread.run (/usr/lib/python3.11/threading.py);Application.run ({SITE}/gunicorn/app/base.py);"
    f"handle ({SITE}/gunicorn/workers/gthread.py)"
)
OTEL_MIDDLEWARE = (
    f"_DjangoMiddleware.__call__ ({SITE}/opentelemetry/instrumentation/django/middleware/otel_middleware.py)"
)
RENDER = f"NodeList.render ({SITE}/django/template/base.py)"
DATE_FORMAT = f"Formatter.format ({SITE}/django/utils/dateformat.py)"
EXPORT = f"OTLPSpanExporter.export ({SITE}/opentelemetry/exporter/otlp/proto/http/trace_exporter/__init__.py)"
DUMPS = "dumps (/usr/lib/python3.11/json/__init__.py)"
VIEW = "explore (/srv/app/tweets/views.py)"

COLLAPSED = f"""\
{THREAD};{OTEL_MIDDLEWARE};{VIEW};{RENDER};{DATE_FORMAT} 6
{THREAD};{OTEL_MIDDLEWARE};{VIEW};{RENDER} 3
Thread.run (/usr/lib/python3.11/threading.py);{EXPORT};{DUMPS} 1
{THREAD};{OTEL_MIDDLEWARE};{VIEW};{RENDER};{DATE_FORMAT} 2
"""


@pytest.fixture
def stacks(tmp_path):
    path = tmp_path / "profile.collapsed"
    path.write_text(COLLAPSED)
    return profile.read_stacks(path)


def test_identical_stacks_are_added_up(stacks):
    assert sum(stacks.values()) == 12
    assert len(stacks) == 3


def test_a_sample_counts_for_the_innermost_frame_of_a_known_package(stacks):
    aggregated = profile.aggregate(stacks, rate=100, requests=10)

    # django.utils' date formatting counts for the template that called it; json for the exporter.
    assert aggregated.areas_self == {"template rendering": 11, "OpenTelemetry": 1}


def test_the_total_counts_a_sample_for_every_area_on_its_stack(stacks):
    aggregated = profile.aggregate(stacks, rate=100, requests=10)

    # otel's Django middleware is OpenTelemetry, not Django middleware, though its path has django/middleware.
    assert aggregated.areas_total["OpenTelemetry"] == 12
    assert aggregated.areas_total["app code"] == 11
    assert aggregated.areas_total["gunicorn"] == 11
    assert "middleware" not in aggregated.areas_total


def test_functions_are_named_with_their_package_relative_file(stacks):
    aggregated = profile.aggregate(stacks, rate=100, requests=10)

    assert aggregated.functions_self.most_common(1) == [("Formatter.format (django/utils/dateformat.py)", 8)]
    assert aggregated.functions_total["explore (app/tweets/views.py)"] == 11
    assert aggregated.functions_total["dumps (stdlib/json/__init__.py)"] == 1


@pytest.mark.parametrize("name", ["short.collapsed", "short.collapsed.gz"])
def test_stacks_written_with_short_paths_read_back_the_same(stacks, tmp_path, name):
    short = profile.read_stacks(profile.write_stacks(stacks, tmp_path / name))

    with profile.open_text(tmp_path / name, "r") as written:
        assert "/srv/" not in written.read()
    assert profile.aggregate(short, rate=100, requests=10) == profile.aggregate(stacks, rate=100, requests=10)
    assert profile.aggregate(short, rate=100, requests=10).functions_total[
        "Application.run (gunicorn/app/base.py)"
    ]


def test_gzipped_stacks_are_compressed(stacks, tmp_path):
    plain = profile.write_stacks(stacks, tmp_path / "a.collapsed")
    packed = profile.write_stacks(stacks, tmp_path / "a.collapsed.gz")
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert packed.stat().st_size < plain.stat().st_size


def test_observability_time_is_split_by_component(stacks):
    aggregated = profile.aggregate(stacks, rate=100, requests=10)

    assert aggregated.components[("OpenTelemetry", "opentelemetry/exporter/otlp")] == 1


def test_samples_become_milliseconds_per_request(stacks):
    aggregated = profile.aggregate(stacks, rate=100, requests=10)

    # 12 samples at 100 Hz are 120 ms of Python, over 10 requests.
    assert aggregated.ms_per_request(aggregated.samples) == pytest.approx(12.0)
    text = profile.summary(aggregated, "test")
    assert "12.00 ms of Python per request" in text
    assert "template rendering" in text and "91.7%" in text


def test_the_flamegraph_has_one_frame_per_node_with_its_share(stacks, tmp_path):
    svg = write_svg(stacks, tmp_path / "flame.svg", "test")

    root = ElementTree.parse(svg).getroot()  # noqa: S314 (the file the test just wrote)
    titles = [element.text for element in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "Formatter.format (django/utils/dateformat.py): 8 samples, 66.7%" in titles
    assert "Thread.run (stdlib/threading.py): 12 samples, 100.0%" in titles
    # thread, application, handle, middleware, view, render, format; exporter, dumps
    assert len(titles) == 9
