"""Every page a role can open, rendered in English, shows no msgid left in French.

Walks every GET route of the app for six roles with the world of the permission matrix (a pair,
a visit, a concern, a campaign, a referral), plus forms sent empty so that their errors show.
About 8 s on an idle machine: the slowest file of the i18n tests, and the one that sees what
people see.
"""

from __future__ import annotations

import pytest

from tests.factories import LoggingClient
from tests.i18n.french import french_in
from tests.i18n.template_text import readable_texts
from tests.test_access import _rules, _url, world  # noqa: F401  (world is a fixture)

ROLES = ("anonymous", "resident", "applicant", "volunteer", "agent", "admin")

#: Forms sent empty by a role, so that the page shows its error summary and field errors.
EMPTY_FORMS = {
    "anonymous": ["/signaler", "/connexion", "/inscription/habitant", "/mot-de-passe/oubli"],
    "resident": ["/habitant/signaler-un-probleme", "/habitant/pause", "/compte/mot-de-passe"],
    "volunteer": ["/compte/mot-de-passe"],
    "agent": ["/agent/habitants/nouveau", "/agent/campagnes/nouvelle"],
    "admin": ["/admin/agents/nouveau", "/admin/quartiers/nouveau", "/admin/territoires/nouveau"],
}


#: Data of the world that happens to read like a msgid: the campaign an agent named "Canicule".
DATA = {"Canicule"}


def english_client(app, people: dict, role: str) -> LoggingClient:
    """A client of ``role`` that chose English with the header's switch."""
    client = LoggingClient.wrap(app.test_client())
    if role != "anonymous":
        client.login(*people[role])
    response = client.post_form("/langue", {"lang": "en", "next": "/"}, page="/")
    assert response.status_code == 302
    return client


def _french(response) -> list[str]:
    html = response.get_data(as_text=True)
    found = [text for text in french_in(readable_texts(html)) if text not in DATA]
    if '<html lang="en">' not in html:
        found.append('<html lang="en"> is missing')
    return found


def _is_page(response) -> bool:
    return response.status_code in (200, 403, 404, 422) and response.mimetype == "text/html"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_is_in_english(app, world, role):  # noqa: F811
    people, values = world
    client = english_client(app, people, role)
    pages, findings = 0, []
    for key, rule in _rules(app):
        if not key.startswith("GET"):
            continue
        url = _url(app, rule, values)
        response = client.get(url)
        if _is_page(response):
            pages += 1
            findings += [f"{url}: {text}" for text in _french(response)]
    for url in EMPTY_FORMS.get(role, []):
        response = client.post_form(url, {}, page=url)
        if _is_page(response):
            pages += 1
            findings += [f"POST {url}: {text}" for text in _french(response)]
    assert pages >= 10
    assert not findings, "French left on English pages:\n" + "\n".join(findings)


def test_the_check_sees_french(app, world):  # noqa: F811
    people, _values = world
    client = LoggingClient.wrap(app.test_client())  # French: the default
    assert "Signaler une personne isolée" in _french(client.get("/signaler"))
    response = client.post_form("/signaler", {})
    assert response.status_code == 422
    assert "Le formulaire n'a pas pu être envoyé" in _french(response)
    assert "Ce champ est obligatoire." in _french(response)
