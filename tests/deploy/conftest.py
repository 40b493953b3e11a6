"""Fixtures of the deployment tests: the pinned checkers (tools.sh), Terraform with the locally built
docker provider, and Docker Compose's own view of the Compose files.

Nothing here needs a Docker engine. A checker that cannot be installed fails the test with the
command that installs it; none is skipped.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(__file__).with_name("tools.sh")
TERRAFORM_DIR = REPO / "terraform"
COMPOSE_FILES = ["docker-compose.yml", "docker-compose.prod.yml"]
# The repository's env files Compose interpolates (deploy.mk passes the same), before the settings' .env.
COMPOSE_ENV_FILES = [
    REPO / "versions.env",
    REPO / "ports.env",
    REPO / "app" / "config" / "timeouts.env",
    REPO / "app" / "config" / "limits.env",
]


def env_file_arguments(settings_file: Path) -> list[str]:
    paths = [*COMPOSE_ENV_FILES, settings_file]
    return [argument for path in paths for argument in ("--env-file", str(path))]


# What `make env` writes (random values); the tests use fixed ones of the same shape.
TEST_ENV = {
    "POSTGRES_USER": "tweetstack",
    "POSTGRES_DB": "tweetstack",
    "POSTGRES_PASSWORD": "test-postgres-password",
    "PGBACKREST_CIPHER_PASS": "test-pgbackrest-cipher-pass",
    "DJANGO_SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://localhost:8443",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_COOKIES": "true",
    "METRICS_TOKEN": "test-metrics-token-0123456789",
    "GRAFANA_ADMIN_USER": "admin",
    "GRAFANA_ADMIN_PASSWORD": "test-grafana-password",
    "NGINX_PUBLISH": "127.0.0.1:8080",
    "NGINX_HTTPS_PUBLISH": "127.0.0.1:8443",
    "NGINX_HTTPS_PUBLIC_PORT": "8443",
    # The static tests only load the files; the live ones issue a certificate from a local CA
    # (tls_files) and point these at it.
    "TLS_CERT_FILE": "/run/tweetstack-test/tls/server.crt",
    "TLS_KEY_FILE": "/run/tweetstack-test/tls/server.key",
    "TLS_SERVER_NAME": "localhost",
    "TLS_CA_FILE": "/run/tweetstack-test/tls/ca.crt",
    "SENTRY_DSN": "",
}


def run(command: list[str], *, cwd: Path = REPO, env: dict | None = None, timeout: float = 600, check=True):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"`{' '.join(map(str, command))}` exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def install(tool: str) -> str:
    result = run(["bash", str(TOOLS), tool], check=False)
    if result.returncode != 0:
        pytest.fail(
            f"{tool} could not be installed; run `bash tests/deploy/tools.sh {tool}`:\n{result.stderr}"
        )
    return result.stdout.strip()


@pytest.fixture(scope="session")
def hadolint() -> str:
    return install("hadolint")


@pytest.fixture(scope="session")
def checkov() -> str:
    return install("checkov")


@pytest.fixture(scope="session")
def check_jsonschema() -> str:
    return install("check-jsonschema")


@pytest.fixture(scope="session")
def docker_compose() -> str:
    return install("docker-compose")


def clean_environment() -> dict:
    """The caller's environment without anything Compose would interpolate into the files."""
    names = set(TEST_ENV) | {"WEB_REPLICAS", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_ENV_FILES"}
    names |= {
        line.split("=", 1)[0]
        for path in COMPOSE_ENV_FILES
        for line in path.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    return {key: value for key, value in os.environ.items() if key not in names}


@pytest.fixture(scope="session")
def compose(docker_compose, tmp_path_factory):
    """compose(files, env_overrides, *args) -> CompletedProcess of `docker-compose ... config`."""
    folder = tmp_path_factory.mktemp("compose")

    def config(files: list[str], env: dict | None = None, *args: str, check: bool = True):
        values = TEST_ENV | (env or {})
        env_file = folder / "test.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items() if value is not None))
        command = [docker_compose, "--project-directory", str(REPO)]
        command += env_file_arguments(env_file)
        for name in files:
            command += ["-f", str(REPO / name)]
        return run([*command, "config", *args], env=clean_environment(), check=check)

    return config


@pytest.fixture(scope="session")
def compose_prod(compose) -> dict:
    """The merged development + production model, as `docker compose up` would run it, 3 replicas."""
    return json.loads(compose(COMPOSE_FILES, {"WEB_REPLICAS": "3"}, "--format", "json").stdout)


@pytest.fixture(scope="session")
def compose_dev(compose) -> dict:
    return json.loads(compose(COMPOSE_FILES[:1], {}, "--format", "json").stdout)


@pytest.fixture(scope="session")
def terraform(tmp_path_factory):
    """terraform(*args) in terraform/, with the locally built provider; `init` done once per session."""
    build = run(["bash", str(TERRAFORM_DIR / "provider" / "build.sh")], check=False, timeout=1200)
    if build.returncode != 0:
        pytest.fail(
            f"terraform/provider/build.sh failed (it needs terraform and go on PATH):\n{build.stderr}"
        )
    config_file = build.stdout.strip().split("=", 1)[1].strip("'\"")
    env = os.environ | {
        "TF_CLI_CONFIG_FILE": config_file,
        "TF_DATA_DIR": str(tmp_path_factory.mktemp("terraform-data")),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }

    def terraform_command(*args: str, check: bool = True):
        return run(["terraform", *args], cwd=TERRAFORM_DIR, env=env, check=check)

    terraform_command("init", "-input=false", "-backend=false", "-no-color")
    return terraform_command
