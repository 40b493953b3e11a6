"""A user in headless Chromium, through nginx over HTTPS (the stack's CA trusted): sign up, post with an
image, see it, like it, log out."""

import io
import uuid

import pytest
from PIL import Image

from tests.e2e.conftest import ARTIFACTS, http


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1000, "height": 1200})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


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
