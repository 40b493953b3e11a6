"""The native stack's TLS: a local CA, made on first start, and the server certificate nginx serves.

Under the state folder's tls/: ca.crt (give it to the clients that should trust the site: the
checklist, the tests, a browser) and ca.key, server.crt (the leaf, then the CA) and server.key; the
keys are 0600. Both are reused on later starts; the server certificate is issued again when it is
missing, within RENEW_BEFORE of its expiry, for other names, or from another CA. A certificate of
your own (STACK_TLS_CERT and STACK_TLS_KEY, its chain and key) is served as it is instead: the
stack neither makes a CA nor renews it then (README: TLS).
"""

import datetime
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stack.layout import Stack, StackError

# The names the site is reached by on loopback (nginx listens on 127.0.0.1 only).
DNS_NAMES = ("localhost",)
IP_ADDRESSES = ("127.0.0.1",)
CA_VALIDITY = datetime.timedelta(days=3650)
# As an ACME CA issues them; a start within RENEW_BEFORE of the end issues the next one, well before
# CertificateExpiringSoon (monitoring/prometheus/rules/tls.yml) fires.
SERVER_VALIDITY = datetime.timedelta(days=90)
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path


def files(stack: Stack) -> TlsFiles:
    folder = stack.path("tls")
    return TlsFiles(folder / "ca.crt", folder / "ca.key", folder / "server.crt", folder / "server.key")


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.touch(mode=mode)
    temporary.chmod(mode)
    temporary.write_bytes(data)
    temporary.replace(path)


def _private_key_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tweetstack native stack"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _create_ca(paths: TlsFiles, now: datetime.datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"Tweetstack local CA {now:%Y-%m-%d}")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(paths.ca_key, _private_key_bytes(key), 0o600)
    _write(paths.ca_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _subject_alternative_names() -> x509.SubjectAlternativeName:
    return x509.SubjectAlternativeName(
        [x509.DNSName(name) for name in DNS_NAMES]
        + [x509.IPAddress(ipaddress.ip_address(address)) for address in IP_ADDRESSES]
    )


def _issue_server(paths: TlsFiles, now: datetime.datetime) -> None:
    ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(DNS_NAMES[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(min(now + SERVER_VALIDITY, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_subject_alternative_names(), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    _write(paths.key, _private_key_bytes(key), 0o600)
    # The chain nginx sends: the leaf, then its CA.
    chain = cert.public_bytes(serialization.Encoding.PEM) + paths.ca_cert.read_bytes()
    _write(paths.cert, chain, 0o644)


def server_certificate_problem(paths: TlsFiles, now: datetime.datetime) -> str:
    """Why the server certificate must be issued again, or "" when it is good to serve."""
    if not paths.cert.exists() or not paths.key.exists():
        return "missing"
    cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    if cert.issuer != ca_cert.subject:
        return "issued by another CA"
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return "not signed by this CA"
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "no subject alternative names"
    if set(names) != set(_subject_alternative_names()):
        return "for other names"
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return f"expires {cert.not_valid_after_utc:%Y-%m-%d}"
    return ""


def ensure(
    stack: Stack, log: Callable[[str], object] = lambda message: None, now: datetime.datetime | None = None
) -> TlsFiles:
    """The CA and server certificate, created or renewed as needed; the operator's own when given."""
    paths = files(stack)
    if stack.tls_cert or stack.tls_key:
        own = TlsFiles(paths.ca_cert, paths.ca_key, Path(stack.tls_cert), Path(stack.tls_key))
        for variable, path in (("STACK_TLS_CERT", own.cert), ("STACK_TLS_KEY", own.key)):
            if not path.is_file():
                raise StackError(f"{variable}={str(path)!r} is not a file: give both, the chain and its key")
        return own
    now = now or datetime.datetime.now(datetime.UTC)
    if not paths.ca_cert.exists() or not paths.ca_key.exists():
        _create_ca(paths, now)
        log(f"created a local CA in {paths.ca_cert.parent} (trust {paths.ca_cert} to verify the site)")
    if problem := server_certificate_problem(paths, now):
        _issue_server(paths, now)
        log(f"issued nginx's certificate ({problem} before) for {', '.join(DNS_NAMES + IP_ADDRESSES)}")
    return paths
