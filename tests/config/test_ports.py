"""Every port is declared once, in ports.env: no port number of it is written in a file a runtime
reads (the Compose files, Terraform, the Dockerfiles, nginx/, monitoring/, the native stack, the
Makefiles), and every runtime's listeners and targets come from it."""

import json
import re
import subprocess

import pytest

from stack import ports as port_table
from tests.conftest import REPO

DECLARED = port_table.declared()
# What the runtimes read, by pattern. .env.example is the operator's own settings (the host port they
# publish nginx on is theirs to choose), and the docs only show addresses, so neither is scanned.
RUNTIME_FILES = [
    "docker-compose*.yml",
    "Dockerfile",
    "**/Dockerfile",
    "Makefile",
    "*.mk",
    "stack/**/*",
    "terraform/**/*.tf",
    "terraform/templates/*",
    "nginx/**/*",
    "monitoring/**/*.yml",
    "monitoring/**/*.yaml",
    "monitoring/**/*.py",
    "monitoring/**/*.mtail",
    "app/gunicorn.conf.py",
    "app/config/**/*.py",
    "deploy/**/*",
    "postgres/**/*",
]


def runtime_files() -> list[str]:
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--", *RUNTIME_FILES], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    # Test fixtures (promtool's series carry instance labels) are data, not what a runtime reads.
    # A symlink to a declaration (the chart's files/ports.env) is that declaration, not a copy.
    return [
        path
        for path in tracked
        if path and (REPO / path).is_file() and not (REPO / path).is_symlink() and "tests/" not in path
    ]


def test_ports_env_declares_each_port_once_and_validly():
    lines = [
        line.split("=", 1)[0]
        for line in (REPO / "ports.env").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) == len(set(lines)), "a port is declared twice in ports.env"
    assert all(0 < port < 65536 for port in DECLARED.values())
    # Every listener of the native stack has its port there (a missing one would be a KeyError at start).
    assert set(port_table.defaults()) == set(port_table.LISTENERS)


@pytest.mark.parametrize("path", runtime_files())
def test_no_port_number_is_written_outside_ports_env(path):
    numbers = {str(port) for port in DECLARED.values()}
    text = (REPO / path).read_text(errors="replace")
    found = {
        (number, text[: match.start()].count("\n") + 1)
        for match in re.finditer(r"(?<![\w.\-])(\d{4,5})(?![\w.])", text)
        if (number := match.group(1)) in numbers
    }
    assert not found, f"{path} writes ports of ports.env (port, line): {sorted(found)}"


def test_prometheus_scrapes_exactly_the_jobs_of_jobs_json():
    jobs = json.loads((REPO / "monitoring" / "prometheus" / "jobs.json").read_text())
    prometheus_yml = (REPO / "monitoring" / "prometheus" / "prometheus.yml").read_text()
    scraped = set(re.findall(r"^  - job_name: ([\w-]+)$", prometheus_yml, re.M))
    assert scraped == set(jobs)
    # Each job's target list is its own file, and each port it names is declared.
    assert set(re.findall(r"targets/([\w-]+)\.json", prometheus_yml)) == set(jobs)
    assert {job["port"] for job in jobs.values()} <= set(DECLARED)


@pytest.mark.parametrize("config", ["monitoring/otel-collector/config.yaml", "monitoring/jaeger/config.yaml"])
def test_the_collector_and_jaeger_take_their_ports_from_ports_env(config):
    read = set(re.findall(r"\$\{env:(\w+_PORT)\}", (REPO / config).read_text()))
    assert read and read <= set(DECLARED), read - set(DECLARED)
