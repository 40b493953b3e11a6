"""Like, repost and follow in Chromium: with JavaScript they update in place (static/js/enhance.js, no
navigation); with JavaScript off the same forms post and come back, as before."""

import uuid

import pytest

from tests.e2e.chromium import signed_in
from tests.e2e.traffic import create_users

MARK = "window.__noNavigation"


@pytest.fixture
def people(stack, chromium):
    """An author with a tweet, and a reader who follows no one yet."""
    (author, author_password), reader = create_users(stack, 2)
    text = f"Enhanced {uuid.uuid4().hex[:8]}"
    with signed_in(chromium, stack, author, author_password) as page:
        page.fill("#id_text", text)
        page.click("form.compose button[type=submit]")
        page.locator("article", has_text=text).wait_for()
    return author, reader, text


def test_like_repost_and_follow_update_without_a_navigation(stack, chromium, people):
    author, (reader, password), text = people
    with signed_in(chromium, stack, reader, password) as page:
        profile = f"{stack.site}/@{author}"
        page.goto(profile)
        page.evaluate(f"{MARK} = true")  # gone if the page is navigated away and back

        page.click("button:text-is('Follow')")
        page.locator("button:text-is('Unfollow')").wait_for()
        assert page.locator(".follow .stats").inner_text().startswith("1 followers")
        assert page.evaluate("document.activeElement.textContent") == "Unfollow"  # focus kept

        tweet = page.locator("article", has_text=text)
        tweet.locator("button[aria-label='0 likes, like']").click()
        tweet.locator("button[aria-pressed=true][aria-label='1 likes, unlike']").wait_for()
        tweet.locator("button[aria-label='0 reposts, repost']").click()
        tweet.locator("button[aria-label='1 reposts, undo repost']").wait_for()

        assert page.evaluate(MARK) is True and page.url == profile
        assert page.locator(".messages").count() == 0  # no flash message waits for the next page
        # The server stored all three: a fresh load shows them.
        page.reload()
        tweet = page.locator("article", has_text=text)
        assert tweet.locator("button[aria-pressed=true]").inner_text() == "♥ 1"
        assert tweet.locator("button.reposted").inner_text() == "↻ 1"
        assert page.locator("button:text-is('Unfollow')").count() == 1


def test_like_and_follow_work_with_javascript_off(stack, chromium, people):
    author, (reader, password), text = people
    with signed_in(chromium, stack, reader, password, javascript=False) as page:
        profile = f"{stack.site}/@{author}"
        page.goto(profile)
        with page.expect_navigation():
            page.click("button:text-is('Follow')")
        assert page.url == profile
        assert "You follow @" in page.locator(".messages").inner_text()
        with page.expect_navigation():
            page.locator("article", has_text=text).locator("button[aria-pressed=false]").click()
        assert page.url == profile  # back to the page the form was on
        liked = page.locator("article", has_text=text).locator("button[aria-pressed=true]")
        assert liked.inner_text() == "♥ 1"
