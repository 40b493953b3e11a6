"""The GitHub Actions workflows users get (.github/workflows/): actionlint's checks (syntax, expressions,
shellcheck of every `run:`), zizmor's security audits, and every third-party action pinned by commit."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.deploy.conftest import REPO, install

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ZIZMOR = Path(sys.executable).with_name("zizmor")


def test_there_are_workflows():
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "images.yml", "deploy.yml"}


def test_actionlint_finds_nothing():
    actionlint = install("actionlint")
    result = subprocess.run(
        [actionlint, "-no-color", *map(str, WORKFLOWS)], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    # --offline: no GitHub API look-ups (none can be made here); every offline audit runs.
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", "--format", "plain", *map(str, WORKFLOWS)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_by_commit_with_its_release_named():
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), (path.name, step)
        for line in path.read_text().splitlines():
            # A workflow of this repository (uses: ./.github/workflows/...) runs at the same commit.
            if "uses:" in line and "uses: ./" not in line:
                assert re.search(r"@[0-9a-f]{40} # v\d", line), (path.name, line)
