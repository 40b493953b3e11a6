"""The workflows run, not just written: act runs their jobs on this machine (tests/cicd/act.py).

- ci.yml's lint job: `make lint`, as on the forge. Its test job is `make test` itself, which this
  suite is: running it under act would run the suite inside the suite, so it is not run here.
- images.yml's build-and-push job, for the web image (IMAGES=web, a repository variable), pushing to a
  `distribution` registry on loopback (built from tests/cicd/tools/registry/go.mod) in place of the
  forge's; the test then pulls the image back by the digest the job printed and runs its health check.
  No registry login (the local one needs none) and SBOM=off: syft's build takes minutes (README).
"""

import json
import re
import subprocess
import time
import urllib.request

import pytest

from tests.cicd.act import act, clone_head
from tests.harness import free_port


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return clone_head(tmp_path_factory.mktemp("act") / "tweetstack")


def test_ci_lint_job_runs_under_act(clone, tmp_path):
    output, seconds = act("push", "-W", ".github/workflows/ci.yml", "-j", "lint", cache=tmp_path, cwd=clone)
    assert "Success - Main make lint" in output
    print(f"act ran ci.yml's lint job in {seconds:.0f}s")


@pytest.fixture
def python_base(engine):
    """The stand-in for PYTHON_IMAGE (the web image's base), tagged as versions.env pins it."""
    from tests.deploy.engine import build, debian_base, standin_targets

    debian_base(engine, "bookworm")
    for folder, (name, context) in standin_targets().items():
        if folder.name == "python":
            build(engine, context, name, dockerfile=folder / "Dockerfile")
            return name
    raise AssertionError("no stand-in for PYTHON_IMAGE in tests/deploy/standins/")


def test_images_job_pushes_the_web_image_which_pulls_back_by_digest_and_is_healthy(
    engine, python_base, registry, clone, tmp_path
):
    namespace = "tweetstack-act"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/tags/v0.0.0-act"}))
    variables = {"REGISTRY": registry, "IMAGE_NAMESPACE": namespace, "SBOM": "off", "IMAGES": "web"}
    var_args = [arg for key, value in variables.items() for arg in ("--var", f"{key}={value}")]
    output, seconds = act(
        "push", "-e", str(event), "-W", ".github/workflows/images.yml", "-j", "build-and-push",
        *var_args, env=engine.env, cache=tmp_path, cwd=clone,
    )  # fmt: skip
    print(f"act ran images.yml's build-and-push job (web image) in {seconds:.0f}s")
    repository = f"{registry}/{namespace}/tweetstack-web"
    match = re.search(rf"web=({re.escape(repository)}@sha256:[0-9a-f]{{64}})", output)
    assert match, output[-6000:]
    reference = match.group(1)
    digest = reference.split("@", 1)[1]

    # The registry serves that manifest under the version tag and the commit's tag.
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True)
    for tag in ("v0.0.0-act", commit.stdout.strip()):
        request = urllib.request.Request(
            f"http://{registry}/v2/{namespace}/tweetstack-web/manifests/{tag}",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
            method="HEAD",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Docker-Content-Digest"] == digest, tag

    # The local tags go, then the image comes back from the registry by its digest alone.
    engine.docker("image", "rm", f"{repository}:v0.0.0-act", f"{repository}:{commit.stdout.strip()}")
    engine.docker("pull", reference)
    name = f"tweetstack-act-web-{free_port()}"
    engine.docker(
        "run", "-d", "--name", name, "--label", "tweetstack-test=act",
        # Production settings need these to start; /healthz touches no database.
        "-e", "DJANGO_SECRET_KEY=" + "k" * 60, "-e", "DJANGO_ALLOWED_HOSTS=localhost",
        "-e", "DATABASE_URL=postgres://nobody@127.0.0.1/none",
        "--health-interval", "2s", "--health-start-period", "60s", reference,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        status = ""
        while time.monotonic() < deadline:
            state = json.loads(engine.docker("inspect", name).stdout)[0]["State"]
            status = state.get("Health", {}).get("Status", "")
            if status == "healthy" or not state["Running"]:
                break
            time.sleep(1)
        logs = engine.docker("logs", name, check=False)
        assert status == "healthy", (state, logs.stdout[-3000:], logs.stderr[-3000:])
    finally:
        engine.docker("rm", "-f", name, check=False)
