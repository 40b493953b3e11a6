"""A user in headless Chromium, through nginx over HTTPS (the stack's CA trusted): sign up, post with an
image, see it, like it, log out."""

import io
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import ARTIFACTS, http

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


@pytest.fixture
def page(stack, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium not found: install it with `apt-get install -y chromium` (.ci/run does)")
    home = trusting_home(tmp_path_factory.mktemp("chromium-home"), stack.ca_file)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "HOME": str(home)}
        )
        context = browser.new_context(viewport={"width": 1000, "height": 1200})
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


def png_image(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 120, 200)).save(buffer, format="PNG")
    path = tmp_path / "sky.png"
    path.write_bytes(buffer.getvalue())
    return path


def test_a_user_signs_up_posts_an_image_tweet_likes_it_and_logs_out(stack, page, tmp_path):
    username = f"e2e{uuid.uuid4().hex[:10]}"
    password = f"Pw-{uuid.uuid4().hex}"
    text = f"Hello from the browser {uuid.uuid4().hex[:8]}"

    # Over HTTPS, the chain verified by Chromium against the local CA (a failed check is an error page).
    response = page.goto(f"{stack.site}/accounts/signup/")
    assert response.ok
    assert response.security_details()["issuer"].startswith("Tweetstack local CA")
    page.fill("#id_username", username)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.site}/")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]

    page.fill("#id_text", text)
    page.set_input_files("#id_image", str(png_image(tmp_path)))
    page.click("form.compose button[type=submit]")
    page.wait_for_url(f"{stack.site}/")

    tweet = page.locator("article", has_text=text)
    tweet.wait_for()
    image = tweet.locator(f"img[alt='Image posted by @{username}']")
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    source = image.get_attribute("src")
    assert source.startswith("/media/")
    served = http(stack.site + source)
    assert served.status == 200 and served.headers["Content-Type"].startswith("image/")
    assert "immutable" not in served.headers.get("Cache-Control", "")  # uploads are nginx's, not static

    tweet.locator("button[aria-pressed=false]").click()
    page.wait_for_url(f"{stack.site}/**")
    liked = page.locator("article", has_text=text).locator("button[aria-pressed=true]")
    liked.wait_for()
    assert "1" in liked.inner_text()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e-browser-timeline.png"), full_page=True)

    page.click("text=Log out")
    page.wait_for_url(f"{stack.site}/explore/")
    assert page.locator("nav >> text=Log in").is_visible()
    assert page.locator("article", has_text=text).count() == 1  # still public on Explore
