"""Audit of the page a browser shows: axe-core (WCAG 2.0/2.1 A and AA) plus our own checks.

axe is evaluated through the DevTools protocol (Playwright's ``evaluate``), which the page's
Content-Security-Policy does not govern: the pages are audited with their real CSP on, and no
script is added to them. Our own checks (:file:`checks.js`) cover what axe leaves out: visible
labels, one h1, lang, the skip link as the first Tab, a visible focus, reflow at 360 and 320 px
and text at 200 %.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page

from tests.browser.site import DESKTOP

HERE = Path(__file__).parent
AXE = (HERE / "vendor" / "axe.min.js").read_text()
CHECKS = (HERE / "checks.js").read_text()
#: WCAG 2.0 and 2.1, levels A and AA: what RGAA 4.1 asks.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NARROW = (360, 320)
#: Chromium's default font sizes (px): proportional and monospace.
FONT, MONO = 16, 13
#: At 200 % every text is at least this much larger (a narrow layout may set 0.9rem, not 1rem).
GROWTH = 1.75


def check(page: Page, name: str, *args) -> list[str]:
    """Run one function of :file:`checks.js` in the page."""
    call = ", ".join(json.dumps(arg) for arg in args)
    return page.evaluate(f"({CHECKS}).{name}({call})")


def axe(page: Page) -> list[str]:
    """axe-core's violations of WCAG 2.0/2.1 A and AA, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS)
    return [f"axe {v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in result["violations"]]


def skip_link_first(page: Page) -> list[str]:
    """From the top of the page, the first Tab reaches the visible skip link to the content, and
    Enter on it moves the focus there."""
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    page.keyboard.press("Tab")
    found = page.evaluate("""() => {
        const el = document.activeElement, r = el.getBoundingClientRect();
        return {cls: el.className, href: el.getAttribute('href'), top: r.top, height: r.height};
    }""")
    if "skip-link" not in str(found["cls"]) or found["href"] != "#contenu":
        return [f"the first Tab reaches {found}, not the skip link"]
    if found["top"] < 0 or found["height"] < 10:
        return ["the focused skip link is not visible"]
    page.keyboard.press("Enter")
    landed = page.evaluate("document.activeElement.id")
    # Drop the #contenu the link added: a form sent from here would carry it to the next page.
    page.evaluate("history.replaceState(history.state, '', location.pathname + location.search)")
    if landed != "contenu":
        return ["Enter on the skip link does not move the focus to the content"]
    return []


def reflow(page: Page) -> list[str]:
    """No horizontal scroll at 360 and 320 px wide; with text at 200 %, every text doubles,
    nothing is cut and nothing scrolls sideways at 1280 px."""
    problems = []
    try:
        for width in NARROW:
            page.set_viewport_size({"width": width, "height": 800})
            problems += [f"at {width} px: {p}" for p in check(page, "horizontalScroll")]
    finally:
        page.set_viewport_size(DESKTOP)
    return problems + large_text(page)


def large_text(page: Page) -> list[str]:
    """Text at 200 % as a person sets it in the browser's settings: the default font size
    doubled (DevTools ``Page.setFontSizes``), so rem sizes and rem media queries follow."""
    before = check(page, "textSizes")
    session = page.context.new_cdp_session(page)
    try:
        session.send("Page.setFontSizes", {"fontSizes": {"standard": 2 * FONT, "fixed": 2 * MONO}})
        after = check(page, "textSizes")
        problems = [f"text 200 %: {p}" for p in check(page, "textCut")]
    finally:
        session.send("Page.setFontSizes", {"fontSizes": {"standard": FONT, "fixed": MONO}})
        session.detach()
    # The same elements are measured twice (a hidden one counts as size 0 and is left out): a
    # page that changed in between is reported rather than left unchecked.
    if len(after) != len(before):
        return [*problems, "text 200 %: the page changed while its text sizes were measured"]
    return problems + [f"text 200 %: does not grow with the browser's text size: {what}"
                       for (size, what), (bigger, _) in zip(before, after, strict=True)
                       if size and 0 < bigger < GROWTH * size]


def audit(page: Page, *, keyboard: bool = True) -> list[str]:
    """Every check on the page as it stands, at 1280 px; the problems found."""
    problems = check(page, "structure")
    if keyboard:
        problems += skip_link_first(page)
    problems += check(page, "focus")
    problems += axe(page)
    problems += reflow(page)
    return problems


def assert_accessible(page: Page, *, keyboard: bool = True) -> None:
    """Fail with every problem of the page, named by its address."""
    problems = audit(page, keyboard=keyboard)
    assert not problems, f"{page.url}:\n  " + "\n  ".join(problems)
