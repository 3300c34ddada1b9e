"""Every page, for every role that reaches it, in Chromium: axe-core and our own checks.

The walk (:data:`tests.browser.routes.PAGES`) opens each GET page of ``app.url_map`` on the
demo data as each role that may open it, and audits it (:mod:`tests.browser.audit`). Each
page with a form is sent again with its text fields emptied: the answer must be the form
with errors, its summary focused, the fields marked ``aria-invalid`` and the input kept, and
pass the same audit. The success states are audited by the journeys (``test_journeys.py``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app import create_app
from tests.browser.audit import assert_accessible
from tests.browser.routes import NOT_PAGES, PAGES, visits

pytestmark = pytest.mark.browser
MARKER = "Zz gardé"
#: (role, title) -> rule, to prove that no two pages share a title.
TITLES: dict[tuple[str, str], str] = {}


def test_every_page_is_walked():
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    rules = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert sorted(rules - PAGES.keys() - NOT_PAGES.keys()) == [], \
        "GET pages nobody walks: add each to tests/browser/routes.py (PAGES, or NOT_PAGES and why)"
    assert sorted((PAGES.keys() | NOT_PAGES.keys()) - rules) == [], "walked pages that are gone"


def open_page(site, role: str, rule: str):
    """Open a page of the walk as ``role``; it answers 200, without sending elsewhere."""
    page = site.page(role)
    url = PAGES[rule].url.format(**site.objects)
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{role} {url}: {response.status}"
    assert urlsplit(page.url).path == urlsplit(url).path, f"{role} {url} went to {page.url}"
    return page


@pytest.mark.parametrize(("role", "rule"), visits(), ids=[f"{r}:{u}" for r, u in visits()])
def test_page(site, offsite, role, rule):
    page = open_page(site, role, rule)
    assert_accessible(page)
    title = page.title()
    assert TITLES.setdefault((role, title), rule) == rule, f"two pages are titled {title!r}"


FORMS = [(page.roles[0], rule) for rule, page in PAGES.items() if page.form]

#: Empties the text fields of the page's main form, turns off the browser's own checks (the
#: server's answer is under test) and returns the id of the form and of a text field to type in.
EMPTY_FORM = """() => {
  const kinds = ["hidden", "submit", "button", "checkbox", "radio", "file", "reset", "image"];
  const fieldsOf = (form) => [...form.elements].filter((el) =>
    (el.tagName === "INPUT" && !kinds.includes(el.type)) || el.tagName === "TEXTAREA");
  const forms = [...document.querySelectorAll("main form[method=post]")];
  const form = forms.sort((a, b) => fieldsOf(b).length - fieldsOf(a).length)[0];
  form.noValidate = true;
  form.id = form.id || "audited-form";
  fieldsOf(form).forEach((el) => { el.value = ""; });
  // A marker kept in one text field; with a single field it would make the form valid.
  const texts = fieldsOf(form).filter((el) => el.type === "text" || el.tagName === "TEXTAREA");
  return [form.id, texts.length > 1 ? texts[0].id : null];
}"""
#: Ids in the error summary's links whose field is not marked aria-invalid.
UNMARKED = """() => [...document.querySelectorAll('.error-summary a[href^="#"]')]
  .map((a) => a.getAttribute("href").slice(1))
  .filter((id) => { const el = document.getElementById(id);
    return !el || !(el.getAttribute("aria-invalid") === "true" || el.querySelector("[aria-invalid=true]")); })"""


@pytest.mark.parametrize(("role", "rule"), FORMS, ids=[f"{r}:{u}" for r, u in FORMS])
def test_form_with_errors(site, offsite, role, rule):
    page = open_page(site, role, rule)
    form, text = page.evaluate(EMPTY_FORM)
    if text:
        page.focus(f"#{text}")
        page.keyboard.type(MARKER)
    page.focus(f"#{form} button[type=submit], #{form} input[type=submit] >> nth=-1")
    with page.expect_navigation() as sent:
        page.keyboard.press("Enter")
    assert sent.value.status == 422, f"{rule}: sent empty, answered {sent.value.status}"
    assert page.evaluate("document.activeElement.classList.contains('error-summary')"), \
        "the error summary does not take the focus"
    assert page.locator("[aria-invalid=true]").count() >= 1
    assert page.evaluate(UNMARKED) == [], "fields in the summary not marked aria-invalid"
    if text:
        assert page.input_value(f"#{text}") == MARKER, "the input was not kept"
    assert_accessible(page, keyboard=False)  # the first Tab is checked on the page as it loads


def test_the_statement_says_what_the_suite_measures(site, offsite):
    page = site.page("anonymous")
    page.goto("/accessibilite")
    text = page.inner_text("main")
    for said in ("non conforme", "axe-core", "WCAG 2.1, niveaux A et AA", "320 pixels",
                 "Aller au contenu", "appelez-nous"):
        assert said in text, f"the statement no longer says {said!r}"
    assert page.locator("main a[href^='tel:']").is_visible()
    assert "Accessibilité : non conforme" in page.inner_text("footer")
