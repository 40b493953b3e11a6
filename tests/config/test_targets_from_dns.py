"""monitoring/prometheus/targets_from_dns.py, the file_sd writer of the Compose deployment, run as
the prometheus-targets service runs it (a separate Python process, its environment the only input)."""

import json
import os
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = REPO / "monitoring" / "prometheus" / "targets_from_dns.py"


def run_once(tmp_path, web_target: str, static: dict) -> subprocess.CompletedProcess:
    env = os.environ | {
        "TARGETS_DIR": str(tmp_path),
        "WEB_TARGET": web_target,
        "STATIC_TARGETS": json.dumps(static),
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--once"], env=env, capture_output=True, text=True, timeout=60
    )


def test_every_static_job_gets_its_list_and_web_its_resolved_replicas(tmp_path):
    result = run_once(tmp_path, "localhost:8000", {"redis": ["redis-exporter:9121"], "node": ["n:9100"]})
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "redis.json").read_text()) == [
        {"targets": ["redis-exporter:9121"], "labels": {}}
    ]
    assert json.loads((tmp_path / "node.json").read_text())[0]["targets"] == ["n:9100"]
    web = json.loads((tmp_path / "web.json").read_text())
    assert [group["targets"] for group in web] == [["127.0.0.1:8000"]]
    assert web[0]["labels"]["service_instance"]
    assert not list(tmp_path.glob("*.tmp")), "a half-written file was left"


def test_an_unresolvable_web_service_is_an_empty_list_not_a_crash(tmp_path):
    result = run_once(tmp_path, "no-such-service.invalid:8000", {})
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "web.json").read_text()) == []
