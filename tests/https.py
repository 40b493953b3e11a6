"""The CA the tests trust for HTTPS: the local CA of the deployment under test (the native stack's
tls/ca.crt, or the CA a live Compose/Terraform test issued its certificate from). Once `trust()` is
called, every urllib request of the session verifies the site's chain and name against it; nothing
turns verification off."""

import ssl
import urllib.request
from pathlib import Path

_context = ssl.create_default_context()


def trust(ca_file: Path) -> ssl.SSLContext:
    """Verify HTTPS with this CA from now on (urlopen, and every opener built with handler())."""
    global _context
    _context = ssl.create_default_context(cafile=str(ca_file))
    urllib.request.install_opener(urllib.request.build_opener(handler()))
    return _context


def handler() -> urllib.request.HTTPSHandler:
    """For an opener of its own (a cookie-keeping browser): HTTPS verified with the trusted CA."""
    return urllib.request.HTTPSHandler(context=_context)


def context() -> ssl.SSLContext:
    return _context
