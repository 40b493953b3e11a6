"""axe-core on the main pages, signed out and signed in, in the light and the dark scheme, and on the
pages of what goes wrong (not found, a refused login): no serious or critical violation."""

import uuid

import pytest

from tests.e2e.accessibility import failing, violations
from tests.e2e.chromium import signed_in
from tests.e2e.traffic import create_users

SIGNED_OUT = ["/explore/", "/accounts/login/", "/accounts/signup/", "/search/?q=hello"]
SIGNED_IN = ["/", "/notifications/", "/settings/profile/", "/settings/tokens/", "/search/?q=hello"]
NOT_FOUND = "/@no-such-user-here"


@pytest.fixture(scope="module")
def account(stack, chromium):
    """A user with a tweet (a mention, a hashtag), and the other user it mentions, so the pages show
    every kind of entry."""
    (name, password), (other, _) = create_users(stack, 2)
    with signed_in(chromium, stack, name, password) as page:
        page.fill("#id_text", f"hello @{other} #axe{uuid.uuid4().hex[:6]}")
        page.click("form.compose button[type=submit]")
        page.locator("article").first.wait_for()
    return name, password, other


def report(page, url: str) -> list[str]:
    found = failing(violations(page))
    return [f"{url} [{v['impact']}] {v['id']}: {v['help']} at {v['targets']}" for v in found]


def check(page, url: str, status: int = 200) -> list[str]:
    response = page.goto(url)
    assert response.status == status, f"{url}: {response.status}, not {status}"
    return report(page, url)


def refused_login(page, site: str) -> list[str]:
    """The login form as it comes back with its error."""
    page.goto(site + "/accounts/login/")
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "not-the-password")
    page.click("main button[type=submit]")
    page.locator(".error[role=alert]").wait_for()
    return report(page, "/accounts/login/ (refused)")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages_have_no_serious_accessibility_violation(stack, chromium, account, scheme):
    name, password, other = account
    problems = []
    context = chromium.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        for path in SIGNED_OUT:
            problems += check(page, stack.site + path)
        problems += check(page, stack.site + NOT_FOUND, status=404)
        problems += refused_login(page, stack.site)
    finally:
        context.close()
    with signed_in(chromium, stack, name, password, color_scheme=scheme) as page:
        tweet = page.locator("article .permalink").first.get_attribute("href")
        hashtag = page.locator("article a[href^='/tags/']").first.get_attribute("href")
        # Their own profile and another's (with its follow button).
        for path in [*SIGNED_IN, f"/@{name}", f"/@{other}", tweet, hashtag]:
            problems += check(page, stack.site + path)
    assert problems == [], "\n".join(problems)
