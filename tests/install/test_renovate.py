"""renovate.json: valid by Renovate's own validator, and its managers find every pin of the repository.

Renovate (from its npm package, tests/deploy/tools.sh) runs on this clone with the local platform in
extract-only mode: no registry is asked, so the test shows what Renovate would watch, offline.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import install
from tests.install.test_fresh_clone import REPO, user_environment


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, dict[str, list[dict]]]:
    """{manager: {package file: [dependency, ...]}} as Renovate extracts them from the committed tree."""
    renovate = install("renovate")
    clone = tmp_path_factory.mktemp("renovate") / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=60)
    result = subprocess.run(
        [
            renovate,
            "--platform=local",
            "--dry-run=extract",
            "--onboarding=false",
            "--require-config=optional",
        ],
        cwd=clone,
        env={
            **user_environment(),
            "LOG_LEVEL": "debug",
            "LOG_FORMAT": "json",
            "RENOVATE_BASE_DIR": str(clone.parent / "renovate-base"),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    for line in result.stdout.splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("msg") == "Extracted dependencies":
            found: dict[str, dict[str, list[dict]]] = {}
            for manager, files in record["packageFiles"].items():
                for file in files:  # one entry per custom manager that matched the file
                    found.setdefault(manager, {}).setdefault(file["packageFile"], []).extend(file["deps"])
            return found
    pytest.fail(f"Renovate extracted nothing:\n{result.stdout[-3000:]}")


def test_the_config_passes_renovates_validator():
    result = subprocess.run(
        [install("renovate-config-validator"), "--strict", "renovate.json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and "Config validated successfully" in result.stdout, result.stdout


def test_the_validator_refuses_a_broken_config(tmp_path: Path):
    broken = tmp_path / "renovate.json"
    broken.write_text(json.dumps({"customManagers": [{"customType": "regex", "matchStrings": ["("]}]}))
    result = subprocess.run(
        [install("renovate-config-validator"), "--strict", str(broken)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and "Found errors in configuration" in result.stdout


def versions(deps: list[dict]) -> dict[str, str]:
    return {dep["depName"]: dep["currentValue"] for dep in deps}


def test_every_image_of_versions_env_is_watched(extracted):
    pinned = dict(
        re.findall(r"^[A-Z0-9_]+_IMAGE=([^:\s]+):(\S+)$", (REPO / "versions.env").read_text(), re.MULTILINE)
    )
    assert pinned and versions(extracted["regex"]["versions.env"]) == pinned


def test_the_lock_the_uv_release_and_the_python_dependencies_are_watched(extracted):
    assert "Django" in versions(extracted["pep621"]["pyproject.toml"])
    uv_pin = re.search(r'required-version = "==(.+)"', (REPO / "pyproject.toml").read_text())[1]
    assert versions(extracted["regex"]["pyproject.toml"]) == {"uv": uv_pin}


def test_every_go_module_that_builds_a_tool_is_watched(extracted):
    go_mods = {str(path.relative_to(REPO)) for path in REPO.rglob("go.mod") if ".venv" not in path.parts}
    assert go_mods and set(extracted["gomod"]) == go_mods
    manifest = (REPO / "monitoring/otel-collector/builder-config.yaml").read_text()
    modules = set(re.findall(r"gomod: (\S+) (v\S+)", manifest))
    version = re.search(r"\n  version: (\S+)\n", manifest)[1]
    found = {
        (dep["depName"], dep["currentValue"])
        for dep in extracted["regex"]["monitoring/otel-collector/builder-config.yaml"]
    }
    assert modules and found == modules | {("go.opentelemetry.io/collector/service", version)}


def test_the_terraform_provider_pin_is_watched(extracted):
    (provider,) = [
        dep
        for dep in extracted["terraform"]["terraform/versions.tf"]
        if dep["depType"] == "required_provider"
    ]
    assert provider["packageName"] == "kreuzwerker/docker"
    assert f'version = "{provider["currentValue"]}"' in (REPO / "terraform/versions.tf").read_text()


def test_every_tool_pinned_in_a_script_is_watched(extracted):
    for script in REPO.rglob("*.sh"):
        pins = re.findall(r"# renovate: datasource=\S+ depName=(\S+)\n\w+ \w+=(\S+)", script.read_text())
        if pins:
            path = str(script.relative_to(REPO))
            assert versions(extracted["regex"][path]) == dict(pins), path
