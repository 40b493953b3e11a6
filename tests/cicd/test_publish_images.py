"""scripts/publish_images.sh refuses bad input with the reason, before anything is built or pushed."""

import os
import subprocess

import pytest

from tests.deploy.conftest import REPO

SCRIPT = REPO / "scripts" / "publish_images.sh"
GOOD = {
    "REGISTRY": "127.0.0.1:1",
    "NAMESPACE": "Owner",
    "VERSION": "v1.2.0",
    "COMMIT": "0123abc",
    "SBOM": "off",
}


def publish(*names, **overrides):
    env = {key: value for key, value in (os.environ | GOOD | overrides).items() if value is not None}
    # No docker on PATH: a refusal must come before any build.
    env["PATH"] = "/usr/bin:/bin"
    return subprocess.run(["bash", str(SCRIPT), *names], env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("names", "overrides", "reason"),
    [
        (["web", "bogus"], {}, "unknown image bogus"),
        (["web"], {"VERSION": "v1/../x"}, "is not a valid image tag"),
        (["web"], {"COMMIT": "main"}, "is not a commit SHA"),
        (["web"], {"SBOM": "cyclone"}, "SBOM=cyclone: use syft or off"),
        (["web"], {"REGISTRY": None}, "set REGISTRY"),
    ],
)
def test_bad_input_is_refused_with_the_reason_before_any_build(names, overrides, reason):
    result = publish(*names, **overrides)
    assert result.returncode != 0 and reason in result.stderr, result.stderr
    assert "building" not in result.stderr and not result.stdout
