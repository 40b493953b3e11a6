"""axe-core on the main pages, signed out and signed in, in the light and the dark scheme: no serious
or critical violation."""

import uuid

import pytest

from tests.e2e.accessibility import failing, violations
from tests.e2e.chromium import signed_in
from tests.e2e.traffic import create_users

SIGNED_OUT = ["/explore/", "/accounts/login/", "/accounts/signup/", "/search/?q=hello"]
SIGNED_IN = ["/", "/notifications/", "/settings/profile/", "/settings/tokens/", "/search/?q=hello"]


@pytest.fixture(scope="module")
def account(stack, chromium):
    """A user with a tweet (a mention, a hashtag) and a reply, so the pages show every kind of entry."""
    (name, password), (other, _) = create_users(stack, 2)
    with signed_in(chromium, stack, name, password) as page:
        page.fill("#id_text", f"hello @{other} #axe{uuid.uuid4().hex[:6]}")
        page.click("form.compose button[type=submit]")
        page.locator("article").first.wait_for()
    return name, password


def check(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.ok, f"{url}: {response.status}"
    found = violations(page)
    return [f"{url} [{v['impact']}] {v['id']}: {v['help']} at {v['targets']}" for v in failing(found)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages_have_no_serious_accessibility_violation(stack, chromium, account, scheme):
    name, password = account
    problems = []
    context = chromium.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        for path in SIGNED_OUT:
            problems += check(page, stack.site + path)
    finally:
        context.close()
    with signed_in(chromium, stack, name, password, color_scheme=scheme) as page:
        tweet = page.locator("article .permalink").first.get_attribute("href")
        hashtag = page.locator("article a[href^='/tags/']").first.get_attribute("href")
        for path in [*SIGNED_IN, f"/@{name}", tweet, hashtag]:
            problems += check(page, stack.site + path)
    assert problems == [], "\n".join(problems)
