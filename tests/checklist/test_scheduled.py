"""One run of a schedule kept outside the checklist (the chart's CronJob): `--scheduled` exits 0 once
the results are exported, failing items and all, and 1 when they could not be; `--host` names the
site to a server reached by another address. Run as the CronJob runs it: `python -m checklist`
against a site on loopback, with the app's own manage.py recording the results."""

import http.server
import json
import os
import subprocess
import sys
import threading

import pytest

from checklist.core import Deployment
from tests.deploy.conftest import REPO


class _Site(http.server.BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_GET(self):
        self.hosts.append(self.headers["Host"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def checklist(site: str, tmp_path, *arguments: str, manage: str) -> subprocess.CompletedProcess:
    # The app's embedded default (SQLite under its own folder); the results beside the status file.
    env = {**os.environ, "TWEETSTACK_VAR_DIR": str(tmp_path / "var"),
           "BACKUP_STATUS_FILE": str(tmp_path / "status" / "backup.json")}  # fmt: skip
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "checklist", "--url", site, "--prometheus", "http://127.0.0.1:1",
               "--manage", manage, *arguments]  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False
    )


def test_the_host_given_is_the_one_the_site_is_asked_for(site):
    _Site.hosts.clear()
    assert Deployment(site, "http://127.0.0.1:1", ["true"], host="tweets.example.org").get("/").status == 200
    assert Deployment(site, "http://127.0.0.1:1", ["true"]).get("/").status == 200
    assert _Site.hosts == ["tweets.example.org", site.removeprefix("http://")]


def test_a_scheduled_run_succeeds_once_its_results_are_exported_whatever_they_are(site, tmp_path):
    manage = f"{sys.executable} {REPO / 'app' / 'manage.py'}"
    result = checklist(site, tmp_path, "--scheduled", "--json", manage=manage)
    assert result.returncode == 0, result.stderr[-2000:]
    items = {row["item"]: row["status"] for row in json.loads(result.stdout)["items"]}
    # No Prometheus answers on port 1: its items fail, and are exported as failing.
    assert items["monitoring.targets_up"] == "FAIL"
    exported = json.loads((tmp_path / "status" / "checklist.json").read_text())
    assert exported["items"]["monitoring.targets_up"]["status"] == 0
    assert exported["items"].keys() == items.keys()


def test_a_scheduled_run_whose_results_cannot_be_exported_fails(site, tmp_path):
    result = checklist(site, tmp_path, "--scheduled", manage="false")
    assert result.returncode == 1
    assert "could not export the results as metrics" in result.stderr
    assert not (tmp_path / "status" / "checklist.json").exists()


def test_scheduled_without_recording_is_refused(site, tmp_path):
    result = checklist(site, tmp_path, "--scheduled", "--no-record", manage="false")
    assert result.returncode == 2 and "cannot be given with --no-record" in result.stderr
