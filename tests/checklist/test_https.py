"""The checklist's HTTPS: the site's chain verified against the CA it is given, for the server name
it is given when the URL reaches the site by another address (a container's https://localhost)."""

import http.server
import ssl
import threading
import urllib.error

import pytest

from checklist.core import Deployment
from stack import tls
from stack.layout import Stack


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Strict-Transport-Security", "max-age=31536000")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An HTTPS server on loopback with a certificate for localhost and 127.0.0.1 from a local CA."""
    paths = tls.ensure(Stack.from_env({"STACK_DIR": str(tmp_path_factory.mktemp("tls"))}))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(paths.cert, paths.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", str(paths.ca_cert)
    server.shutdown()


def deployment(url: str, **options) -> Deployment:
    return Deployment(url, "http://127.0.0.1:1", ["true"], timeout=5, **options)


def test_the_site_is_verified_against_the_ca_given(site):
    url, ca = site
    response = deployment(url, ca_file=ca).get("/")
    assert response.status == 200
    assert response.header("Strict-Transport-Security") == "max-age=31536000"


def test_a_site_whose_ca_is_not_trusted_is_refused(site):
    url, _ = site
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        deployment(url).get("/")


def test_the_certificate_is_verified_for_the_server_name_given(site):
    url, ca = site
    assert deployment(url, ca_file=ca, server_name="localhost").get("/").status == 200
    with pytest.raises(urllib.error.URLError, match=r"Hostname mismatch|doesn.t match"):
        deployment(url, ca_file=ca, server_name="tweetstack.example").get("/")
