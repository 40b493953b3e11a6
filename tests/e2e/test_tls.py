"""TLS on the native stack: the checklist's TLS items pass, plain HTTP is sent to HTTPS, and the
certificate's expiry is a metric Prometheus has from the blackbox exporter."""

import json
import subprocess
import sys
import time

from cryptography import x509

from tests.e2e.conftest import REPO, http, wait_until

TLS_ITEMS = {"security.check_deploy", "security.hsts", "security.cookies"}


def test_the_checklist_passes_its_tls_items_against_the_https_site(stack):
    result = subprocess.run(
        [sys.executable, "-m", "checklist", "--json", "--no-record"],
        cwd=REPO,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    assert report["url"].rstrip("/") == stack.site
    statuses = {row["item"]: (row["status"], row["checked"]) for row in report["items"]}
    assert {item: statuses[item][0] for item in TLS_ITEMS} == dict.fromkeys(TLS_ITEMS, "PASS"), statuses


def test_plain_http_is_redirected_to_the_https_site(stack):
    # urllib follows the redirect: the page comes from the HTTPS listener, verified with the local CA.
    response = http(stack.url("nginx", "/explore/"))
    assert response.status == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_prometheus_has_the_certificates_expiry_from_the_blackbox_probe(stack):
    served = x509.load_pem_x509_certificate((stack.state / "tls" / "server.crt").read_bytes())
    instance = f"{stack.site}/healthz"

    def expiry():
        found = stack.prometheus(f'probe_ssl_earliest_cert_expiry{{job="tls", instance="{instance}"}}')
        return float(found[0]["value"][1]) if found else None

    seen = wait_until(expiry, 60, "no probe_ssl_earliest_cert_expiry for the HTTPS site")
    assert seen == served.not_valid_after_utc.timestamp()
    # About 90 days left on a new certificate: CertificateExpiringSoon (14 days) stays silent.
    assert 80 * 86400 < seen - time.time() <= 90 * 86400
    assert not stack.prometheus('ALERTS{alertname="CertificateExpiringSoon"}')
