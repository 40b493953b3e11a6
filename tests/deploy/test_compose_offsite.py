"""docker-compose.offsite.yml, the Compose stack's off-host copy: pgBackRest's second repository (S3) is
given to both writers of the repository, the server's archive-push and the backup job, with a way out
to the store; an unset setting stops Compose naming it, and no other service changes."""

import json

import pytest

from tests.deploy.conftest import COMPOSE_FILES

FILES = [*COMPOSE_FILES, "docker-compose.offsite.yml"]
REPO2_ENV = {
    "PGBACKREST_REPO2_S3_ENDPOINT": "s3.eu-west-1.amazonaws.com",
    "PGBACKREST_REPO2_S3_BUCKET": "tweetstack-backups",
    "PGBACKREST_REPO2_S3_REGION": "eu-west-1",
    "PGBACKREST_REPO2_S3_KEY": "test-key",
    "PGBACKREST_REPO2_S3_KEY_SECRET": "test-key-secret",
    "PGBACKREST_REPO2_CIPHER_PASS": "test-repo2-cipher-pass",
}
WRITERS = {"postgres", "backup"}


@pytest.fixture(scope="module")
def model(compose) -> dict:
    return json.loads(compose(FILES, REPO2_ENV, "--format", "json").stdout)


def test_both_writers_get_the_second_repository_encrypted_and_verified(model):
    for service in WRITERS:
        environment = model["services"][service]["environment"]
        assert environment["PGBACKREST_REPO2_TYPE"] == "s3"
        assert {key: environment[key] for key in REPO2_ENV} == REPO2_ENV
        assert environment["PGBACKREST_REPO2_CIPHER_TYPE"] == "aes-256-cbc"
        # The first repository stays as it was.
        assert environment["PGBACKREST_REPO1_PATH"] == "/var/lib/pgbackrest"
        ca = [v for v in model["services"][service]["volumes"] if v["target"] == "/etc/tweetstack/s3/ca.crt"]
        assert ca and ca[0]["read_only"], service
        assert environment["PGBACKREST_REPO2_STORAGE_CA_FILE"] == ca[0]["target"]


def test_only_the_writers_get_a_way_out_to_the_store(model):
    assert not model["networks"]["offsite"].get("internal", False)
    assert model["networks"]["back"]["internal"] is True
    joined = {name for name, service in model["services"].items() if "offsite" in service.get("networks", {})}
    assert joined == WRITERS
    for service in WRITERS:
        assert "back" in model["services"][service]["networks"], service


def test_no_other_service_changes(compose, model):
    without = json.loads(compose(COMPOSE_FILES, {}, "--format", "json").stdout)
    assert without["services"].keys() == model["services"].keys()
    for name in without["services"].keys() - WRITERS:
        assert without["services"][name] == model["services"][name], name


@pytest.mark.parametrize("setting", REPO2_ENV)
def test_an_unset_setting_stops_compose_naming_it(compose, setting):
    result = compose(FILES, REPO2_ENV | {setting: None}, "--quiet", check=False)
    assert result.returncode != 0 and setting in result.stderr, result.stderr
