"""Every Grafana panel query runs on the live Prometheus of the stack and returns data, after traffic.

Template variables are substituted twice: with "All" (their allValue) and with one real value that
their own query returns (a replica, the explore route); Grafana's $__rate_interval becomes 1m.
"""

import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, http, wait_until

DASHBOARDS = sorted((Path(__file__).resolve().parents[2] / "monitoring/grafana/dashboards").glob("*.json"))
CONCRETE = {"replica": "web-0", "route": "explore"}


def panel_targets():
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                yield pytest.param(
                    board, target["expr"], id=f"{board['uid']}/{panel['title']}/{target['refId']}"
                )


def substitute(expr: str, values: dict[str, str]) -> str:
    expr = expr.replace("$__rate_interval", "1m")
    for name, value in values.items():
        expr = expr.replace(f"${name}", value)
    assert "$" not in expr, f"unsubstituted variable in {expr}"
    return expr


def label_values(stack, query: str) -> list[str]:
    """Grafana's label_values(selector, label) on the Prometheus API."""
    selector, label = query.removeprefix("label_values(").removesuffix(")").rsplit(",", 1)
    url = stack.url("prometheus", f"/api/v1/label/{label.strip()}/values?") + urllib.parse.urlencode(
        {"match[]": selector.strip()}
    )
    return http(url).json()["data"]


@pytest.fixture(scope="module")
def traffic(stack):
    """User-facing traffic through nginx once for the module: timelines, a profile, an unknown path."""
    for _ in range(10):
        for path in ("/explore/", "/", "/@nobody", "/no-such-page/"):
            http(f"{stack.site}{path}")
    # The Production readiness panel shows the last checklist run (its exit code: backups are missing).
    subprocess.run(
        [sys.executable, "-m", "checklist"], cwd=REPO, env=stack.env, capture_output=True, timeout=300
    )
    # Recording rules are evaluated every 15 s and span metrics flushed every 15 s.
    wait_until(
        lambda: (
            stack.prometheus('view_instance:tweetstack_http_requests:rate5m{view="explore"} > 0')
            and stack.prometheus("traces_span_metrics_calls_total{span_kind='SPAN_KIND_SERVER'}")
        ),
        90,
        "no recorded request rate or span metrics after traffic",
    )


def test_dashboards_are_there():
    assert len(DASHBOARDS) >= 4


@pytest.mark.parametrize("board,expr", list(panel_targets()))
def test_panel_query_returns_data(stack, traffic, board, expr):
    variables = board["templating"]["list"]
    for variable in variables:
        assert CONCRETE[variable["name"]] in label_values(stack, variable["query"]["query"])
    for values in (
        {v["name"]: v["allValue"] for v in variables},
        {v["name"]: CONCRETE[v["name"]] for v in variables},
    ):
        query = substitute(expr, values)
        wait_until(lambda query=query: stack.prometheus(query), 45, f"no data for {query}")
