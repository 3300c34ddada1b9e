"""The audit itself: on a page made of known faults it reports each of them (so a clean walk
means something); no server, the page is written into the browser. And a missing Chromium
skips the browser tests, except in CI where it fails them."""

from __future__ import annotations

import pytest

from tests.browser.audit import audit
from tests.browser.site import DESKTOP

pytestmark = pytest.mark.browser

FAULTY = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<h1>Un</h1><h1>Deux</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input name="nom" placeholder="Votre nom">
<p style="color:#bbb;background:#fff">Texte trop pâle</p>
<div style="width:1400px">Large</div>
<div style="height:1.2em;overflow:hidden;font-size:16px">Une ligne<br>puis une autre cachée</div>
<a href="#x" style="outline:none">Lien sans focus</a>
</body></html>"""


def test_the_audit_reports_every_known_fault(browser):
    # axe takes the placeholder for a name: only our own check reports the unlabelled field.
    page = browser.new_page(viewport=DESKTOP)
    try:
        page.set_content(FAULTY)
        problems = "\n".join(audit(page))
    finally:
        page.close()
    for expected in ["<html> has no lang", "empty <title>", "2 <h1>", 'field "nom" has no visible label',
                     "not the skip link", "no visible focus on a", "axe image-alt",
                     "axe color-contrast", "axe html-has-lang", "axe document-title",
                     "at 360 px", "at 320 px", "text 200 %: text cut", "does not grow"]:
        assert expected in problems, f"{expected!r} not reported in:\n{problems}"


def test_a_missing_browser_skips_here_and_fails_in_ci(monkeypatch):
    from tests.browser.conftest import _missing

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        _missing("/usr/bin/chromium not found")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI: browser tests need Debian's Chromium"):
        _missing("/usr/bin/chromium not found")
