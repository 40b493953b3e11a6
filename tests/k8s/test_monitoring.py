"""The chart's monitoring is the repository's: the rules taken back out of the rendered
PrometheusRules pass `promtool check rules` and the existing `promtool test rules` suites, the
dashboards' ConfigMaps hold the JSON files byte for byte, and the monitors give the job names the
rules query."""

import json
import shutil
import subprocess

import pytest
import yaml

from tests.config.test_alert_rules import promtool
from tests.deploy.conftest import REPO
from tests.k8s.chart import CI_VALUES, by_kind, render

PROMETHEUS = REPO / "monitoring" / "prometheus"
DASHBOARDS = REPO / "monitoring" / "grafana" / "dashboards"
PRODUCTION = CI_VALUES[0]  # cnpg-values.yaml: everything on


def test_rules_from_the_rendered_prometheusrules_pass_promtool(helm, tmp_path):
    rules = by_kind(render(helm, PRODUCTION), "PrometheusRule")
    sources = {rule["metadata"]["annotations"]["tweetstack.dev/source"]: rule["spec"] for rule in rules}
    assert sorted(sources) == sorted(
        f"monitoring/prometheus/rules/{path.name}" for path in (PROMETHEUS / "rules").glob("*.yml")
    )
    (tmp_path / "rules").mkdir()
    for source, spec in sources.items():
        assert spec == yaml.safe_load((REPO / source).read_text()), source
        (tmp_path / "rules" / source.rsplit("/", 1)[1]).write_text(yaml.safe_dump(spec))
    # The promtool suites as they are: their rule_files (../rules/NAME.yml) now name the extracted rules.
    shutil.copytree(PROMETHEUS / "tests", tmp_path / "tests")
    checked = subprocess.run(
        [promtool(), "check", "rules", *sorted(map(str, (tmp_path / "rules").glob("*.yml")))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    suites = sorted((tmp_path / "tests").glob("*.test.yml"))
    tested = subprocess.run(
        [promtool(), "test", "rules", *map(str, suites)],
        cwd=tmp_path / "tests",
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.count("SUCCESS") == len(suites), tested.stdout


def test_dashboards_are_configmaps_holding_the_json_files(helm):
    maps = [
        item
        for item in by_kind(render(helm, PRODUCTION), "ConfigMap")
        if "grafana_dashboard" in item["metadata"]["labels"]
    ]
    held = {name: text for item in maps for name, text in item["data"].items()}
    assert held == {path.name: path.read_text() for path in DASHBOARDS.glob("*.json")}
    assert all(json.loads(text)["uid"] for text in held.values())
    assert {item["metadata"]["labels"]["grafana_dashboard"] for item in maps} == {"1"}


def test_monitors_scrape_the_jobs_the_rules_query(helm):
    objects = render(helm, PRODUCTION)
    jobs = {
        relabel["replacement"]
        for monitor in by_kind(objects, "ServiceMonitor") + by_kind(objects, "PodMonitor")
        for endpoint in monitor["spec"].get("endpoints", []) + monitor["spec"].get("podMetricsEndpoints", [])
        for relabel in endpoint["relabelings"]
        if relabel.get("targetLabel") == "job"
    }
    assert jobs == {"web", "nginx", "redis", "otelcol", "otelcol-spanmetrics", "postgres"}
    (web,) = [m for m in by_kind(objects, "ServiceMonitor") if m["metadata"]["name"].endswith("-web")]
    assert web["spec"]["endpoints"][0]["authorization"]["credentials"] == {
        "name": "tweetstack-secrets",
        "key": "METRICS_TOKEN",
    }


@pytest.mark.parametrize("values", [PRODUCTION], ids=["cnpg-values"])
def test_monitoring_objects_carry_the_prometheus_selector_labels(helm, values):
    objects = render(helm, values)
    monitoring = (
        by_kind(objects, "ServiceMonitor")
        + by_kind(objects, "PodMonitor")
        + by_kind(objects, "PrometheusRule")
    )
    assert monitoring and all(
        item["metadata"]["labels"]["release"] == "kube-prometheus-stack" for item in monitoring
    )
