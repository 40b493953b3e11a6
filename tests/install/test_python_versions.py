"""The Python versions pyproject.toml declares beyond the default (.python-version) run the app's tests.

Each version gets a venv of its own under the cache folder with exactly uv.lock's versions (the lock
resolves for the whole requires-python range), then runs the domain's tests (accounts, tweets) on
PostgreSQL and Redis of its own.
"""

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.engine import CACHE
from tests.install.test_fresh_clone import REPO, user_environment

UV_VERSION = re.search(r'^required-version = "==(.+)"$', (REPO / "pyproject.toml").read_text(), re.M)[1]
UV = CACHE / "tools" / f"uv-{UV_VERSION}" / "bin" / "uv"  # the Makefile installs it
# The domain's Django tests; the gunicorn-level ones run on the images' 3.11 in the main run.
TESTS = ["tests/accounts", "tests/tweets"]


def declared_versions() -> list[str]:
    declared = re.search(
        r'^requires-python = ">=3\.(\d+),<3\.(\d+)"$', (REPO / "pyproject.toml").read_text(), re.M
    )
    default = (REPO / ".python-version").read_text().strip()
    return [f"3.{minor}" for minor in range(int(declared[1]), int(declared[2])) if f"3.{minor}" != default]


def interpreter(version: str) -> str:
    """python3.X on PATH if it runs, else a pyenv build of it (pyenv's shim only runs the active one)."""
    candidates = [shutil.which(f"python{version}")]
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"), reverse=True)
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True, check=False).returncode == 0:
            return candidate
    pytest.fail(f"Python {version} is declared in pyproject.toml but not installed (apt or pyenv)")


@pytest.mark.parametrize("version", declared_versions())
def test_the_apps_tests_pass_on_every_declared_python(version: str):
    assert UV.is_file(), f"{UV} missing: `make install` installs it"
    venv = CACHE / "venvs" / f"tweetstack-python{version}"
    # Without the harness's DATABASE_URL/REDIS_URL, so the run starts PostgreSQL and Redis of its own.
    environment = {**user_environment(), "UV_PROJECT_ENVIRONMENT": str(venv)}
    synced = subprocess.run(
        [str(UV), "sync", "--locked", "--quiet", "--python", interpreter(version)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert synced.returncode == 0, synced.stderr
    result = subprocess.run(
        [str(venv / "bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0 and re.search(r"\d+ passed", summary), result.stdout[-4000:] + result.stderr
    assert (
        f"Python {version}"
        in subprocess.run(
            [str(venv / "bin/python"), "--version"], capture_output=True, text=True, check=True
        ).stdout
    )
