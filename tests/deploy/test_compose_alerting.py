"""docker-compose.alerting.yml, Compose's production alert delivery: the production receivers replace the
sink's, and each credential they read arrives as a Compose secret at the path they read it from."""

import json
import re
import subprocess

import pytest

from stack.layout import PRODUCTION_RECEIVERS
from tests.deploy.conftest import COMPOSE_FILES, REPO

FILES = [*COMPOSE_FILES, "docker-compose.alerting.yml"]
ALERT_ENV = {
    "ALERT_PAGERDUTY_ROUTING_KEY": "test-routing-key",
    "ALERT_SLACK_WEBHOOK_URL": "https://hooks.slack.invalid/services/T/B/X",
    "ALERT_SMTP_PASSWORD": "test-smtp-password",
    "ALERT_WATCHDOG_TOKEN": "test-watchdog-token",
}


@pytest.fixture(scope="module")
def model(compose) -> dict:
    return json.loads(compose(FILES, ALERT_ENV, "--format", "json").stdout)


def test_the_production_receivers_replace_the_sinks(model):
    volumes = model["services"]["alertmanager"]["volumes"]
    receivers = [v for v in volumes if v["target"] == "/etc/alertmanager/receivers.yml"]
    assert [v["source"] for v in receivers] == [str(PRODUCTION_RECEIVERS)]


def test_every_credential_the_receivers_read_is_a_secret_from_the_environment(model):
    read = set(re.findall(r"_file: (/etc/alertmanager/secrets/\w+)$", PRODUCTION_RECEIVERS.read_text(), re.M))
    assert len(read) == 4
    given = {s["target"]: s["source"] for s in model["services"]["alertmanager"]["secrets"]}
    assert set(given) == read
    variables = {model["secrets"][source]["environment"] for source in given.values()}
    assert variables == set(ALERT_ENV)
    assert all("file" not in model["secrets"][source] for source in given.values())


@pytest.mark.parametrize("variable", ALERT_ENV)
def test_a_missing_credential_stops_compose_naming_it(compose, variable):
    result = compose(FILES, ALERT_ENV | {variable: None}, "--quiet", check=False)
    assert result.returncode != 0
    assert variable in result.stderr


def test_alertmanager_gets_a_way_out_to_deliver(model):
    networks = model["services"]["alertmanager"]["networks"]
    assert set(networks) == {"back", "ops"}
    assert model["networks"]["back"]["internal"] is True
    assert not model["networks"]["ops"].get("internal")


def test_without_the_overlay_alertmanager_gets_no_credentials_and_no_way_out(compose_prod):
    assert "secrets" not in compose_prod["services"]["alertmanager"]
    assert set(compose_prod["services"]["alertmanager"]["networks"]) == {"back"}


def test_make_passes_the_overlay_only_for_production_alerting():
    def files(alerting: str) -> str:
        result = subprocess.run(
            ["make", "-n", "prod-ps", f"ALERTING={alerting}"], cwd=REPO, capture_output=True, text=True
        )
        return result.stdout + result.stderr

    assert "docker-compose.alerting.yml" in files("production")
    assert "docker-compose.alerting.yml" not in files("sink")
    assert "use sink (the alert-sink log, the default) or production" in files("pagerduty")
