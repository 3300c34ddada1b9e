"""Every form of the app, found by crawling each role's pages, to fuzz and tamper with.

Each role (anonymous, resident, applicant, volunteer, agent, administrator) opens every GET rule of
``app.url_map`` (ids of territory A's records) and every sign-up step, and each ``<form
method="post">`` found is kept with its fields and the values the page put in them. Tests check
that every POST rule of the map is reached by some form, so a new form cannot be left out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape as html_unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from app.extensions import db
from app.models import (
    Concern,
    ConcernSource,
    ConcernStatus,
    Match,
    MatchStatus,
    OutboxMessage,
    RequestStatus,
    Visit,
    VolunteerStatus,
    utcnow,
)
from app.services import accounts
from tests import factories
from tests.security.world import Browser, World
from tests.test_signup_wizard import ENTRY, add_towns, resident_steps, volunteer_steps, walk


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, select, checkbox, radio, textarea, submit, file, ...
    values: list[str] = field(default_factory=list)  # options, or the value(s) the page set
    default: list[str] = field(default_factory=list)  # what a browser would send untouched
    multiple: bool = False


@dataclass
class Form:
    role: str
    page: str
    action: str
    rule: str
    fields: dict[str, Field]

    @property
    def key(self) -> tuple:
        return (self.role, self.rule, tuple(sorted(self.fields)))

    def filled(self) -> list[tuple[str, str]]:
        """The defaults, with empty boxes and lists given a plausible answer (see PLAUSIBLE)."""
        pairs = []
        for name, value in self.defaults():
            if not value.strip() and self.fields[name].kind not in ("hidden",):
                value = _plausible(self.fields[name], self.role)
            pairs.append((name, value))
        sent = {name for name, _ in pairs}
        for f in self.fields.values():  # unticked boxes a person must tick, empty lists
            if f.name not in sent and f.kind in ("checkbox", "radio") and f.values:
                if f.name in TICKED or f.kind == "radio":
                    pairs.append((f.name, f.values[0]))
        return pairs

    def defaults(self) -> list[tuple[str, str]]:
        """What a browser sends when the person changes nothing and presses the first button."""
        pairs = []
        pressed = False
        for f in self.fields.values():
            if f.name.endswith("csrf_token"):
                continue
            if f.kind == "submit":
                if not pressed and f.values:
                    pairs.append((f.name, f.values[0]))
                    pressed = True
                continue
            pairs.extend((f.name, value) for value in f.default)
        return pairs


#: Answers for empty fields, by name (the last part of a prefixed name such as ``step-detail``).
PLAUSIBLE = {
    "email": "nouvelle.personne@example.org", "referrer_email": "proche@example.org",
    "phone": "05 36 49 00 11", "referrer_phone": "05 36 49 00 12", "postcode": "64000",
    "first_name": "Paulette", "last_name": "Essai", "name": "Nom d'essai",
    "referrer_name": "Sophie Essai", "consent_given_by": "Paulette Essai",
    "address": "1 rue de l'Essai", "starts_at": "10:00", "latitude": "43.3", "longitude": "-0.36",
    "password": "une phrase assez longue 42",
}
#: Date fields get a day in the near future.
DATES = ("done_on", "starts_on", "consent_date", "expires_on")
#: Boxes a person must tick for the form to be accepted.
TICKED = ("consent", "person_agreed", "charter", "availability", "languages")


def _plausible(f: Field, role: str) -> str:
    short = f.name.rsplit("-", 1)[-1]
    if f.kind == "select":
        return next((v for v in f.values if v), "")
    if short == "password" and role != "anonymous":
        return ""  # a logged-in person's password fields erase or change the account: left empty
    if short in DATES:
        return (utcnow() + timedelta(days=2)).date().isoformat()
    return PLAUSIBLE.get(short, "Texte d'essai")


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict, dict[str, Field]]] = []
        self._form: dict[str, Field] | None = None
        self._select: Field | None = None
        self._option: dict | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {}
            self.forms.append((a, self._form))
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            f = self._form.setdefault(name, Field(name, kind))
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            f.values.append(value)
            if kind in ("checkbox", "radio"):
                f.multiple = f.multiple or kind == "checkbox"
                if "checked" in a:
                    f.default.append(value)
            elif kind not in ("submit", "button", "image", "reset", "file"):
                f.default.append(value)
        elif tag == "button" and name:
            f = self._form.setdefault(name, Field(name, "submit"))
            f.values.append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = self._form.setdefault(name, Field(name, "select",
                                                             multiple="multiple" in a))
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea" and name:
            self._textarea = self._form.setdefault(name, Field(name, "textarea"))
            self._textarea.default.append("")

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea.default[-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value = self._option["value"]
            value = self._option["text"].strip() if value is None else value
            self._select.values.append(value)
            if self._option["selected"]:
                self._select.default.append(value)
            self._option = None
        elif tag == "select" and self._select is not None:
            if not self._select.default and self._select.values and not self._select.multiple:
                self._select.default.append(self._select.values[0])
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_forms(html: str) -> list[tuple[dict, dict[str, Field]]]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def post_rules(app) -> dict[str, Rule]:
    """Every rule that takes a POST, by its pattern."""
    return {rule.rule: rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def rule_of(app, path: str) -> str | None:
    adapter = app.url_map.bind("voisinage.test")
    try:
        rule, _ = adapter.match(path, method="POST", return_rule=True)
    except HTTPException:
        return None
    return rule.rule


def page_urls(app, ids: dict[str, uuid.UUID]) -> list[str]:
    """A URL for every GET rule but static files, the calendar feed and the language switch."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.arguments - set(ids):
            continue
        with app.test_request_context():
            urls.append(app.url_for(rule.endpoint, **{n: ids[n] for n in rule.arguments
                                                      if n not in (rule.defaults or {})}))
    return urls


@dataclass
class Cast:
    """Who crawls: the world's side A, plus people in the states that show the rarer forms."""

    world: World
    people: dict[str, object]
    start: list[str]


def add_states(world: World, place) -> Cast:
    """Records in every state that shows a form: a proposal, an approved pair for the volunteer
    to accept, a paused pair and a paused request, a past visit, a concern in progress, an
    applicant, a suspended volunteer, a disabled agent, a calendar link and a reset link."""
    now = utcnow()
    nb, volunteer = place.nb_a, world.a.volunteer.volunteer_profile
    volunteer.capacity = 5
    residents = [factories.make_resident(nb, first=f"Etat{i}")[0] for i in range(5)]
    residents.append(factories.make_resident(nb, first="Guichet", with_login=False)[0])
    proposed, approved, paused, waiting, candidate, desk = (r.resident_profile for r in residents)
    db.session.add_all([
        Match(resident_id=proposed.id, volunteer_id=volunteer.id, status=MatchStatus.PROPOSED,
              score=50.0),
        Match(resident_id=approved.id, volunteer_id=volunteer.id, status=MatchStatus.APPROVED,
              decided_at=now),
        Match(resident_id=paused.id, volunteer_id=volunteer.id, status=MatchStatus.PAUSED,
              decided_at=now - timedelta(days=40), accepted_at=now - timedelta(days=39)),
        Visit(match_id=world.a.match.id, starts_at=now - timedelta(days=2), duration_minutes=60),
        Concern(resident_id=world.a.match.resident_id, match_id=world.a.match.id,
                source=ConcernSource.RESIDENT, description="En cours",
                status=ConcernStatus.IN_PROGRESS, owner_id=world.a.agent.id,
                due_at=now + timedelta(days=2)),
    ])
    waiting.status = RequestStatus.PAUSED
    volunteer.calendar_token = "d" * 43
    applicant, _ = factories.make_volunteer(nb, approved=False, first="Candidat")
    suspended, _ = factories.make_volunteer(nb, approved=True, first="Suspendu")
    suspended.volunteer_profile.status = VolunteerStatus.SUSPENDED
    disabled, _ = factories.make_staff("agent", place.territory_a, first="Inactif")
    disabled.is_enabled = False
    db.session.commit()
    forgetful, _ = factories.make_resident(nb, first="Oubli")  # the reset form may change it
    with current_app.test_request_context():
        accounts.request_password_reset(forgetful.email)
        db.session.commit()
    body = db.session.scalar(select(OutboxMessage.body).where(
        OutboxMessage.kind == "password_reset").order_by(OutboxMessage.id.desc()))
    reset = re.search(r"/mot-de-passe/nouveau/[\w-]+", body).group(0)
    db.session.rollback()
    people = {"anonymous": None, "resident": world.a.resident, "paused resident": residents[3],
              "applicant": applicant, "volunteer": world.a.volunteer, "agent": world.a.agent,
              "admin": world.admin}
    start = [reset, f"/agent/habitants/{waiting.id}", f"/agent/habitants/{desk.id}/effacer",
             f"/agent/propositions/habitant/{candidate.id}"]
    return Cast(world, people, start)


#: Never followed by the crawl: files, feeds, and links that end the session or switch language.
SKIP = re.compile(r"\.(csv|ics|css|js|svg|png|ico)$|^/(deconnexion|langue)")
#: At most this many URLs of one rule are opened per person (lists link to many records).
PER_RULE = 3


def _links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="(/[^"#]*)', html)


def crawl(app, browser: Browser, start: list[str], skip: re.Pattern = SKIP,
          per_rule: int = PER_RULE) -> Iterator[tuple[str, object]]:
    """(path, response) of every page with a 200 reachable from ``start`` through links, at
    most ``per_rule`` URLs of each rule, none whose path ``skip`` matches."""
    adapter = app.url_map.bind("voisinage.test")
    seen: set[str] = set()
    opened: dict[str, int] = {}
    queue = list(start)
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or skip.search(path):
            continue
        seen.add(url)
        try:
            rule, _ = adapter.match(path, method="GET", return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint == "static" or opened.get(rule.rule, 0) >= per_rule:
            continue
        opened[rule.rule] = opened.get(rule.rule, 0) + 1
        response = browser.get(url)
        if response.status_code != 200:
            continue
        yield path, response
        if response.mimetype == "text/html":
            queue.extend(html_unescape(link) for link in _links(response.get_data(as_text=True)))


def _collect(app, role: str, page: str, html: str, found: dict[tuple, Form]) -> None:
    for attrs, fields in parse_forms(html):
        action = attrs.get("action") or page
        path = urlsplit(action).path
        rule = rule_of(app, path)
        if rule is None:
            continue
        form = Form(role, page, action, rule, fields)
        found.setdefault(form.key, form)


def signup_pages(app, place) -> list[tuple[str, str]]:
    """(url, html) of every sign-up step, reached by answering the steps before it."""
    towns = add_towns(place)
    pages = []
    for kind, steps in (("resident", resident_steps(towns)),
                        ("volunteer", volunteer_steps(towns))):
        client = factories.LoggingClient.wrap(app.test_client())
        for slug, _ in [*steps, ("verifier", {})]:
            walk(client, kind, steps, upto=slug)
            url = ENTRY[kind] if slug == steps[0][0] else f"{ENTRY[kind]}/{slug}"
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            pages.append((url, response.get_data(as_text=True)))
    return pages


def discover(app, cast: Cast, place) -> list[Form]:
    """Every distinct form each person meets, sign-up steps included."""
    found: dict[tuple, Form] = {}
    start = cast.start + page_urls(app, cast.world.a.ids)
    for role, user in cast.people.items():
        for path, response in crawl(app, Browser(app, user), start):
            if response.mimetype == "text/html":
                _collect(app, role, path, response.get_data(as_text=True), found)
    for url, html in signup_pages(app, place):
        _collect(app, "anonymous", url, html, found)
    return list(found.values())


def browser_for(app, cast: Cast, role: str) -> Browser:
    return Browser(app, cast.people[role])
