"""Helpers for browser tests: signing in, axe-core and the phone-width check."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

AXE = Axe()
PHONE = {"width": 360, "height": 740}


def sign_in(page: Page, live_url: str, email: str, password: str) -> None:
    page.goto(live_url + "/login")
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_load_state()


# axe-core reports what it cannot decide for sure as "incomplete"; an aria-describedby naming a
# missing id lands there, so those count, too. Only colour contrast over overlapping boxes (which
# axe cannot measure) is left to a person.
UNDECIDABLE = {"color-contrast"}


def assert_accessible(page: Page, what: str) -> None:
    """No axe-core finding of impact "serious" or "critical", no duplicate ids; lists them all."""
    response = AXE.run(page, options={"resultTypes": ["violations", "incomplete"]}).response
    bad = [v for v in response["violations"] if v.get("impact") in ("serious", "critical")]
    bad += [
        v
        for v in response["incomplete"]
        if v.get("impact") in ("serious", "critical") and v["id"] not in UNDECIDABLE
    ]
    lines = []
    for v in bad:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} – {v['helpUrl']}")
        for node in v["nodes"][:5]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {node['target']}: {node['html'][:160]}\n      {summary}")
    duplicates = page.evaluate(
        """() => { const seen = {}; document.querySelectorAll('[id]').forEach(
                 el => { seen[el.id] = (seen[el.id] || 0) + 1; });
               return Object.keys(seen).filter(id => seen[id] > 1); }"""
    )
    if duplicates:
        lines.append(f"- ids used more than once: {duplicates}")
    assert not lines, f"accessibility problems on {what} ({page.url}):\n" + "\n".join(lines)


def assert_no_horizontal_scroll(page: Page, what: str) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    if widths["scroll"] > PHONE["width"]:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > limit)
                .slice(0, 5).map(el => el.outerHTML.slice(0, 120))""",
            PHONE["width"],
        )
        pytest.fail(f"{what} scrolls sideways at {PHONE['width']} px: {widths}; too wide: {wide}")
