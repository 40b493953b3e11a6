"""The off-host copy: pgBackRest's second repository over the S3 protocol. No object store runs here,
so moto's server stands in for S3 (it speaks the protocol: signed requests, buckets, multipart
uploads), over TLS with a certificate pgBackRest verifies against its own CA file (pgBackRest 2.45
matches the endpoint against the certificate's DNS names only, so the endpoint is `localhost`)."""

import datetime
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backups import pgbackrest
from tests.backups.archiving import archiving_database, manage, post, restored_texts, scratch_folder
from tests.harness import free_ports, wait_for_port

BUCKET = "tweetstack-backups"


def self_signed(folder, names=("localhost",)) -> tuple[str, str]:
    """A self-signed certificate (its own CA) for these DNS names, and its key: (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, key_file = folder / "s3.crt", folder / "s3.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert.chmod(0o644)
    return str(cert), str(key_file)


NGINX_CONF = """
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
daemon off;
events {{}}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 0;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://127.0.0.1:{moto_port};
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def s3():
    """moto's S3 behind nginx, which terminates TLS (moto's own TLS, werkzeug's, ends connections
    without TLS's close_notify, which pgBackRest's OpenSSL 3 refuses: "unexpected eof while reading")."""
    folder = Path(tempfile.mkdtemp(prefix="tweetstack-s3-"))
    folder.chmod(0o755)  # pgBackRest (as postgres) reads the CA file
    cert, key = self_signed(folder)
    port, moto_port = free_ports(2)
    moto = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    nginx = shutil.which("nginx") or pytest.fail("nginx not found: apt-get install nginx-light")
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=folder, port=port, cert=cert, key=key, moto_port=moto_port))
    servers = [
        subprocess.Popen(
            [moto, "-H", "127.0.0.1", "-p", str(moto_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen([nginx, "-p", str(folder), "-c", str(conf)], stdout=subprocess.DEVNULL),
    ]
    try:
        wait_for_port(moto_port, timeout=60)
        wait_for_port(port, timeout=60)
        credentials = {"aws_access_key_id": "tweetstack", "aws_secret_access_key": secrets.token_hex(16)}
        endpoint, region = f"https://localhost:{port}", "us-east-1"
        client = boto3.client("s3", endpoint_url=endpoint, region_name=region, verify=cert, **credentials)
        client.create_bucket(Bucket=BUCKET)
        yield {"port": port, "cert": cert, "client": client, **credentials}
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def repo2(s3) -> dict[str, str]:
    """pgBackRest's options for the S3 repository, as a deployment gives them (PGBACKREST_REPO2_*)."""
    return {
        "PGBACKREST_REPO2_TYPE": "s3",
        "PGBACKREST_REPO2_PATH": "/tweetstack",
        "PGBACKREST_REPO2_S3_ENDPOINT": "localhost",
        "PGBACKREST_REPO2_STORAGE_PORT": str(s3["port"]),
        "PGBACKREST_REPO2_S3_BUCKET": BUCKET,
        "PGBACKREST_REPO2_S3_REGION": "us-east-1",
        "PGBACKREST_REPO2_S3_URI_STYLE": "path",
        "PGBACKREST_REPO2_S3_KEY": s3["aws_access_key_id"],
        "PGBACKREST_REPO2_S3_KEY_SECRET": s3["aws_secret_access_key"],
        "PGBACKREST_REPO2_STORAGE_CA_FILE": s3["cert"],
        "PGBACKREST_REPO2_CIPHER_TYPE": "aes-256-cbc",
        "PGBACKREST_REPO2_CIPHER_PASS": secrets.token_urlsafe(32),
        "PGBACKREST_REPO2_RETENTION_FULL": "2",
    }


def test_with_the_host_lost_the_database_is_restored_from_the_s3_copy(s3):
    with archiving_database(repositories=repo2(s3)) as database:
        output = manage("backup", env=database["env"])
        assert "pgBackRest full" in output
        stanza = pgbackrest.info()
        assert pgbackrest.repositories(stanza) == [1, 2]
        assert {b["database"]["repo-key"] for b in stanza["backup"]} == {1, 2}
        later = [f"after the backup {n} {secrets.token_hex(4)}" for n in range(10)]
        post(database["url"], database["author"], later)
        pgbackrest.run("check")  # archived to both repositories

        # The host's repository is gone with the host.
        shutil.rmtree(database["base"] / "repo")
        base = scratch_folder()
        try:
            pgbackrest.restore(base / "pgdata", "--repo=2")
            texts = restored_texts(base / "pgdata")
        finally:
            shutil.rmtree(base, ignore_errors=True)
    assert set(later) <= texts

    # What the object store holds is encrypted: pgBackRest's files are OpenSSL-format ciphertext.
    objects = s3["client"].list_objects_v2(Bucket=BUCKET, Prefix="tweetstack/archive/")["Contents"]
    wal = next(o["Key"] for o in objects if o["Key"].endswith(".zst"))
    assert s3["client"].get_object(Bucket=BUCKET, Key=wal)["Body"].read(8) == b"Salted__"
