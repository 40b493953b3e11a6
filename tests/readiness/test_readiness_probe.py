"""manage.py readiness_probe: the app's own facts for the checklist, and where its results are stored."""

import io
import json

import pytest
from django.core.management import call_command

from config.settings.secret_key import DEV_SECRET_KEY, secret_key_problem
from observability.prometheus import ChecklistCollector

pytestmark = pytest.mark.django_db


@pytest.fixture
def status_dir(tmp_path, settings):
    settings.BACKUP_STATUS_FILE = tmp_path / "backup.json"
    return tmp_path


def probe() -> dict:
    output = io.StringIO()
    call_command("readiness_probe", stdout=output)
    (line,) = [line for line in output.getvalue().splitlines() if line.startswith("CHECKLIST-PROBE ")]
    return json.loads(line.removeprefix("CHECKLIST-PROBE "))


def test_the_probe_reports_the_settings_and_a_constant_query_count(status_dir, settings):
    facts = probe()
    assert facts["settings_module"] == settings.SETTINGS_MODULE
    assert facts["secret_key_problem"] == secret_key_problem(settings.SECRET_KEY)
    home, explore = facts["queries_per_page"]["home"], facts["queries_per_page"]["explore"]
    assert len(set(home)) == 1 and len(set(explore)) == 1, facts["queries_per_page"]
    assert all(index["exists"] for index in facts["timeline_indexes"])


def test_the_probe_leaves_no_row_behind(status_dir):
    from accounts.models import User

    probe()
    assert not User.objects.filter(username__startswith="checklist-").exists()


@pytest.mark.parametrize(
    "key,problem",
    [
        ("", "is not set"),
        (DEV_SECRET_KEY, "is a known default"),
        ("x" * 49, "shorter than 50"),
        ("x" * 50, ""),
    ],
)
def test_the_secret_key_rule_is_the_production_settings_one(key, problem):
    assert problem in secret_key_problem(key) and bool(problem) == bool(secret_key_problem(key))


def test_record_stores_the_results_the_metrics_export(status_dir, monkeypatch):
    results = {"run_at": 1.0, "items": {"scaling.replicas": {"category": "scaling", "status": 0}}}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(results)))
    output = io.StringIO()
    call_command("readiness_probe", "--record", stdout=output)
    assert json.loads(ChecklistCollector.path().read_text()) == results
    assert str(ChecklistCollector.path()) in output.getvalue()


def test_record_refuses_what_is_not_json_and_keeps_the_last_results(status_dir, monkeypatch):
    ChecklistCollector.path().write_text('{"run_at": 1.0, "items": {}}')
    monkeypatch.setattr("sys.stdin", io.StringIO("not json"))
    with pytest.raises(json.JSONDecodeError):
        call_command("readiness_probe", "--record", stdout=io.StringIO())
    assert ChecklistCollector.path().read_text() == '{"run_at": 1.0, "items": {}}'
