"""Deny by default: every route of the app, for every role, against an explicit table.

Each role logs in once and walks every rule of ``app.url_map`` (static files aside): GET when
the rule has it, else POST with a valid CSRF token (so the role guard answers, not CSRF). URL
parameters get plausible values: the pair and visit of the resident and volunteer of territory
A, a live calendar token, a live reset token. A rule missing from the table fails the test: a
new route states who may reach it. ``LOGIN`` means a 302 to ``/connexion?next=<the page>``.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, jsonify
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Campaign,
    CampaignCall,
    CampaignKind,
    Concern,
    ConcernSource,
    Match,
    MatchStatus,
    OutboxMessage,
    Referral,
    Visit,
    VisitStatus,
    utcnow,
)
from app.security.access import public
from app.services import accounts
from tests.factories import LoggingClient

ROLES = ("anonymous", "resident", "applicant", "volunteer", "agent", "other_agent", "admin")
LOGIN = "login"

#: What each role gets on each rule, in the order of ROLES.
#:                                                anon   res    appl   vol    agentA agentB admin
EXPECTED: dict[str, tuple] = {
    # Public pages: everyone.
    "GET /":                                   (200, 200, 200, 200, 200, 200, 200),
    "GET /accessibilite":                      (200, 200, 200, 200, 200, 200, 200),
    "GET /comment-ca-marche":                  (200, 200, 200, 200, 200, 200, 200),
    "GET /donnees-personnelles":               (200, 200, 200, 200, 200, 200, 200),
    "GET /mentions-legales":                   (200, 200, 200, 200, 200, 200, 200),
    "GET /healthz":                            (200, 200, 200, 200, 200, 200, 200),
    "GET /langue/<code>":                      (302, 302, 302, 302, 302, 302, 302),
    "POST /langue":                            (302, 302, 302, 302, 302, 302, 302),
    "GET /signaler":                           (200, 200, 200, 200, 200, 200, 200),
    "GET /signaler/merci":                     (200, 200, 200, 200, 200, 200, 200),
    # Accounts: the login page sends a logged-in person home; the rest is open.
    "GET /connexion":                          (200, 302, 302, 302, 302, 302, 302),
    "GET /inscription":                        (200, 200, 200, 200, 200, 200, 200),
    "GET /inscription/benevole":               (200, 200, 200, 200, 200, 200, 200),
    "GET /inscription/habitant":               (200, 200, 200, 200, 200, 200, 200),
    # A later step of the sign-up, with no draft yet: back to the first step, whoever asks.
    "GET /inscription/benevole/<slug>":        (302, 302, 302, 302, 302, 302, 302),
    "GET /inscription/habitant/<slug>":        (302, 302, 302, 302, 302, 302, 302),
    "GET /inscription/envoyee":                (200, 200, 200, 200, 200, 200, 200),
    "GET /inscription/demande-recue":          (200, 200, 200, 200, 200, 200, 200),
    "GET /mot-de-passe/oubli":                 (200, 200, 200, 200, 200, 200, 200),
    "GET /mot-de-passe/nouveau/<token>":       (200, 200, 200, 200, 200, 200, 200),
    "GET /compte/mot-de-passe":                (LOGIN, 200, 200, 200, 200, 200, 200),
    "POST /deconnexion":                       (302, 302, 302, 302, 302, 302, 302),
    # Resident space: the resident only.
    "GET /habitant/":                          (LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /habitant/clore":                     (LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /habitant/mon-profil":                (LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /habitant/pause":                     (LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /habitant/signaler-un-probleme":      (LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /habitant/mise-en-relation/<uuid:match_id>/changer":
                                               (LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /habitant/visites/<uuid:visit_id>/annuler":
                                               (LOGIN, 200, 403, 403, 403, 403, 403),
    "POST /habitant/reprendre":                (LOGIN, 303, 403, 403, 403, 403, 403),
    "POST /habitant/visites/<uuid:visit_id>/confirmer":
                                               (LOGIN, 303, 403, 403, 403, 403, 403),
    # Volunteer space: volunteers; someone else's pair is 404 (not even confirmed to exist).
    "GET /benevole/":                          (LOGIN, 403, 200, 200, 403, 403, 403),
    "GET /benevole/agenda":                    (LOGIN, 403, 200, 200, 403, 403, 403),
    "GET /benevole/binome/<uuid:match_id>":    (LOGIN, 403, 404, 200, 403, 403, 403),
    "GET /benevole/binome/<uuid:match_id>/alerte":
                                               (LOGIN, 403, 404, 200, 403, 403, 403),
    "GET /benevole/binome/<uuid:match_id>/decliner":
                                               (LOGIN, 403, 404, 302, 403, 403, 403),
    "GET /benevole/binome/<uuid:match_id>/fin":
                                               (LOGIN, 403, 404, 200, 403, 403, 403),
    "GET /benevole/binome/<uuid:match_id>/pause":
                                               (LOGIN, 403, 404, 200, 403, 403, 403),
    "GET /benevole/binome/<uuid:match_id>/visites/nouvelle":
                                               (LOGIN, 403, 404, 200, 403, 403, 403),
    "GET /benevole/visites/<uuid:visit_id>/annuler":
                                               (LOGIN, 403, 404, 200, 403, 403, 403),
    "GET /benevole/visites/<uuid:visit_id>/compte-rendu":
                                               (LOGIN, 403, 404, 200, 403, 403, 403),
    "POST /benevole/agenda/lien":              (LOGIN, 403, 302, 302, 403, 403, 403),
    "POST /benevole/agenda/supprimer":         (LOGIN, 403, 302, 302, 403, 403, 403),
    "POST /benevole/binome/<uuid:match_id>/accepter":
                                               (LOGIN, 403, 404, 422, 403, 403, 403),
    "POST /benevole/binome/<uuid:match_id>/reprendre":
                                               (LOGIN, 403, 404, 422, 403, 403, 403),
    # The calendar feed is read by calendar apps: its secret token is the credential.
    "GET /benevole/agenda/<token>.ics":        (200, 200, 200, 200, 200, 200, 200),
    # "Mes données": every logged-in person downloads their data; residents and volunteers erase
    # theirs (staff accounts are closed by an administrator).
    "GET /mes-donnees":                        (LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /mes-donnees/export.json":            (LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /mes-donnees/effacer":                (LOGIN, 200, 200, 200, 403, 403, 403),
    # Staff.
    "GET /agent/":                             (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /admin/":                             (LOGIN, 403, 403, 403, 403, 403, 200),
    # Open data: aggregated figures, public.
    "GET /donnees-ouvertes":                   (200, 200, 200, 200, 200, 200, 200),
    "GET /donnees-ouvertes/statistiques.csv":  (200, 200, 200, 200, 200, 200, 200),
    # Agent console: agents of either territory and the admin; a record of territory A is 404 for
    # territory B's agent (not even confirmed to exist). POSTs without their fields answer 422.
    "GET /agent/alertes":                      (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/alertes/<uuid:concern_id>":    (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/benevoles":                    (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/benevoles/<uuid:volunteer_id>":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/campagnes":                    (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/campagnes/<uuid:campaign_id>": (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/campagnes/<uuid:campaign_id>/clore":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/campagnes/<uuid:campaign_id>/export.csv":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/export/benevoles.csv":         (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/export/habitants.csv":         (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/habitants":                    (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/habitants/<uuid:resident_id>": (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/habitants/<uuid:resident_id>/clore":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/habitants/<uuid:resident_id>/effacer":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/habitants/<uuid:resident_id>/modifier":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/habitants/<uuid:resident_id>/pause":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/habitants/nouveau":            (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/journal":                      (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/propositions":                 (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/propositions/<uuid:match_id>/refuser":
                                               (LOGIN, 403, 403, 403, 302, 404, 302),
    "GET /agent/propositions/habitant/<uuid:resident_id>":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/signalements":                 (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/signalements/<uuid:referral_id>":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/signalements/<uuid:referral_id>/inscrire":
                                               (LOGIN, 403, 403, 403, 200, 404, 200),
    "GET /agent/statistiques":                 (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/statistiques.csv":             (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/suivi":                        (LOGIN, 403, 403, 403, 200, 200, 200),
    "GET /agent/suivi/binome/<uuid:match_id>": (LOGIN, 403, 403, 403, 200, 404, 200),
    "POST /agent/alertes/<uuid:concern_id>/clore":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/alertes/<uuid:concern_id>/confier":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/alertes/<uuid:concern_id>/en-cours":
                                               (LOGIN, 403, 403, 403, 302, 404, 302),
    "POST /agent/alertes/<uuid:concern_id>/note":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/alertes/<uuid:concern_id>/prendre":
                                               (LOGIN, 403, 403, 403, 302, 404, 302),
    "POST /agent/benevoles/<uuid:volunteer_id>/depart":
                                               (LOGIN, 403, 403, 403, 303, 404, 303),
    "POST /agent/benevoles/<uuid:volunteer_id>/etapes":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/benevoles/<uuid:volunteer_id>/refuser":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/benevoles/<uuid:volunteer_id>/reintegrer":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/benevoles/<uuid:volunteer_id>/suspendre":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/benevoles/<uuid:volunteer_id>/valider":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/campagnes/<uuid:campaign_id>/appels/<uuid:call_id>":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/habitants/<uuid:resident_id>/reprendre":
                                               (LOGIN, 403, 403, 403, 303, 404, 303),
    "POST /agent/propositions/<uuid:match_id>/approuver":
                                               (LOGIN, 403, 403, 403, 302, 404, 302),
    "POST /agent/propositions/habitant/<uuid:resident_id>/choisir/<uuid:volunteer_id>":
                                               (LOGIN, 403, 403, 403, 302, 404, 302),
    "POST /agent/propositions/lancer":         (LOGIN, 403, 403, 403, 302, 302, 422),
    "POST /agent/signalements/<uuid:referral_id>/issue":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    "POST /agent/suivi/binome/<uuid:match_id>/alerte":
                                               (LOGIN, 403, 403, 403, 422, 404, 422),
    # Administration: the administrator only.
    "GET /admin/agents":                       (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/agents/<uuid:user_id>":        (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/agents/nouveau":               (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/parametres":                   (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/quartiers":                    (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/quartiers/<uuid:neighbourhood_id>/modifier":
                                               (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/quartiers/import":             (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/quartiers/nouveau":            (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/territoires":                  (LOGIN, 403, 403, 403, 403, 403, 200),
    "GET /admin/territoires/<uuid:territory_id>":
                                               (LOGIN, 403, 403, 403, 403, 403, 200),
    "POST /admin/agents/<uuid:user_id>/desactiver":
                                               (LOGIN, 403, 403, 403, 403, 403, 302),
    "POST /admin/agents/<uuid:user_id>/reactiver":
                                               (LOGIN, 403, 403, 403, 403, 403, 302),
}

#: POST-only rules run after every GET (they change state), logout last of all.
LAST = "POST /deconnexion"


@pytest.fixture
def world(app, place, resident, applicant, volunteer, agent, other_agent, admin):
    """Every role, plus a pair, a visit, a calendar feed and a reset link to point URLs at."""
    match = Match(resident_id=resident[0].resident_profile.id,
                  volunteer_id=volunteer[0].volunteer_profile.id, status=MatchStatus.ACTIVE,
                  accepted_at=utcnow() - timedelta(days=30), decided_at=utcnow() - timedelta(days=31))
    db.session.add(match)
    db.session.flush()
    visit = Visit(match_id=match.id, starts_at=utcnow() + timedelta(days=3), status=VisitStatus.SCHEDULED)
    db.session.add(visit)
    volunteer[0].volunteer_profile.calendar_token = "c" * 43
    concern = Concern(resident_id=match.resident_id, match_id=match.id, source=ConcernSource.VOLUNTEER,
                      description="Inquiétude", due_at=utcnow() + timedelta(days=3))
    campaign = Campaign(kind=CampaignKind.HEATWAVE, name="Canicule", territory_id=place.territory_a.id)
    referral = Referral(first_name="Germaine", last_name="L", phone="+33559123456", commune_insee="64445",
                        reason="Seule", person_agreed=True, referrer_name="Sophie", referrer_relation="family",
                        referrer_email="s@example.org")
    db.session.add_all([concern, campaign, referral])
    db.session.flush()
    call = CampaignCall(campaign_id=campaign.id, resident_id=match.resident_id)
    db.session.add(call)
    db.session.commit()
    with app.test_request_context():
        accounts.request_password_reset(resident[0].email)
        db.session.commit()
    people = {"resident": resident, "applicant": applicant, "volunteer": volunteer,
              "agent": agent, "other_agent": other_agent, "admin": admin}
    values = {"match_id": match.id, "visit_id": visit.id, "code": "en",
              "token": _reset_token(resident[0].email), "filename": "css/voisinage.css",
              # Records of territory A: its agent and the admin see them, territory B's agent gets 404.
              "resident_id": match.resident_id, "volunteer_id": match.volunteer_id,
              "concern_id": concern.id, "campaign_id": campaign.id, "call_id": call.id,
              "referral_id": referral.id, "territory_id": place.territory_a.id,
              "neighbourhood_id": place.nb_a.id, "user_id": agent[0].id}
    return people, values


def _reset_token(email: str) -> str:
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == email))
    db.session.rollback()
    return re.search(r"/mot-de-passe/nouveau/([\w-]+)", body).group(1)


#: Values for parameters whose name is shared by several rules.
PER_RULE = {"/benevole/agenda/<token>.ics": {"token": "c" * 43},
            "/inscription/habitant/<slug>": {"slug": "adresse"},
            "/inscription/benevole/<slug>": {"slug": "secteur"}}


def _url(app: Flask, rule, values: dict) -> str:
    args = {}
    for name in rule.arguments:
        if name in (rule.defaults or {}):  # the rule fixes it (/inscription/habitant: first step)
            continue
        value = PER_RULE.get(rule.rule, {}).get(name, values.get(name))
        if value is None:  # an unknown parameter: a plausible value of its type
            converter = type(rule._converters[name]).__name__
            value = {"UUIDConverter": uuid.uuid4(), "IntegerConverter": 1}.get(converter, "x")
        args[name] = value
    with app.test_request_context():
        return app.url_for(rule.endpoint, **args)


def _rules(app: Flask) -> list[tuple[str, object]]:
    """(key, rule) for every rule but static files, GETs first and logout last."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        found.append((f"{method} {rule.rule}", rule))
    return sorted(found, key=lambda item: (item[0] == LAST, item[0].startswith("POST"), item[0]))


def _walk(app: Flask, role: str, world) -> dict[str, object]:
    people, values = world
    client = LoggingClient.wrap(app.test_client())
    if role != "anonymous":
        client.login(*people[role])
    seen = {}
    for key, rule in _rules(app):
        url = _url(app, rule, values)
        if key.startswith("GET"):
            response = client.get(url)
        else:
            response = client.post_form(url, page="/connexion" if role == "anonymous" else "/")
        seen[key] = _outcome(response, url)
    return seen


def _outcome(response, url: str):
    """The status, or LOGIN for a redirect to the login page that comes back to ``url``."""
    if response.status_code == 302:
        target = urlsplit(response.location)
        if target.path == "/connexion" and "next" in parse_qs(target.query):
            assert parse_qs(target.query)["next"] == [url]
            return LOGIN
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(app, world, role):
    seen = _walk(app, role, world)
    column = ROLES.index(role)
    missing = sorted(set(seen) - set(EXPECTED))
    assert not missing, "routes missing from EXPECTED (say who may reach them):\n" + "\n".join(
        f'    "{key}": {(seen[key],)},' for key in missing)
    stale = sorted(set(EXPECTED) - set(seen))
    assert not stale, f"EXPECTED lists routes the app no longer has: {stale}"
    wrong = {key: (EXPECTED[key][column], seen[key]) for key in seen
             if EXPECTED[key][column] != seen[key]}
    assert not wrong, f"{role}: (expected, got) per route: {wrong}"


def test_a_new_route_is_closed_unless_marked_public(app, database_url):
    """Deny by default: a view nobody thought about needs a login."""

    @app.route("/oublie-de-tous")
    def forgotten():
        return "secret"

    @app.route("/ouvert-a-tous")
    @public
    def opened():
        return "public"

    @app.route("/api/secret")
    def forgotten_json():
        return jsonify(secret=True)

    client = app.test_client()
    closed = client.get("/oublie-de-tous")
    assert (closed.status_code, closed.location) == (302, "/connexion?next=/oublie-de-tous")
    assert client.get("/ouvert-a-tous").status_code == 200
    api = client.get("/api/secret", headers={"Accept": "application/json"})
    assert api.status_code == 401
    assert api.get_json()["status"] == 401


def test_json_clients_get_json_errors(client, resident):
    user, password = resident
    LoggingClient.wrap(client).login(user, password)
    response = client.get("/admin/", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {"error": "Forbidden", "status": 403}
