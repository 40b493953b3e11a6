"""Headless Chromium for the browser tests, trusting the stack's local CA (one browser per session)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


def trusting_home(home: Path, ca_file: Path) -> Path:
    """A HOME whose NSS database (~/.pki/nssdb, which Chromium on Linux reads its local trust anchors
    from) trusts the stack's CA to issue server certificates: Chromium then verifies the site's chain
    and name as for any site, with no certificate error ignored."""
    certutil = shutil.which("certutil")
    if not certutil:
        pytest.fail("certutil not found: install it with `apt-get install -y libnss3-tools` (.ci/run does)")
    database = f"sql:{home / '.pki' / 'nssdb'}"
    (home / ".pki" / "nssdb").mkdir(parents=True)
    subprocess.run([certutil, "-d", database, "-N", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-d", database, "-A", "-t", "C,,", "-n", "tweetstack-local-ca", "-i", str(ca_file)],
        check=True,
        capture_output=True,
    )
    return home


@pytest.fixture(scope="session")
def chromium(stack, tmp_path_factory):
    """The browser; each test opens its own contexts (cookies, JavaScript on or off) and closes them."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium not found: install it with `apt-get install -y chromium` (.ci/run does)")
    home = trusting_home(tmp_path_factory.mktemp("chromium-home"), stack.ca_file)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "HOME": str(home)}
        )
        yield browser
        browser.close()


class signed_in:
    """A fresh browser context (its own cookies) logged in through the login form."""

    def __init__(self, chromium, stack, username, password, javascript=True, **options):
        self.context = chromium.new_context(java_script_enabled=javascript, **options)
        self.context.set_default_timeout(15_000)
        self.stack, self.username, self.password = stack, username, password

    def __enter__(self):
        page = self.context.new_page()
        page.goto(f"{self.stack.site}/accounts/login/")
        page.fill("#id_username", self.username)
        page.fill("#id_password", self.password)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{self.stack.site}/")
        return page

    def __exit__(self, *exc):
        self.context.close()
