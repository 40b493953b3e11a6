"""The native stack's TLS (stack/tls.py): the local CA and nginx's certificate, made once, kept, renewed
near the end; nginx, given them, serves HTTPS with HTTP/2 and HSTS and sends plain HTTP there."""

import datetime
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from cryptography import x509

from stack import render, tls
from stack.layout import Stack, StackError
from tests.harness import free_ports


def make_stack(tmp_path, **environ) -> Stack:
    return Stack.from_env({"STACK_DIR": str(tmp_path / "stack"), **environ})


def not_after(path) -> datetime.datetime:
    return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc


def test_first_start_makes_a_ca_and_a_certificate_it_verifies_for_localhost_and_127_0_0_1(tmp_path):
    paths = tls.ensure(make_stack(tmp_path))
    assert paths.key.stat().st_mode & 0o777 == 0o600
    assert paths.ca_key.stat().st_mode & 0o777 == 0o600
    context = ssl.create_default_context(cafile=paths.ca_cert)
    leaf = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(address) for address in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    # The chain loads as a server's would, with its key.
    context.load_cert_chain(paths.cert, paths.key)


def test_later_starts_reuse_the_ca_and_the_certificate(tmp_path):
    stack = make_stack(tmp_path)
    first = tls.ensure(stack)
    before = (first.ca_cert.read_bytes(), first.cert.read_bytes(), first.key.read_bytes())
    second = tls.ensure(stack)
    assert (second.ca_cert.read_bytes(), second.cert.read_bytes(), second.key.read_bytes()) == before


def test_a_start_within_30_days_of_the_end_issues_a_new_certificate_from_the_same_ca(tmp_path):
    stack = make_stack(tmp_path)
    now = datetime.datetime.now(datetime.UTC)
    paths = tls.ensure(stack, now=now)
    ca, old_end = paths.ca_cert.read_bytes(), not_after(paths.cert)
    later = now + tls.SERVER_VALIDITY - tls.RENEW_BEFORE + datetime.timedelta(days=1)
    messages = []
    tls.ensure(stack, messages.append, now=later)
    assert not_after(paths.cert) > old_end + datetime.timedelta(days=30)
    assert paths.ca_cert.read_bytes() == ca
    assert any("expires" in message for message in messages), messages


def test_a_certificate_of_another_ca_is_replaced(tmp_path):
    stack = make_stack(tmp_path)
    paths = tls.ensure(stack)
    paths.ca_cert.unlink()
    tls.ensure(stack)
    ssl.create_default_context(cafile=paths.ca_cert).load_cert_chain(paths.cert, paths.key)
    assert tls.server_certificate_problem(paths, datetime.datetime.now(datetime.UTC)) == ""


def test_an_operators_own_certificate_is_served_as_given_and_no_ca_is_made(tmp_path):
    own = tls.ensure(make_stack(tmp_path / "elsewhere"))
    stack = make_stack(tmp_path, STACK_TLS_CERT=str(own.cert), STACK_TLS_KEY=str(own.key))
    paths = tls.ensure(stack)
    assert (paths.cert, paths.key) == (own.cert, own.key)
    assert not stack.path("tls").exists()


def test_an_own_certificate_that_is_missing_is_a_clear_error(tmp_path):
    stack = make_stack(tmp_path, STACK_TLS_CERT=str(tmp_path / "nope.crt"), STACK_TLS_KEY="")
    with pytest.raises(StackError, match=r"STACK_TLS_CERT='.*nope\.crt' is not a file"):
        tls.ensure(stack)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def nginx(tmp_path):
    """nginx with the stack's rendered config on free ports; only its own locations answer (no replica)."""
    plain, https, status, web = free_ports(4)
    stack = make_stack(
        tmp_path,
        STACK_PORT_NGINX=str(plain),
        STACK_PORT_NGINX_HTTPS=str(https),
        STACK_PORT_NGINX_STATUS=str(status),
        STACK_PORT_WEB=str(web),
    )
    render.render_nginx(stack, image_max_bytes=1024 * 1024)
    conf = str(stack.path("etc", "nginx", "nginx.conf"))
    process = subprocess.Popen(
        ["nginx", "-p", f"{stack.www}/", "-c", conf, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", https), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield stack
    process.terminate()
    process.wait(timeout=10)


def fetch(url: str, context: ssl.SSLContext | None = None) -> tuple[int, dict]:
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_nginx_serves_https_with_http2_and_hsts_verified_by_the_local_ca(nginx):
    context = ssl.create_default_context(cafile=nginx.ca_file)
    # No replica runs: nginx's own 503 page, with the headers of every response.
    status, headers = fetch(nginx.site_url("/explore/"), context)
    assert status == 503
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", nginx.ports["nginx-https"])) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as connection,
    ):
        assert connection.selected_alpn_protocol() == "h2"
        assert connection.version() in ("TLSv1.2", "TLSv1.3")


def test_nginx_refuses_a_client_that_does_not_trust_the_local_ca(nginx):
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(nginx.site_url("/healthz"), ssl.create_default_context())


def test_plain_http_redirects_to_https_except_the_health_check(nginx):
    status, headers = fetch(nginx.url("nginx", "/explore/?page=2"))
    assert status == 301
    assert headers["Location"] == f"https://127.0.0.1:{nginx.ports['nginx-https']}/explore/?page=2"
    assert "Strict-Transport-Security" not in headers
    # /healthz stays plain for load balancers: proxied (here no replica answers: nginx's 503).
    assert fetch(nginx.url("nginx", "/healthz"))[0] == 503
