"""The README's screenshots, taken from the real site in Chromium, light and dark.

Every run writes them to test-artifacts/screenshots/ (and checks they are what a user would see);
`make screenshots` runs this test with SCREENSHOTS_DIR=docs/screenshots, the PNGs the README shows."""

import os
import uuid
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.chromium import signed_in
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.traffic import create_users


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_home_and_a_profile(stack, chromium, scheme):
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or ARTIFACTS / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    (name, password), (friend, friend_password) = create_users(stack, 2)
    with signed_in(chromium, stack, friend, friend_password) as page:
        page.fill("#id_text", f"Trying the #tweetstack demo {uuid.uuid4().hex[:4]}, hello @{name}!")
        page.click("form.compose button[type=submit]")
        page.locator("article").first.wait_for()
    options = {"color_scheme": scheme, "viewport": {"width": 800, "height": 700}}
    with signed_in(chromium, stack, name, password, **options) as page:
        page.goto(f"{stack.site}/@{friend}")
        page.click("button:text-is('Follow')")
        page.locator("button:text-is('Unfollow')").wait_for()
        page.locator("article button[aria-pressed=false]").first.click()
        page.locator("article button[aria-pressed=true]").first.wait_for()
        page.screenshot(path=str(folder / f"profile-{scheme}.png"))
        page.goto(f"{stack.site}/")
        page.fill(
            "#id_text", "Posting from the browser: the counter and the preview are small static scripts."
        )
        page.click("form.compose button[type=submit]")
        page.locator("article").first.wait_for()
        page.screenshot(path=str(folder / f"home-{scheme}.png"))
    for shot in ("home", "profile"):
        with Image.open(folder / f"{shot}-{scheme}.png") as image:
            assert image.size == (800, 700)
            background = image.convert("RGB").getpixel((5, image.height - 5))
            # The page's own background: white in the light scheme, #15202b in the dark one.
            assert background == ((255, 255, 255) if scheme == "light" else (0x15, 0x20, 0x2B))
