"""Every alert is complete, runbooked and unit-tested both ways; every rule file passes promtool.

The rule and test files are read as text (the project has no YAML library); promtool, which parses
them for real, runs first and fails on anything malformed, so the patterns here only pick out names.
"""

import re
import shutil
import subprocess

import pytest

from stack.layout import REPO

PROMETHEUS = REPO / "monitoring" / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
RUNBOOKS = REPO / "docs" / "runbooks"
# Always firing by design: its silence is the alarm, so it has no silent case.
ALWAYS_FIRING = {"Watchdog"}
REQUIRED = ("for:", "severity:", "service:", "summary:", "description:", "runbook_url:")
RUNBOOK_SECTIONS = ("**Meaning.**", "**Impact.**", "**Confirm.**", "**Fix.**", "**Verify recovery.**")


def promtool() -> str:
    path = shutil.which("promtool")
    if not path:
        pytest.fail("promtool not found: install it with `apt-get install -y prometheus` (.ci/run does)")
    return path


def alert_blocks() -> list[tuple[str, str]]:
    """(alert name, its rule text) for every alerting rule, in file order."""
    blocks = []
    for path in RULE_FILES:
        for block in re.split(r"\n\s*- (?=alert:|record:)", path.read_text())[1:]:
            if block.startswith("alert:"):
                blocks.append((block.split()[1], block))
    return blocks


def alert_names() -> list[str]:
    return sorted({name for name, _ in alert_blocks()})


def unit_test_cases() -> list[tuple[str, bool]]:
    """(alert name, fires?) for every alert_rule_test case of every promtool test file."""
    cases = []
    for path in TEST_FILES:
        for name, empty in re.findall(r"alertname: (\w+)\n\s+exp_alerts:( \[\])?", path.read_text()):
            cases.append((name, not empty))
    return cases


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_promtool_accepts_the_rule_file(path):
    result = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_promtool_unit_tests_pass():
    result = subprocess.run(
        [promtool(), "test", "rules", *map(str, TEST_FILES)],
        capture_output=True,
        text=True,
        cwd=PROMETHEUS / "tests",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_file_is_loaded_by_some_unit_test():
    loaded = set()
    for path in TEST_FILES:
        loaded |= set(re.findall(r"- \.\./rules/([\w.-]+\.yml)", path.read_text()))
    assert loaded == {path.name for path in RULE_FILES}


def test_the_issue_s_alerts_all_exist():
    wanted = {
        "WebReplicaDown", "AllWebReplicasDown", "ErrorBudgetBurn", "HighLatency", "PostgresDown",
        "PostgresTooManyConnections", "RedisDown", "RedisMemoryHigh", "CacheHitRatioLow",
        "OtelCollectorDroppingSpans", "PrometheusTargetMissing", "DiskFillingUp", "Watchdog",
        "NginxUpstreamErrors",
    }  # fmt: skip
    assert wanted <= set(alert_names())


@pytest.mark.parametrize("name,block", alert_blocks(), ids=[name for name, _ in alert_blocks()])
def test_every_alert_has_for_severity_service_and_annotations(name, block):
    for key in REQUIRED:
        assert re.search(rf"^\s+{key}", block, re.M), f"{name} lacks {key}"
    severity = re.search(r"severity: (\S+)", block).group(1)
    assert severity in ("critical", "warning", "none"), f"{name}: severity {severity}"


@pytest.mark.parametrize("name,block", alert_blocks(), ids=[name for name, _ in alert_blocks()])
def test_every_runbook_url_is_the_alert_s_own_runbook(name, block):
    url = re.search(r'runbook_url: "([^"]+)"', block).group(1)
    assert url == f"docs/runbooks/{name}.md"
    assert (REPO / url).is_file(), f"{url} does not exist"


@pytest.mark.parametrize("name", alert_names())
def test_every_runbook_says_meaning_impact_how_to_confirm_fix_and_verify(name):
    text = (RUNBOOKS / f"{name}.md").read_text()
    assert text.startswith(f"# Runbook: {name}\n")
    for section in RUNBOOK_SECTIONS:
        assert section in text, f"{name}.md lacks {section}"


def test_no_runbook_without_an_alert():
    assert {path.stem for path in RUNBOOKS.glob("*.md")} == set(alert_names())


@pytest.mark.parametrize("name", alert_names())
def test_every_alert_has_a_unit_test_that_fires_it_and_one_that_does_not(name):
    cases = unit_test_cases()
    assert (name, True) in cases, f"no promtool case fires {name}"
    if name not in ALWAYS_FIRING:
        assert (name, False) in cases, f"no promtool case keeps {name} silent"


def test_every_firing_case_asserts_labels_and_annotations():
    for path in TEST_FILES:
        for case in re.split(r"\n\s+- eval_time:", path.read_text())[1:]:
            if re.search(r"exp_alerts:\n", case):
                assert "exp_labels:" in case and "exp_annotations:" in case, f"{path.name}: {case[:80]}"
                assert case.count("exp_labels:") == case.count("runbook_url:"), f"{path.name}: {case[:80]}"
