"""The information notice (RGPD art. 13) sits next to every form that collects personal data.

Every page of the app is walked for every role (the permission matrix's world); a page whose
POST form asks for typed-in data must carry the notice, with its link to the full page, unless
it is listed in :data:`WITHOUT_NOTICE` with the reason. The sign-up steps, which open only in
order, are walked one by one.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Match, MatchStatus, Setting, Visit, VisitStatus, utcnow
from tests import factories
from tests.factories import LoggingClient
from tests.test_access import ROLES, _rules, _url, world  # noqa: F401  (world is a fixture)
from tests.test_signup_wizard import (
    ENTRY,
    resident_steps,
    step_url,
    towns,  # noqa: F401  (a fixture)
    volunteer_steps,
    walk,
)

NOTICE = 'class="privacy-notice'
FULL_PAGE = 'href="/donnees-personnelles"'
#: A POST form with a field a person types into (not a button, a box or a list).
_TYPED = re.compile(r'<form[^>]*method="post".*?</form>', re.S | re.I)
_FIELD = re.compile(r'<textarea|<input[^>]*type="(?:text|email|tel|password|date|number)"'
                    r'|<input(?![^>]*type=)', re.I)

#: Pages with such a form and no notice, and why.
WITHOUT_NOTICE = {
    "/connexion": "logging in collects nothing new",
    "/mot-de-passe/oubli": "asks for an address already held, to send a link to it",
    "/mot-de-passe/nouveau/<token>": "a new password: a secret, held only as a hash",
    "/compte/mot-de-passe": "a new password: a secret, held only as a hash",
    "/mes-donnees/effacer": "the password confirms an erasure; nothing is kept",
    "/benevole/binome/<uuid:match_id>/visites/nouvelle": "a date and time of visit, no more",
}
#: Staff pages: the agents' own notes about records whose person was informed at registration
#: (agents are informed by their employer). Those that register or edit a resident are not here:
#: the agent reads the notice to the person.
STAFF = ("/agent/", "/admin/")
MUST_SHOW = ("/agent/habitants/nouveau", "/agent/habitants/<uuid:resident_id>/modifier",
             "/agent/signalements/<uuid:referral_id>/inscrire")


def collects(html: str) -> bool:
    """Whether the page has a POST form with a field to type into."""
    return any(_FIELD.search(form) for form in _TYPED.findall(html))


def test_collects_sees_typed_fields_only():
    assert collects('<form method="post"><input name="a" type="text"></form>')
    assert collects('<form class="x" method="post"><textarea name="n"></textarea></form>')
    assert not collects('<form method="post"><input type="hidden" name="csrf_token">'
                        '<button>OK</button></form>')
    assert not collects('<form method="get"><input type="text" name="q"></form>')


def _assert_notice(html: str, where: str) -> None:
    assert NOTICE in html, f"{where}: a form collects personal data without the notice"
    assert FULL_PAGE in html, f"{where}: the notice does not link to the full page"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_that_collects_data_shows_the_notice(app, world, role):  # noqa: F811
    people, values = world
    client = LoggingClient.wrap(app.test_client())
    if role != "anonymous":
        client.login(*people[role])
    checked = []
    for key, rule in _rules(app):
        if not key.startswith("GET ") or rule.rule in WITHOUT_NOTICE:
            continue
        response = client.get(_url(app, rule, values))
        html = response.get_data(as_text=True)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        if rule.rule.startswith(STAFF) and rule.rule not in MUST_SHOW:
            continue
        if collects(html):
            _assert_notice(html, f"{role} GET {rule.rule}")
            checked.append(rule.rule)
    expected = {"anonymous": {"/signaler", "/inscription/habitant"},
                "resident": {"/habitant/mon-profil", "/habitant/clore"},
                "volunteer": {"/benevole/binome/<uuid:match_id>/alerte",
                              "/benevole/visites/<uuid:visit_id>/annuler"},
                "agent": set(MUST_SHOW)}
    assert expected.get(role, set()) <= set(checked), checked


@pytest.mark.parametrize("kind", ["resident", "volunteer"])
def test_every_sign_up_step_shows_the_notice(client, towns, kind):  # noqa: F811
    steps = resident_steps(towns) if kind == "resident" else volunteer_steps(towns)
    for index, (slug, _) in enumerate(steps):
        walk(client, kind, steps[:index])
        html = client.get(step_url(kind, slug)).get_data(as_text=True)
        assert html.count(NOTICE) == 1, f"{kind} step {slug}"
        _assert_notice(html, f"{kind} step {slug}")
    walk(client, kind, steps)
    _assert_notice(client.get(f"{ENTRY[kind]}/verifier").get_data(as_text=True), "summary")


def test_the_notice_and_the_page_give_every_item_and_the_configured_period(client, place):
    db.session.add(Setting(key="retention", value={"months": 18}, updated_at=utcnow()))
    db.session.commit()
    page = client.get("/donnees-personnelles").get_data(as_text=True)
    for heading in ("Qui est responsable", "Pourquoi", "Sur quelle base", "Qui les voit",
                    "Combien de temps", "Vos droits", "CNIL"):
        assert heading in page, heading
    assert "18 mois" in page and "12 mois" in page
    notice = client.get("/signaler").get_data(as_text=True)
    for item in ("Responsable", "But", "Base légale", "Destinataires", "Durée", "Vos droits",
                 "Contact", "18 mois"):
        assert item in notice, item


def test_the_volunteers_visit_log_and_decline_forms_show_the_notice(client, place, volunteer):
    """Two forms the walk above cannot open (they need a past visit, a pair to answer)."""
    user = volunteer[0]
    first, _ = factories.make_resident(place.nb_a)
    second, _ = factories.make_resident(place.nb_a)
    active = Match(resident_id=first.resident_profile.id, volunteer_id=user.volunteer_profile.id,
                   status=MatchStatus.ACTIVE, accepted_at=utcnow() - timedelta(days=20))
    approved = Match(resident_id=second.resident_profile.id,
                     volunteer_id=user.volunteer_profile.id, status=MatchStatus.APPROVED)
    db.session.add_all([active, approved])
    db.session.flush()
    past = Visit(match_id=active.id, starts_at=utcnow() - timedelta(days=1),
                 status=VisitStatus.SCHEDULED)
    db.session.add(past)
    db.session.commit()
    client.login(user)
    for url in (f"/benevole/visites/{past.id}/compte-rendu", f"/benevole/binome/{approved.id}/decliner"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert collects(html), url
        _assert_notice(html, url)
