"""Bad input never gives a 500 and never loses what the person typed.

Invalid forms answer 422 with the message next to each field (linked for screen readers) and
in the summary, and give back every typed value but passwords. A property test posts arbitrary
text (unicode, NUL, very long strings) in every field of every account form.
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


def resident_form(place, **overrides) -> dict:
    data = {
        "first_name": "Jeanne", "last_name": "Martin", "email": "jeanne.martin@example.org",
        "phone": "06 12 34 56 78", "password": "une phrase assez longue 42",
        "address": "3 rue du Lac", "postcode": "64000", "neighbourhood": str(place.nb_a.id),
        "visit_kind": "walk", "volunteer_gender": "", "languages": ["fr", "eu"],
        "interests": ["music"], "availability": ["tue-am", "sat-eve"], "consent": "y",
    }
    data.update(overrides)
    return data


def volunteer_form(place, **overrides) -> dict:
    data = {
        "first_name": "Paul", "last_name": "Durand", "email": "paul.durand@example.org",
        "phone": "", "password": "une phrase assez longue 42", "gender": "",
        "neighbourhood": str(place.nb_b.id), "max_km": "7,5", "capacity": "2",
        "availability": ["fri-pm"], "languages": ["fr"], "interests": ["games"],
        "charter": "y", "consent": "y",
    }
    data.update(overrides)
    return data


def user_count() -> int:
    try:
        return db.session.scalar(select(func.count()).select_from(User))
    finally:
        db.session.rollback()


# --- Messages next to fields, values kept ----------------------------------------------------


def test_resident_signup_errors_sit_next_to_fields_and_keep_input(client, place):
    data = resident_form(place, last_name="", email="jeanne@", phone="12", password="court",
                         postcode="640", visit_kind="", consent="")
    data.pop("consent")
    data.pop("visit_kind")
    response = client.post_form("/inscription/habitant", data)
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert page.find("div", **{"class": "error-summary", "role": "alert"})
    assert_field_error(page, "last_name", "Ce champ est obligatoire.")
    assert_field_error(page, "email", "Saisissez une adresse e-mail valide")
    assert_field_error(page, "phone", "Saisissez un numéro de téléphone valide")
    assert_field_error(page, "password", "au moins 12 caractères")
    assert_field_error(page, "postcode", "")
    assert_field_error(page, "visit_kind", "Choisissez un genre de visite.")
    assert_field_error(page, "consent", "Votre accord est nécessaire")
    # What was typed is still there (but never the password).
    assert page.one("input", name="first_name")["value"] == "Jeanne"
    assert page.one("input", name="email")["value"] == "jeanne@"
    assert page.one("input", name="phone")["value"] == "12"
    assert page.one("input", name="address")["value"] == "3 rue du Lac"
    assert page.one("input", name="password")["value"] == ""
    assert page.selected("neighbourhood") == str(place.nb_a.id)
    assert page.checked("availability") == {"tue-am", "sat-eve"}
    assert page.checked("languages") == {"fr", "eu"}
    assert page.checked("interests") == {"music"}
    # Valid fields carry no error state at all (aria-invalid="None" would read as invalid).
    first = page.one("input", name="first_name")
    assert "aria-invalid" not in first and "aria-describedby" not in first
    assert '="None"' not in response.get_data(as_text=True)
    assert user_count() == 0


def test_resident_signup_keeps_choices_when_the_grid_is_empty(client, place):
    response = client.post_form("/inscription/habitant",
                                resident_form(place, availability=[], languages=[]))
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert_field_error(page, "availability", "Cochez au moins un moment de la semaine.")
    assert_field_error(page, "languages", "Cochez au moins une langue.")
    assert "checked" in page.one("input", name="visit_kind", value="walk")
    assert page.selected("neighbourhood") == str(place.nb_a.id)


def test_unknown_neighbourhood_and_slots_are_refused_not_dropped(client, place):
    response = client.post_form("/inscription/habitant", resident_form(
        place, neighbourhood="00000000-0000-0000-0000-000000000000",
        availability=["mon-am", "noon-on-mars"]))
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert_field_error(page, "neighbourhood", "Choisissez votre quartier dans la liste.")
    assert_field_error(page, "availability", "Choix de créneau inconnu.")


def test_volunteer_signup_errors_keep_input(client, place):
    response = client.post_form("/inscription/benevole", volunteer_form(
        place, max_km="beaucoup", capacity="9", charter="", first_name=""))
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert_field_error(page, "max_km", "Saisissez un nombre, par exemple 2,5.")
    assert_field_error(page, "capacity", "Indiquez un nombre entre 1 et 5.")
    assert_field_error(page, "first_name", "Ce champ est obligatoire.")
    assert page.one("input", name="max_km")["value"] == "beaucoup"
    assert page.one("input", name="capacity")["value"] == "9"
    assert page.one("input", name="email")["value"] == "paul.durand@example.org"
    assert page.selected("neighbourhood") == str(place.nb_b.id)
    assert page.checked("availability") == {"fri-pm"}
    assert page.checked("interests") == {"games"}


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-inf", "1e999999999", "0,1", "51"])
def test_distance_refuses_what_is_not_a_sensible_number(client, place, value):
    response = client.post_form("/inscription/benevole", volunteer_form(place, max_km=value))
    assert response.status_code == 422
    assert Page(response.get_data(as_text=True)).text_by_id["max_km-error"].strip()


@pytest.mark.parametrize("typed, stored", [("2,5", 2.5), ("2.5", 2.5), (" 10 ", 10.0)])
def test_distance_accepts_a_decimal_comma(client, place, typed, stored):
    response = client.post_form("/inscription/benevole", volunteer_form(place, max_km=typed))
    assert response.status_code == 302
    try:
        user = db.session.scalar(select(User).where(User.email == "paul.durand@example.org"))
        assert user.volunteer_profile.max_km == stored
    finally:
        db.session.rollback()


def test_distance_is_shown_the_french_way(client):
    page = Page(client.get("/inscription/benevole").get_data(as_text=True))
    assert page.one("input", name="max_km")["value"] == "5,0"


@pytest.mark.parametrize("field", ["first_name", "last_name", "address", "email"])
def test_control_characters_are_refused_with_a_message(client, place, field):
    value = {"email": "jeanne\x00@example.org"}.get(field, "Jea\x00nne")
    response = client.post_form("/inscription/habitant", resident_form(place, **{field: value}))
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


RESIDENT_FIELDS = ("first_name", "last_name", "email", "phone", "password", "address",
                   "postcode", "neighbourhood", "visit_kind", "volunteer_gender", "consent")
VOLUNTEER_FIELDS = ("first_name", "last_name", "email", "phone", "password", "gender",
                    "neighbourhood", "max_km", "capacity", "charter", "consent")
MULTI = ("availability", "languages", "interests")


@FUZZ
@given(values=st.fixed_dictionaries({f: text for f in RESIDENT_FIELDS}),
       multi=st.fixed_dictionaries({f: texts for f in MULTI}))
@example(values={f: LONG for f in RESIDENT_FIELDS}, multi={f: [LONG] for f in MULTI})
@example(values={f: "\x00" for f in RESIDENT_FIELDS}, multi={f: ["\x00"] for f in MULTI})
def test_resident_signup_never_fails(client, place, values, multi):
    token = _fresh_token(client)
    _post(client, "/inscription/habitant", {**values, **multi}, token)


@FUZZ
@given(values=st.fixed_dictionaries({f: text for f in VOLUNTEER_FIELDS}),
       multi=st.fixed_dictionaries({f: texts for f in MULTI}))
@example(values={f: LONG for f in VOLUNTEER_FIELDS}, multi={f: [LONG] for f in MULTI})
@example(values={**{f: "sNaN" for f in VOLUNTEER_FIELDS}}, multi={f: ["sNaN"] for f in MULTI})
def test_volunteer_signup_never_fails(client, place, values, multi):
    token = _fresh_token(client)
    _post(client, "/inscription/benevole", {**values, **multi}, token)


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
