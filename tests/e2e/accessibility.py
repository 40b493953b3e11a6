"""axe-core (npm, pinned in tests/e2e/axe/package-lock.json, installed by tests/deploy/tools.sh) run on
a page in Chromium: the violations a user of assistive technology would meet."""

import functools
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What fails a test; "moderate" and "minor" findings are reported in the message but allowed.
FAILING_IMPACTS = ("serious", "critical")


@functools.cache
def axe_source() -> str:
    path = subprocess.run(
        ["bash", str(REPO / "tests/deploy/tools.sh"), "axe-core"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(path).read_text()


def violations(page) -> list[dict]:
    """axe's violations on the page as it is now (WCAG 2.x A and AA rules and best practices)."""
    # Evaluated through the DevTools protocol, which the site's CSP (no inline script) does not block.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
        }))"""
    )


def failing(found: list[dict]) -> list[dict]:
    return [violation for violation in found if violation["impact"] in FAILING_IMPACTS]
