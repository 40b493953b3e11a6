"""Running a workflow's job with act (built from tests/cicd/tools/act/go.mod) in its self-hosted mode
(`-P ubuntu-latest=-self-hosted`: the steps run on the host, no runner image), in a clone of the
committed HEAD, the commit the forge would check out (a copy of the work tree would take in uncommitted
edits and untracked files too); act copies that tree for an `actions/checkout` of the same repository,
without fetching the action. Used by tests/cicd/ and by the deploy of tests/deploy/test_terraform_live.py."""

import subprocess
import time
from pathlib import Path

from tests.deploy.conftest import REPO, install

PLATFORM = ["-P", "ubuntu-latest=-self-hosted"]


def clone_head(folder: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(folder)], check=True, timeout=120)
    return folder


def act(*args, env=None, timeout=900, cache: Path, cwd: Path) -> tuple[str, float]:
    """act's output and seconds; fails unless the job succeeded."""
    command = [install("act"), *args, *PLATFORM, "--action-offline-mode", "--no-cache-server"]
    command += ["--action-cache-path", str(cache / "actions")]
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert "Job succeeded" in output, output[-8000:]
    return output, time.monotonic() - started
