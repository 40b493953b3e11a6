"""The development Compose file, live: `docker compose up --wait` from the file users run (`make up`),
the app served with the code mounted on 127.0.0.1 at WEB_PORT of ports.env; and the migration job
brought up alone.
Grafana and Loki are left out (see test_compose_live.py)."""

import pytest

from tests.deploy.conftest import TEST_ENV
from tests.deploy.live import PORTS, http, wait_until
from tests.deploy.test_compose_live import ComposeDeployment


@pytest.fixture(scope="module")
def dev(engine, local_images, tmp_path_factory):
    deployment = ComposeDeployment(
        engine,
        ["docker-compose.yml"],
        dict(TEST_ENV),
        tmp_path_factory.mktemp("compose-dev"),
        "tweetstack-test-dev",
    )
    deployment.compose("down", "-v", "--remove-orphans", check=False)
    deployment.build()
    try:
        yield deployment
    finally:
        deployment.compose("down", "-v", "--remove-orphans", "--timeout", "10", check=False)


def test_the_migration_job_comes_up_alone_with_wait(dev):
    # `up --wait migrate` failed with Compose 2.x ("has no healthcheck configured", or "exited (0)"
    # without `healthcheck: disable`); Compose v5 accepts it, returning once the job runs, so
    # `compose wait` then gives the job's exit code.
    dev.up("migrate")
    assert dev.compose("wait", "migrate").stdout.strip().endswith("exited with status code 0")
    (job,) = dev.containers("migrate")
    assert job["State"] == "exited" and job["ExitCode"] == 0, job


def test_the_development_stack_comes_up_and_serves_the_app_on_its_web_port(dev):
    dev.up()
    site = f"http://127.0.0.1:{PORTS['WEB_PORT']}"
    page = wait_until(lambda: http(site + "/explore/"), 60, f"the app does not answer at {site}")
    assert page.status == 200
    assert "Explore" in page.text
    assert http(site + "/", method="HEAD").status in (200, 302)
