"""Bad input never gives a 500 and never loses what the person typed.

Invalid forms answer 422 with the message next to each field (linked for screen readers) and
in the summary, and give back every typed value but passwords. A property test posts arbitrary
text (unicode, NUL, very long strings) in every field of every account form (the sign-up's
steps: test_signup_wizard.py).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db, limiter
from app.models import OutboxMessage, User
from app.services import accounts
from tests import factories

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
LONG = "é" * 20_000
#: Text that breaks naive code: NUL and other controls, right-to-left marks, emoji, numbers
#: Decimal() accepts but nothing else does.
NASTY = ["\x00", "a\x00b@example.org", "\u202e\u0000", "🙂" * 50, "NaN", "sNaN", "-Infinity",
         "1e999999999", "0x10", "١٢", " ", "\r\n", "<script>alert(1)</script>", "' OR 1=1 --"]


class Page(HTMLParser):
    """The start tags of a page and the text of elements by id, enough to check forms."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes and tag not in ("input", "select", "textarea"):
            self._open.append(attributes["id"])
            self.text_by_id.setdefault(attributes["id"], "")
        elif tag not in ("input", "br", "img", "meta", "link"):
            self._open.append("")

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def one(self, tag: str, **attrs) -> dict:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]

    def checked(self, name: str) -> set[str]:
        return {a["value"] for a in self.find("input", name=name) if "checked" in a}

    def selected(self, select_name: str) -> str | None:
        # Options follow their select: take those between this select and the next one.
        inside, chosen = False, None
        for tag, attributes in self.tags:
            if tag == "select":
                inside = attributes.get("name") == select_name
            elif tag == "option" and inside and "selected" in attributes:
                chosen = attributes.get("value")
        return chosen


def assert_field_error(page: Page, field_id: str, message: str) -> None:
    """The message sits next to the field, the field points at it, the summary links to it."""
    error = page.text_by_id[f"{field_id}-error"]
    assert message in error and error.strip()
    tag, attributes = next((t, a) for t, a in page.tags if a.get("id") == field_id)
    assert f"{field_id}-error" in attributes.get("aria-describedby", "").split()
    if tag == "fieldset":  # a group: each choice says it is invalid (the grid says it once)
        options = page.find("input", name=field_id)
        assert options
        if field_id != "availability":
            assert all(o.get("aria-invalid") == "true" for o in options)
    else:
        assert attributes.get("aria-invalid") == "true"
    assert page.find("a", href=f"#{field_id}"), f"no summary link to {field_id}"


def user_count() -> int:
    try:
        return db.session.scalar(select(func.count()).select_from(User))
    finally:
        db.session.rollback()


# --- Messages next to fields, values kept ----------------------------------------------------


# The sign-up is in steps: each step answers alone (more cases in test_signup_wizard.py).
# The module is imported here, below Page and assert_field_error, which test_signup_wizard
# imports from this one; its helpers are looked up when the tests run.
import tests.test_signup_wizard as wizard  # noqa: E402


@pytest.fixture
def towns(place):
    """The test places with postcodes."""
    return wizard.add_towns(place)


def _at_step(client, kind: str, towns, slug: str) -> None:
    steps = (wizard.resident_steps if kind == "resident" else wizard.volunteer_steps)(towns)
    wizard.walk(client, kind, steps, upto=slug)


def test_resident_signup_errors_sit_next_to_fields_and_keep_input(client, towns):
    response = wizard.post_step(client, "resident", "vous", {
        "first_name": "Jeanne", "last_name": "", "email": "jeanne@", "phone": "12"})
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert page.find("div", **{"class": "error-summary", "role": "alert"})
    assert_field_error(page, "last_name", "Ce champ est obligatoire.")
    assert_field_error(page, "email", "Saisissez une adresse e-mail valide")
    assert_field_error(page, "phone", "Saisissez un numéro de téléphone valide")
    # What was typed is still there.
    assert page.one("input", name="first_name")["value"] == "Jeanne"
    assert page.one("input", name="email")["value"] == "jeanne@"
    assert page.one("input", name="phone")["value"] == "12"
    # Valid fields carry no error state at all (aria-invalid="None" would read as invalid).
    first = page.one("input", name="first_name")
    assert "aria-invalid" not in first and "aria-describedby" not in first
    assert '="None"' not in response.get_data(as_text=True)
    assert user_count() == 0


def test_the_password_is_never_given_back(client, towns):
    wizard.walk(client, "resident", wizard.resident_steps(towns))
    response = wizard.send(client, "resident", "court")
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert_field_error(page, "password", "au moins 12 caractères")
    assert page.one("input", name="password")["value"] == ""


def test_resident_signup_keeps_choices_when_a_step_is_wrong(client, towns):
    _at_step(client, "resident", towns, "langues")
    response = wizard.post_step(client, "resident", "langues", {"languages": [], "interests": ["music"]})
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert_field_error(page, "languages", "Cochez au moins une langue.")
    assert page.checked("interests") == {"music"}
    _at_step(client, "resident", towns, "disponibilites")
    response = wizard.post_step(client, "resident", "disponibilites", {"availability": []})
    assert_field_error(Page(response.get_data(as_text=True)), "availability",
                       "Cochez au moins un moment de la semaine.")


def test_unknown_neighbourhood_and_slots_are_refused_not_dropped(client, towns):
    _at_step(client, "resident", towns, "adresse")
    response = wizard.post_step(client, "resident", "adresse", {
        "address": "3 rue du Lac", "postcode": "64000", "asked": "64000:64445",
        "neighbourhood": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 422
    assert_field_error(Page(response.get_data(as_text=True)), "neighbourhood",
                       "Choisissez votre quartier dans la liste.")
    wizard.walk(client, "resident", wizard.resident_steps(towns)[1:4])
    response = wizard.post_step(client, "resident", "disponibilites",
                         {"availability": ["mon-am", "noon-on-mars"]})
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert_field_error(page, "availability", "Choix de créneau inconnu.")
    assert page.checked("availability") == {"mon-am"}


def test_volunteer_signup_errors_keep_input(client, towns):
    _at_step(client, "volunteer", towns, "disponibilites")
    response = wizard.post_step(client, "volunteer", "disponibilites",
                         {"availability": ["fri-pm"], "capacity": "9"})
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert_field_error(page, "capacity", "Indiquez un nombre entre 1 et 5.")
    assert page.one("input", name="capacity")["value"] == "9"
    assert page.checked("availability") == {"fri-pm"}


@pytest.mark.parametrize("typed, stored", [("2,5", 2.5), ("2.5", 2.5), (" 10 ", 10.0)])
def test_distance_accepts_a_decimal_comma(client, towns, typed, stored):
    steps = wizard.volunteer_steps(towns, max_km=typed)
    wizard.walk(client, "volunteer", steps)
    assert wizard.send(client, "volunteer").status_code == 303
    try:
        user = db.session.scalar(select(User).where(User.email == "paul.durand@example.org"))
        assert user.volunteer_profile.max_km == stored
    finally:
        db.session.rollback()


def test_distance_is_shown_the_french_way(client, towns):
    _at_step(client, "volunteer", towns, "secteur")
    page = Page(client.get("/inscription/benevole/secteur").get_data(as_text=True))
    assert page.one("input", name="max_km")["value"] == "5,0"


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "address"])
def test_control_characters_are_refused_with_a_message(client, towns, field):
    value = {"email": "jeanne\x00@example.org"}.get(field, "Jea\x00nne")
    slug = "adresse" if field == "address" else "vous"
    steps = wizard.resident_steps(towns, **{field: value})
    _at_step(client, "resident", towns, slug)
    response = wizard.post_step(client, "resident", slug, dict(steps)[slug])
    assert response.status_code == 422
    assert "caractère invisible" in Page(response.get_data(as_text=True)).text_by_id[f"{field}-error"]
    assert user_count() == 0


def test_login_with_nul_in_the_address_is_a_422(client):
    response = client.post_form("/connexion", {"email": "a\x00@example.org", "password": "x" * 12})
    assert response.status_code == 422


def test_oversized_posts_get_a_french_413(client):
    response = client.post_form("/connexion", {"email": "a@b.fr", "password": "x" * 3_000_000})
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)


# --- Property tests: arbitrary text in every field never gives a 5xx ---------------------------

text = st.one_of(st.text(), st.text(min_size=200, max_size=2000), st.sampled_from(NASTY))
texts = st.lists(text, max_size=4)


def _fresh_token(client) -> str:
    html = client.get("/mot-de-passe/oubli").get_data(as_text=True)
    return factories.csrf_token(html)


def _post(client, url: str, data: dict, token: str):
    limiter.reset()  # the per-address limit would answer 429 before the form is read
    response = client.post(url, data={"csrf_token": token, **data})
    assert response.status_code < 500, response.get_data(as_text=True)[:3000]
    assert response.status_code != 302 or "/connexion" in response.location \
        or response.location.startswith("/inscription/envoyee"), response.location
    return response


@FUZZ
@given(email=text, password=text)
@example(email=LONG, password=LONG)
@example(email="a\x00b@example.org", password="\x00")
def test_login_form_never_fails(client, email, password):
    response = _post(client, "/connexion", {"email": email, "password": password},
                     _fresh_token(client))
    assert response.status_code in (422, 413)


# The sign-up's steps have their own property test (test_signup_wizard.py), 50 examples a step.


@FUZZ
@given(email=text)
@example(email=LONG)
@example(email="\x00@example.org")
def test_forgot_password_never_fails(client, email):
    response = _post(client, "/mot-de-passe/oubli", {"email": email}, _fresh_token(client))
    assert response.status_code in (200, 422, 413)


@FUZZ
@given(password=text)
@example(password=LONG)
@example(password="\x00" * 12)
def test_reset_form_never_fails(app, client, resident, password):
    user, _ = resident
    with app.test_request_context():
        accounts.request_password_reset(user.email)
        db.session.commit()
        body = db.session.scalar(select(OutboxMessage.body).order_by(OutboxMessage.id.desc()))
        db.session.rollback()
    reset = re.search(r"/mot-de-passe/nouveau/[\w-]+", body).group(0)
    _post(client, reset, {"password": password}, _fresh_token(client))


@FUZZ
@given(current=text, password=text)
@example(current=LONG, password=LONG)
@example(current="\x00", password="\x00" * 20)
def test_change_password_form_never_fails(client, resident, current, password):
    page = client.get("/compte/mot-de-passe")
    if page.status_code == 302:  # first example: log in once, the session lasts for the rest
        client.login(*resident)
        page = client.get("/compte/mot-de-passe")
    response = _post(client, "/compte/mot-de-passe", {"current": current, "password": password},
                     factories.csrf_token(page.get_data(as_text=True)))
    assert response.status_code in (422, 413)
