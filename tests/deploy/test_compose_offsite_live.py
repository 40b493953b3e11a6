"""docker-compose.offsite.yml live: the Compose stack's PostgreSQL archives its WAL to, and backs up into,
pgBackRest's second repository on an S3 store, over the `offsite` network, verifying the store's
certificate, encrypted. The store is moto's S3 server behind TLS (tests/deploy/s3/, the stand-in the
native stack's S3 test runs too); only the server and the stand-in are started (service selection), the
backup job gets the same settings from the same anchor (tests/deploy/test_compose_offsite.py)."""

import importlib.metadata
import json
import secrets

import boto3
import pytest

from tests.backups.test_s3_repository import self_signed
from tests.deploy.conftest import REPO, TEST_ENV
from tests.deploy.engine import build, versions
from tests.deploy.test_compose_live import FILES, ComposeDeployment
from tests.harness import free_port

BUCKET = "tweetstack-offsite"
STANDIN = REPO / "tests" / "deploy" / "s3"


@pytest.fixture(scope="module")
def offsite(engine, local_images, tmp_path_factory):
    tls = tmp_path_factory.mktemp("s3-tls")
    tls.chmod(0o755)
    cert, _ = self_signed(tls, names=("s3", "localhost"))
    image = f"tweetstack-test-s3:moto-{importlib.metadata.version('moto')}"
    args = {"PYTHON_IMAGE": versions()["PYTHON_IMAGE"], "MOTO_VERSION": importlib.metadata.version("moto")}
    build(engine, STANDIN, image, args=args)
    port = free_port()
    credentials = {
        "PGBACKREST_REPO2_S3_KEY": "tweetstack",
        "PGBACKREST_REPO2_S3_KEY_SECRET": secrets.token_hex(16),
    }
    env = (
        TEST_ENV
        | credentials
        | {
            "PGBACKREST_REPO2_S3_ENDPOINT": "s3",
            "PGBACKREST_REPO2_S3_BUCKET": BUCKET,
            "PGBACKREST_REPO2_S3_REGION": "us-east-1",
            "PGBACKREST_REPO2_S3_URI_STYLE": "path",
            "PGBACKREST_REPO2_CIPHER_PASS": secrets.token_urlsafe(32),
            "PGBACKREST_REPO2_CA_FILE": cert,
            "S3_STANDIN_IMAGE": image,
            "S3_TLS_DIR": str(tls),
            "S3_PUBLISH_PORT": str(port),
        }
    )
    files = [*FILES, "docker-compose.offsite.yml", str(STANDIN.relative_to(REPO) / "compose.yml")]
    deployment = ComposeDeployment(
        engine, files, env, tmp_path_factory.mktemp("compose-offsite"), "tweetstack-offsite"
    )
    deployment.compose("down", "-v", "--remove-orphans", check=False)
    deployment.compose("build", "postgres", builder=True)
    try:
        deployment.up("postgres", "s3")
        client = boto3.client(
            "s3", endpoint_url=f"https://localhost:{port}", region_name="us-east-1", verify=cert,
            aws_access_key_id=credentials["PGBACKREST_REPO2_S3_KEY"],
            aws_secret_access_key=credentials["PGBACKREST_REPO2_S3_KEY_SECRET"],
        )  # fmt: skip
        client.create_bucket(Bucket=BUCKET)
        yield deployment, client
    finally:
        deployment.compose("down", "-v", "--remove-orphans", "--timeout", "10", check=False)


def pgbackrest(deployment, *args) -> str:
    return deployment.compose("exec", "-T", "postgres", "pgbackrest", *args).stdout


def test_the_server_archives_and_backs_up_into_the_offsite_repository_encrypted(offsite):
    deployment, client = offsite
    pgbackrest(deployment, "stanza-create")
    # A WAL segment switched and archived, and checked in both repositories.
    pgbackrest(deployment, "check")
    pgbackrest(deployment, "backup", "--repo=2", "--type=full")

    (stanza,) = json.loads(pgbackrest(deployment, "info", "--output=json"))
    assert [repo["key"] for repo in stanza["repo"]] == [1, 2]
    # The first repository has the WAL but no backup yet (this one went to the second only).
    assert stanza["repo"][1]["status"] == {"code": 0, "message": "ok"}, stanza["repo"]
    assert {backup["database"]["repo-key"] for backup in stanza["backup"]} == {2}
    archived = [a for a in stanza["archive"] if a["database"]["repo-key"] == 2]
    assert archived and archived[0]["max"], stanza["archive"]

    # What the store holds is ciphertext (OpenSSL's format), under the repository's path.
    objects = client.list_objects_v2(Bucket=BUCKET, Prefix="tweetstack/archive/")["Contents"]
    wal = next(o["Key"] for o in objects if o["Key"].endswith(".zst"))
    assert client.get_object(Bucket=BUCKET, Key=wal)["Body"].read(8) == b"Salted__"
