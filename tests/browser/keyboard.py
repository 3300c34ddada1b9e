"""Driving a page with the keyboard alone: Tab to a control, then type, Space, arrows or Enter.

Reaching a control by pressing Tab proves that it is in the tab order; every helper fails when
the control cannot be reached within :data:`MAX_TABS` presses.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page

MAX_TABS = 150


def focused(locator: Locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page: Page, locator: Locator) -> None:
    """Press Tab until ``locator`` has the focus."""
    target = locator.first
    target.wait_for(state="attached")
    for _ in range(MAX_TABS):
        if focused(target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} cannot be reached with Tab")


def field(page: Page, label: str) -> Locator:
    return page.get_by_label(label, exact=True)


def type_in(page: Page, label: str, text: str) -> None:
    """Tab to the field labelled ``label``, empty it and type ``text``."""
    tab_to(page, field(page, label))
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def tick(page: Page, label: str) -> None:
    """Tab to a checkbox and tick it with Space."""
    box = field(page, label)
    tab_to(page, box)
    if not box.is_checked():
        page.keyboard.press("Space")
    assert box.is_checked(), f"{label} not ticked"


def choose(page: Page, label: str) -> None:
    """Choose a radio button: Tab into its group, then arrows until it is the checked one."""
    radio = field(page, label)
    name = radio.get_attribute("name")
    group = page.locator(f"input[type=radio][name='{name}']")
    for _ in range(MAX_TABS):
        if page.evaluate("n => document.activeElement && document.activeElement.name === n", name):
            break
        page.keyboard.press("Tab")
    else:  # without this, a radio checked by default would pass unreached
        raise AssertionError(f"the group of {label} cannot be reached with Tab")
    for _ in range(group.count() + 1):
        if radio.is_checked():
            return
        if focused(radio):
            page.keyboard.press("Space")
        else:
            page.keyboard.press("ArrowDown")
    assert radio.is_checked(), f"{label} not chosen"


def pick(page: Page, label: str, option: str) -> None:
    """Choose an option of a select: Tab to it, then type the start of the option's text."""
    select = field(page, label)
    tab_to(page, select)
    page.keyboard.type(option)
    chosen = select.evaluate("el => el.options[el.selectedIndex].text")
    assert chosen.startswith(option), f"{label}: {chosen!r} chosen, not {option!r}"


def press(page: Page, button: str | re.Pattern) -> int:
    """Tab to a button and press Enter; the status of the page it leads to."""
    tab_to(page, page.get_by_role("button", name=button, exact=True))
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    return navigation.value.status


def follow(page: Page, link: str | re.Pattern) -> None:
    """Tab to a link and press Enter."""
    tab_to(page, page.get_by_role("link", name=link, exact=True))
    with page.expect_navigation():
        page.keyboard.press("Enter")


def send(page: Page, button: str | re.Pattern) -> None:
    """Press a form's button; the answer is a page, not the form back with errors."""
    status = press(page, button)
    summary = page.locator(".error-summary, .notice-error")
    problems = summary.first.inner_text() if summary.count() else ""
    assert status == 200 and not problems, f"{button}: {status} {problems}"
