"""The Dockerfiles: hadolint and checkov clean, non-root with a healthcheck, bases pinned in versions.env."""

import json
import re

import pytest

from tests.deploy.conftest import REPO, run
from tests.deploy.engine import STANDINS

DOCKERFILES = [
    "Dockerfile",
    "monitoring/otel-collector/Dockerfile",
    "monitoring/mtail/Dockerfile",
    "postgres/Dockerfile",
]


def versions() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (REPO / "versions.env").read_text().splitlines())
    return {key: value for key, value in (p for p in pairs if len(p) == 2 and not p[0].startswith("#"))}


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_dockerfile_is_hadolint_clean(hadolint, dockerfile):
    result = run([hadolint, "--no-color", dockerfile], check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfiles_pass_checkovs_dockerfile_checks(checkov):
    command = [checkov, "--quiet", "--compact", "--skip-download", "--framework", "dockerfile", "-o", "json"]
    for dockerfile in DOCKERFILES:
        command += ["-f", dockerfile]
    report = json.loads(run(command, check=False).stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["file_path"]) for c in report["results"]["failed_checks"]]
    assert summary["failed"] == 0, failed
    assert summary["passed"] >= 100


def test_no_dockerfile_makes_buildkit_fetch_a_frontend():
    # A `# syntax=` line makes BuildKit pull its frontend image first: offline builds fail on it.
    for dockerfile in [*DOCKERFILES, *(str(p.relative_to(REPO)) for p in STANDINS.glob("*/Dockerfile"))]:
        assert not re.search(r"^#\s*syntax\s*=", (REPO / dockerfile).read_text(), re.MULTILINE), dockerfile


def test_every_image_tag_is_pinned_once_in_versions_env():
    images = versions()
    assert images, "versions.env lists no image"
    for name, image in images.items():
        assert name.endswith("_IMAGE")
        assert re.fullmatch(r"[a-z0-9./_-]+:[A-Za-z0-9_][A-Za-z0-9_.-]*", image), f"{name}={image} has no tag"
        assert not image.endswith(":latest"), f"{name} is latest"
        assert re.search(r":v?\d", image), f"{name}={image} is not a version tag"


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_base_images_come_from_versions_env(dockerfile):
    text = (REPO / dockerfile).read_text()
    bases = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.MULTILINE))
    for base in bases:
        if base in stages:
            continue
        argument = re.fullmatch(r"\$\{(\w+)\}", base)
        assert argument, f"{dockerfile}: FROM {base} is not a versions.env build argument"
        assert argument.group(1) in versions(), f"{dockerfile}: {argument.group(1)} is not in versions.env"
        # No default beside versions.env: a second pin would drift.
        assert re.search(rf"^ARG {argument.group(1)}$", text, re.MULTILINE)


def test_app_image_runs_as_non_root_with_a_liveness_healthcheck():
    web_stage = (REPO / "Dockerfile").read_text().split(" AS web\n", 1)[1].split("\nFROM ", 1)[0]
    user = re.findall(r"^USER\s+(\S+)", web_stage, re.MULTILINE)
    assert user and not user[-1].startswith(("0", "root")), user
    assert re.search(r"^HEALTHCHECK .*\n.*?/healthz", web_stage, re.MULTILINE)
    assert "collectstatic" in web_stage
    # The build-time secret is generated inside the RUN, never an ENV/ARG that stays in the image.
    assert not re.search(r"^(ENV|ARG)\s.*DJANGO_SECRET_KEY", web_stage, re.MULTILINE)


def test_dockerignore_keeps_secrets_state_and_tooling_out():
    lines = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert lines[0] == "*", "the context is an allow-list"
    # The app's build inputs, what the checklist stage reads (the configs as deployed) and the backup stage.
    assert {line for line in lines if line.startswith("!")} == {
        "!pyproject.toml", "!uv.lock", "!app/", "!checklist/", "!stack/", "!monitoring/", "!terraform/*.tf",
        "!terraform/modules/", "!docs/runbooks/", "!nginx/", "!Dockerfile", "!docker-compose.yml",
        "!docker-compose.prod.yml", "!ports.env", "!postgres/",  # pgBackRest's settings, for the backup stage
    }  # fmt: skip
    assert "**/.env" in lines


def test_collector_image_builds_with_the_native_stacks_builder_version():
    # Both read ocb's version from the manifest's collector/service line, so it is written once.
    pattern = r"go\.opentelemetry\.io/collector/service v0\.[0-9]+\.[0-9]+"
    script = (REPO / "scripts/build-otel.sh").read_text()
    dockerfile = (REPO / "monitoring/otel-collector/Dockerfile").read_text()
    assert pattern in script
    assert pattern in dockerfile
    manifest = (REPO / "monitoring/otel-collector/builder-config.yaml").read_text()
    assert re.search(pattern, manifest), "the manifest names no collector/service version"
    assert "COPY builder-config.yaml" in dockerfile
