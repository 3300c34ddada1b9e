"""Logs never hold passwords, tokens, addresses, phone numbers, notes or concerns.

Seeds recognisable values, runs the journeys (sign-up, failed and good logins, reset request and
use, password change, profile change, visit log with a note, concern, problem report, referral,
the outbox worker sending the e-mails and SMS, an unexpected error carrying personal data) with
every logger at DEBUG, through both the development and the production (JSON) formatters, then
searches the captured text.
"""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.logs import JsonFormatter
from app.models import OutboxMessage, User, Visit, utcnow
from app.notifications import worker
from app.security.sessions import SESSION_KEY
from tests.factories import LoggingClient, csrf_token
from tests.security.world import Browser, make_world
from tests.test_signup_wizard import add_towns, resident_steps, send, walk

PASSWORD = "Mot de passe secret Ω 4417"
WRONG = "Mauvais secret Δ 5520"
NEW_PASSWORD = "Nouveau secret Ψ 9921"
CHANGED_PASSWORD = "Encore un secret ζ 3308"
ADDRESS = "17 impasse des Secrets-Bien-Gardés"
NEW_ADDRESS = "4 allée Confidentielle-Ouistiti"
PHONE, PHONE_E164 = "05 36 49 12 78", "+33536491278"
NEW_PHONE, NEW_PHONE_E164 = "05 36 49 87 21", "+33536498721"
NOTE = "Note confidentielle zèbre-4471"
CONCERN = "Inquiétude confidentielle okapi-9034"
PROBLEM = "Problème confidentiel tatou-7312"
REFERRAL_REASON = "Raison confidentielle lémurien-6620"
REFERRAL_PHONE, REFERRAL_PHONE_E164 = "05 36 49 55 44", "+33536495544"


class Capture:
    """Every record at DEBUG, formatted as in development and as in production (JSON)."""

    def __init__(self):
        self.plain, self.json = io.StringIO(), io.StringIO()
        self.handlers = [logging.StreamHandler(self.plain), logging.StreamHandler(self.json)]
        self.handlers[0].setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.handlers[1].setFormatter(JsonFormatter())
        self.records: list[logging.LogRecord] = []

    def __enter__(self):
        root = logging.getLogger()
        self.saved = {name: logging.getLogger(name).level
                      for name in ("", "voisinage", "sqlalchemy", "werkzeug", "flask")}
        root.setLevel(logging.DEBUG)
        logging.getLogger("voisinage").setLevel(logging.DEBUG)
        # SQLAlchemy's own echo is a debugging switch no deployment turns on.
        logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
        for handler in self.handlers:
            handler.setLevel(logging.DEBUG)
            root.addHandler(handler)
        return self

    def __exit__(self, *exc):
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
        for name, level in self.saved.items():
            logging.getLogger(name).setLevel(level)

    def text(self) -> str:
        return self.plain.getvalue() + "\n" + self.json.getvalue()


def _variants(value: str) -> set[str]:
    """The value as typed, JSON-escaped, and without spaces (phone numbers)."""
    return {value, json.dumps(value)[1:-1], value.replace(" ", ""), value.lower()}


def _leaks(captured: str, secrets: dict[str, str]) -> list[str]:
    found = []
    for label, value in secrets.items():
        for variant in _variants(value):
            if variant and variant in captured:
                found.append(f"{label}: {variant!r}")
    return sorted(set(found))


def _reset_token(email: str) -> str:
    body = db.session.scalar(select(OutboxMessage.body).where(
        OutboxMessage.recipient == email, OutboxMessage.kind == "password_reset")
        .order_by(OutboxMessage.id.desc()))
    db.session.rollback()
    return re.search(r"/mot-de-passe/nouveau/([\w-]+)", body).group(1)


def _session_token(client) -> str:
    with client.session_transaction() as session:
        return session.get(SESSION_KEY, "")


@pytest.fixture
def world(place):
    return make_world(place)


def test_journeys_leave_no_secret_in_the_logs(app, world, place):
    towns = add_towns(place)
    email = "secret.person@example.org"
    secrets = {"password": PASSWORD, "wrong password": WRONG, "new password": NEW_PASSWORD,
               "changed password": CHANGED_PASSWORD, "address": ADDRESS,
               "new address": NEW_ADDRESS, "phone": PHONE_E164, "phone typed": PHONE,
               "new phone": NEW_PHONE_E164, "new phone typed": NEW_PHONE, "note": NOTE,
               "concern": CONCERN, "problem": PROBLEM, "referral reason": REFERRAL_REASON,
               "referral phone": REFERRAL_PHONE_E164, "referral phone typed": REFERRAL_PHONE}
    with Capture() as capture:
        # Sign-up of a resident with an address and a phone.
        client = LoggingClient.wrap(app.test_client())
        walk(client, "resident", resident_steps(towns, email=email, address=ADDRESS,
                                                phone=PHONE, postcode="64000"))
        assert send(client, "resident", PASSWORD).status_code == 303
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.rollback()
        # A failed login, a reset, a good login, a password change, a profile change.
        browser = Browser(app)
        assert browser.post("/connexion", {"email": email, "password": WRONG}).status_code == 422
        assert browser.post("/mot-de-passe/oubli", {"email": email}).status_code == 200
        token = _reset_token(email)
        secrets["reset token"] = token
        assert browser.get(f"/mot-de-passe/nouveau/{token}").status_code == 200
        assert browser.post(f"/mot-de-passe/nouveau/{token}",
                            {"password": NEW_PASSWORD}).status_code == 302
        resident = LoggingClient.wrap(app.test_client())
        resident.login(user, NEW_PASSWORD)
        secrets["session token"] = _session_token(resident)
        secrets["csrf token"] = csrf_token(resident.get("/habitant/").get_data(as_text=True))
        assert resident.post_form("/compte/mot-de-passe", {
            "current": NEW_PASSWORD, "password": CHANGED_PASSWORD}).status_code == 302
        profile = {"address": NEW_ADDRESS, "postcode": "64000",
                   "neighbourhood": str(place.nb_a.id), "phone": NEW_PHONE,
                   "visit_kind": "walk", "volunteer_gender": "", "languages": ["fr"],
                   "interests": ["music"], "availability": ["mon-am"]}
        assert resident.post_form("/habitant/mon-profil", profile).status_code in (302, 303)
        # The world's resident reports a problem; its volunteer logs a visit and a concern.
        r1 = Browser(app, world.a.resident)
        assert r1.post("/habitant/signaler-un-probleme",
                       {"description": PROBLEM}).status_code in (302, 303)
        visit = Visit(match_id=world.a.match.id, starts_at=utcnow() - timedelta(days=2),
                      duration_minutes=60)
        db.session.add(visit)
        db.session.commit()
        v1 = Browser(app, world.a.volunteer)
        secrets["volunteer session"] = _session_token(v1.client)
        assert v1.post(f"/benevole/visites/{visit.id}/compte-rendu",
                       {"outcome": "done", "mood": "worrying", "note": NOTE}).status_code == 302
        assert v1.post(f"/benevole/binome/{world.a.match.id}/alerte",
                       {"description": CONCERN, "severity": "high"}).status_code in (302, 303)
        # A calendar link: its token is a credential.
        assert v1.post("/benevole/agenda/lien").status_code == 302
        feed = db.session.scalar(select(text("calendar_token FROM volunteer_profiles "
                                             "WHERE calendar_token IS NOT NULL")))
        db.session.rollback()
        secrets["calendar token"] = feed
        assert app.test_client().get(f"/benevole/agenda/{feed}.ics").status_code == 200
        # A referral by a relative.
        assert Browser(app).post("/signaler", {
            "first_name": "Germaine", "last_name": "Lapeyre", "phone": REFERRAL_PHONE,
            "commune": "64445", "reason": REFERRAL_REASON, "referrer_name": "Sophie Lapeyre",
            "referrer_relation": "family", "referrer_email": "sophie@example.org",
            "person_agreed": "y"}).status_code == 302
        # The worker sends what was queued (e-mails to the test backend, SMS to the log).
        worker.send_due()
    captured = capture.text()
    assert "POST /connexion" in captured and '"status": 422' in captured, "nothing captured"
    assert len(capture.json.getvalue().splitlines()) > 30
    leaks = _leaks(captured, secrets)
    assert not leaks, "found in the logs:\n" + "\n".join(leaks)


def test_an_unexpected_database_error_does_not_log_its_parameters(database_url):
    """An exception's text goes to the log; SQLAlchemy puts the statement's values in it."""
    from app import create_app

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "PROPAGATE_EXCEPTIONS": False})

    @app.route("/erreur-base")
    def failing():
        db.session.execute(text("INSERT INTO no_such_table (address, phone) VALUES (:a, :p)"),
                           {"a": ADDRESS, "p": PHONE_E164})
        return "unreachable"

    failing._voisinage_public = True
    with app.app_context(), Capture() as capture:
        assert app.test_client().get("/erreur-base").status_code == 500
    captured = capture.text()
    assert "no_such_table" in captured, "the error was not logged"
    assert not _leaks(captured, {"address": ADDRESS, "phone": PHONE_E164})
