"""monitoring/prometheus/targets_from_dns.py, the file_sd writer of the Compose deployment, run as
the prometheus-targets service runs it (a separate Python process, its environment the only input)."""

import json
import os
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = REPO / "monitoring" / "prometheus" / "targets_from_dns.py"


def run_once(tmp_path, web_service: str, jobs: dict, ports: dict) -> subprocess.CompletedProcess:
    jobs_file = tmp_path / "jobs.json"
    jobs_file.write_text(json.dumps({"web": {"service": web_service, "port": "WEB_PORT"}} | jobs))
    targets = tmp_path / "targets"
    targets.mkdir()
    env = os.environ | {"TARGETS_DIR": str(targets), "JOBS_FILE": str(jobs_file)} | ports
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--once"], env=env, capture_output=True, text=True, timeout=60
    )


def test_every_job_gets_its_service_at_its_port_and_web_its_resolved_replicas(tmp_path):
    jobs = {
        "redis": {"service": "redis-exporter", "port": "REDIS_EXPORTER_PORT"},
        "node": {"service": "n", "port": "NODE_EXPORTER_PORT"},
    }
    ports = {"WEB_PORT": "8001", "REDIS_EXPORTER_PORT": "9122", "NODE_EXPORTER_PORT": "9101"}
    result = run_once(tmp_path, "localhost", jobs, ports)
    assert result.returncode == 0, result.stderr
    targets = tmp_path / "targets"
    assert json.loads((targets / "redis.json").read_text()) == [
        {"targets": ["redis-exporter:9122"], "labels": {}}
    ]
    assert json.loads((targets / "node.json").read_text())[0]["targets"] == ["n:9101"]
    web = json.loads((targets / "web.json").read_text())
    assert [group["targets"] for group in web] == [["127.0.0.1:8001"]]
    assert web[0]["labels"]["service_instance"]
    assert not list(targets.glob("*.tmp")), "a half-written file was left"


def test_an_unresolvable_web_service_is_an_empty_list_not_a_crash(tmp_path):
    result = run_once(tmp_path, "no-such-service.invalid", {}, {"WEB_PORT": "8000"})
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "targets" / "web.json").read_text()) == []


def test_a_probing_job_lists_its_exporter_labelled_with_the_url_it_probes(tmp_path):
    probe = {"service": "nginx", "port": "NGINX_HTTPS_PORT", "path": "/healthz"}
    jobs = {"tls": {"service": "blackbox-exporter", "port": "BLACKBOX_EXPORTER_PORT", "probe": probe}}
    ports = {"WEB_PORT": "8001", "BLACKBOX_EXPORTER_PORT": "9116", "NGINX_HTTPS_PORT": "8444"}
    result = run_once(tmp_path, "localhost", jobs, ports)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "targets" / "tls.json").read_text()) == [
        {"targets": ["blackbox-exporter:9116"], "labels": {"__param_target": "https://nginx:8444/healthz"}}
    ]
