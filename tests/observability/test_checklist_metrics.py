"""The checklist's last results on /metrics: one gauge per item, and nothing from a missing or bad file."""

import json

import pytest

from tests.observability.test_metrics import scrape, value

pytestmark = pytest.mark.django_db


@pytest.fixture
def status_file(settings, tmp_path):
    settings.BACKUP_STATUS_FILE = tmp_path / "status.json"
    return tmp_path / "checklist.json"


def test_each_checklist_item_is_a_gauge_with_its_category(client, status_file):
    status_file.write_text(
        json.dumps(
            {
                "run_at": 1_700_000_000.5,
                "items": {
                    "security.debug_off": {"category": "security", "status": 2},
                    "backup.age": {"category": "backup", "status": 0},
                },
            }
        )
    )
    samples = scrape(client)
    gauge = "tweetstack_checklist_item_status"
    assert value(samples, gauge, item="security.debug_off", category="security") == 2
    assert value(samples, gauge, item="backup.age", category="backup") == 0
    assert value(samples, "tweetstack_checklist_last_run_timestamp_seconds") == 1_700_000_000.5


@pytest.mark.parametrize("content", [None, "not json", '{"items": {}}', '{"run_at": 1, "items": [1]}'])
def test_no_checklist_series_without_a_complete_results_file(client, status_file, content):
    if content is not None:
        status_file.write_text(content)
    names = {name for name, _ in scrape(client)}
    assert not {n for n in names if n.startswith("tweetstack_checklist")}
