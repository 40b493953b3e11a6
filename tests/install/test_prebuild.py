"""The background prebuild (tests/prebuild.py) and the tier order it relies on (pyproject's testpaths)."""

import re
import subprocess
import tomllib
from pathlib import Path

from tests import prebuild

REPO = Path(__file__).resolve().parents[2]
# Not built by `make test`: syft only by images.yml on the forge; renovate-config-validator is the
# renovate package's other executable.
NOT_PREBUILT = {"syft", "renovate-config-validator"}


def test_every_tool_the_suite_installs_is_prebuilt():
    usage = subprocess.run(
        ["bash", str(REPO / "tests/deploy/tools.sh")], capture_output=True, text=True
    ).stderr
    tools = set(re.search(r"usage: \S+ (\S+)", usage).group(1).split("|"))
    prebuilt = {
        command[2] for command in prebuild.DOWNLOADS + prebuild.BUILDS if command[:2] == prebuild.TOOLS
    }
    assert tools - NOT_PREBUILT == prebuilt


def test_the_suite_runs_every_tier_of_tests():
    """testpaths names the tiers one by one (for their order): a new tier left out would never run."""
    testpaths = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
        "testpaths"
    ]
    tiers = {f"tests/{path.parent.name}" for path in (REPO / "tests").glob("*/test_*.py")}
    assert sorted(testpaths) == sorted(tiers)
    assert not list((REPO / "tests").glob("test_*.py")), "a test file outside every tier would never run"
