"""rules/slo.yml is generated from the SLOs and windows that monitoring/prometheus/slo_rules.py declares."""

import importlib.util

import yaml

from tests.deploy.conftest import REPO

SPEC = importlib.util.spec_from_file_location("slo_rules", REPO / "monitoring/prometheus/slo_rules.py")
slo_rules = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(slo_rules)


def test_the_committed_rule_file_is_the_generators_output():
    assert slo_rules.RULES.read_text() == slo_rules.render(), "run `make slo-rules` and commit the result"


def test_one_sli_per_slo_and_window_and_one_alert_per_burn_rate_pair():
    groups = {group["name"]: group["rules"] for group in yaml.safe_load(slo_rules.render())["groups"]}
    slis = [rule for rule in groups["slo"] if rule.get("record", "").startswith("slo:sli_error:")]
    assert {(rule["labels"]["slo"], rule["record"].rsplit("rate", 1)[1]) for rule in slis} == {
        (slo.name, window) for slo in slo_rules.SLOS for window in slo_rules.WINDOWS
    }
    assert len(slis) == len(slo_rules.SLOS) * len(slo_rules.WINDOWS) == 10
    alerts = [rule for rule in groups["slo"] if rule.get("alert") == "ErrorBudgetBurn"]
    assert [(alert["labels"]["burn"], alert["for"]) for alert in alerts] == [("fast", "2m"), ("slow", "15m")]
