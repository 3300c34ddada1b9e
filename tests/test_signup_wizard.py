"""The sign-up in steps: journeys, "Retour", each step's checks, the place finder, drafts.

A resident answers six short steps (who, where, visits, languages, availability, consent), then
checks a summary and sends; a volunteer five. Answers live in the signed session cookie between
steps; every request checks them again, so a skipped step, a tampered or expired draft sends the
person to the first step that is missing, never to a 500.
"""

from __future__ import annotations

import base64
import html
import json
import re
import zlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.auth import drafts
from app.auth.steps import RESIDENT, VOLUNTEER
from app.extensions import db, limiter
from app.models import (
    Commune,
    CommunePostcode,
    ConsentRecord,
    Neighbourhood,
    OutboxMessage,
    ResidentProfile,
    Role,
    User,
    VisitKind,
    VolunteerProfile,
)
from app.models.availability import mask_from_slots
from tests import factories
from tests.test_bad_input import NASTY, Page, assert_field_error

PASSWORD = "une phrase assez longue 42"
ENTRY = {"resident": "/inscription/habitant", "volunteer": "/inscription/benevole"}
CHECK_EMAIL = "/inscription/envoyee"
RECEIVED = "/inscription/demande-recue"
FUZZ = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- Places: postcodes with one commune, several communes, several neighbourhoods ---------------


@pytest.fixture
def towns(place):
    """The test places with postcodes (see :func:`add_towns`)."""
    return add_towns(place)


def add_towns(place) -> dict[str, Neighbourhood]:
    """Postcodes for the test places: 64000 Pau; 64140 Billère and Lons; 64110 Jurançon (two
    neighbourhoods); 64230 Lescar (the other territory). Neighbourhoods by short name."""
    db.session.add_all([
        Commune(insee_code="64129", name="Billère", population=14384,
                territory_id=place.territory_a.id),
        Commune(insee_code="64348", name="Lons", population=13606,
                territory_id=place.territory_a.id),
        Commune(insee_code="64284", name="Jurançon", population=7040,
                territory_id=place.territory_a.id),
    ])
    db.session.flush()
    billere = Neighbourhood(commune_insee="64129", name="Billère", latitude=43.30453,
                            longitude=-0.39349)
    lons = Neighbourhood(commune_insee="64348", name="Lons", latitude=43.32121, longitude=-0.40173)
    rousse = Neighbourhood(commune_insee="64284", name="La Chapelle de Rousse", latitude=43.26,
                           longitude=-0.39)
    bourg = Neighbourhood(commune_insee="64284", name="Le bourg", latitude=43.27, longitude=-0.40)
    db.session.add_all([billere, lons, rousse, bourg])
    db.session.add_all([CommunePostcode(postcode=p, commune_insee=c) for p, c in [
        ("64000", "64445"), ("64140", "64129"), ("64140", "64348"), ("64110", "64284"),
        ("64230", "64335")]])
    db.session.commit()
    return {"pau": place.nb_a, "lescar": place.nb_b, "billere": billere, "lons": lons,
            "rousse": rousse, "bourg": bourg}


# --- Walking the steps ---------------------------------------------------------------------------


def resident_steps(towns, **overrides) -> list[tuple[str, dict]]:
    """(slug, answers) of a complete resident sign-up; ``overrides`` replace single answers."""
    steps = [
        ("vous", {"first_name": "Jeanne", "last_name": "Martin", "phone": "06 12 34 56 78",
                  "email": "jeanne.martin@example.org"}),
        ("adresse", {"address": "3 rue du Lac", "postcode": "64000", "asked": "64000:64445",
                     "neighbourhood": str(towns["pau"].id)}),
        ("visites", {"visit_kind": "walk", "volunteer_gender": ""}),
        ("langues", {"languages": ["fr", "oc"], "interests": ["reading", "music"]}),
        ("disponibilites", {"availability": ["mon-am", "wed-pm"]}),
        ("accord", {"consent": "y"}),
    ]
    return [(slug, {k: overrides.get(k, v) for k, v in data.items()}) for slug, data in steps]


def volunteer_steps(towns, **overrides) -> list[tuple[str, dict]]:
    """(slug, answers) of a complete volunteer application."""
    steps = [
        ("vous", {"first_name": "Paul", "last_name": "Durand", "email": "paul.durand@example.org",
                  "phone": ""}),
        ("secteur", {"postcode": "64140", "asked": "64140:", "commune": "64348",
                     "neighbourhood": str(towns["lons"].id), "max_km": "2,5"}),
        ("disponibilites", {"availability": ["fri-pm", "sat-am"], "capacity": "2"}),
        ("langues", {"languages": ["fr"], "interests": ["games"], "gender": ""}),
        ("charte", {"charter": "y", "consent": "y"}),
    ]
    return [(slug, {k: overrides.get(k, v) for k, v in data.items()}) for slug, data in steps]


def step_url(kind: str, slug: str) -> str:
    return ENTRY[kind] if slug == "vous" else f"{ENTRY[kind]}/{slug}"


def post_step(client, kind: str, slug: str, data: dict, action: str = "next", **kwargs):
    return client.post_form(step_url(kind, slug), {**data, "action": action}, **kwargs)


def walk(client, kind: str, steps, upto: str | None = None):
    """Send the steps in order (stopping before ``upto``); each must lead to the next one."""
    response = None
    for slug, data in steps:
        if slug == upto:
            break
        response = post_step(client, kind, slug, data)
        assert response.status_code == 303, (slug, text(response)[:3000])
    return response


def send(client, kind: str, password: str | None = PASSWORD):
    """Send the summary (its CSRF token is taken from the first step, which always opens)."""
    data = {"password": password} if password is not None else {}
    return client.post_form(step_url(kind, "verifier"), data, page=ENTRY[kind])


def text(response) -> str:
    """The page, with entities decoded ("d'adresse" rather than "d&#39;adresse")."""
    return html.unescape(response.get_data(as_text=True))


def draft(client) -> dict | None:
    with client.session_transaction() as session:
        return session.get(drafts.KEY)


def set_draft(client, value) -> None:
    with client.session_transaction() as session:
        session[drafts.KEY] = value


def count(model, *where) -> int:
    try:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        db.session.rollback()


# --- Whole journeys ------------------------------------------------------------------------------


def test_resident_journey_through_every_step(client, towns):
    first = client.get(ENTRY["resident"])
    page = text(first)
    assert first.status_code == 200
    assert "Étape 1 sur 6" in page and 'aria-current="step"' in page
    assert page.count("<li class=") == 6

    steps = resident_steps(towns)
    expected_next = [step_url("resident", slug) for slug, _ in steps[1:]] + \
        [step_url("resident", "verifier")]
    for (slug, data), target in zip(steps, expected_next):
        response = post_step(client, "resident", slug, data)
        assert (response.status_code, response.location) == (303, target), slug
        follow = client.get(target)
        assert follow.status_code == 200
    assert draft(client)["kind"] == "resident"

    summary = text(client.get(step_url("resident", "verifier")))
    for shown in ("Jeanne", "Martin", "06 12 34 56 78", "jeanne.martin@example.org",
                  "3 rue du Lac", "64000", "Promenade", "Pas de préférence", "Français, Occitan",
                  "Lecture, Musique", "Lundi : matin", "Mercredi : après-midi", "Accord donné"):
        assert shown in summary, shown
    assert summary.count(">Modifier<") == 6
    # In the order of the pages: the address comes before the postcode.
    assert summary.index("3 rue du Lac") < summary.index("64000")
    assert 'name="password"' in summary

    response = send(client, "resident")
    assert (response.status_code, response.location) == (303, CHECK_EMAIL)
    assert draft(client) is None
    user = db.session.scalar(select(User).where(User.email == "jeanne.martin@example.org"))
    profile = db.session.scalar(select(ResidentProfile).where(ResidentProfile.user_id == user.id))
    assert user.role is Role.RESIDENT and user.phone == "+33612345678"
    assert user.password_hash.startswith("$argon2id$")
    assert (profile.address, profile.postcode, profile.neighbourhood_id) == \
        ("3 rue du Lac", "64000", towns["pau"].id)
    assert profile.visit_kind is VisitKind.WALK and profile.volunteer_gender is None
    assert profile.languages == ["fr", "oc"] and profile.interests == ["music", "reading"]
    assert profile.availability == mask_from_slots(["mon-am", "wed-pm"])
    purposes = db.session.scalars(select(ConsentRecord.purpose)
                                  .where(ConsentRecord.user_id == user.id)).all()
    assert purposes == ["data_processing"]
    assert count(OutboxMessage, OutboxMessage.kind == "signup_welcome") == 1
    db.session.rollback()
    assert client.login(user, PASSWORD).status_code == 302


def test_volunteer_journey_through_every_step(app, client, towns):
    assert "Étape 1 sur 5" in text(client.get(ENTRY["volunteer"]))
    walk(client, "volunteer", volunteer_steps(towns), upto="charte")
    charter = text(client.get(step_url("volunteer", "charte")))
    assert "Charte du bénévole" in charter
    assert f"Version {app.config['CHARTER_VERSION']}" in charter
    assert "Comment nous utilisons vos données" in charter
    walk(client, "volunteer", volunteer_steps(towns)[4:])
    summary = text(client.get(step_url("volunteer", "verifier")))
    for shown in ("Paul", "paul.durand@example.org", "Pas de téléphone", "Lons", "2,5 km",
                  "Vendredi : après-midi", "Samedi : matin", "Jeux de société",
                  "Charte acceptée", "Accord donné"):
        assert shown in summary, shown
    assert "Envoyer ma candidature" in summary

    response = send(client, "volunteer")
    assert (response.status_code, response.location) == (303, CHECK_EMAIL)
    user = db.session.scalar(select(User).where(User.email == "paul.durand@example.org"))
    profile = db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    assert (profile.max_km, profile.capacity, profile.neighbourhood_id) == \
        (2.5, 2, towns["lons"].id)
    assert profile.charter_version == app.config["CHARTER_VERSION"]
    purposes = sorted(db.session.scalars(select(ConsentRecord.purpose)
                                         .where(ConsentRecord.user_id == user.id)))
    assert purposes == ["charter", "data_processing"]
    db.session.rollback()


def test_resident_without_email_is_created_without_login_and_told_an_agent_will_call(
        client, towns):
    walk(client, "resident", resident_steps(towns, email=""))
    summary = text(client.get(step_url("resident", "verifier")))
    assert 'name="password"' not in summary
    assert "Pas d'adresse e-mail" in summary and "vous appellera au 06 12 34 56 78" in summary

    response = send(client, "resident", password=None)
    assert (response.status_code, response.location) == (303, RECEIVED)
    page = text(client.get(RECEIVED))
    assert "va vous appeler au" in page and "06 12 34 56 78" in page
    assert "pas de compte" in page
    # The number is shown once; the page stays polite without it.
    again = text(client.get(RECEIVED))
    assert "06 12 34 56 78" not in again and "au numéro que vous avez indiqué" in again

    user = db.session.scalar(select(User).where(User.last_name == "Martin"))
    assert (user.email, user.password_hash, user.phone) == (None, None, "+33612345678")
    assert not user.can_log_in
    assert user.resident_profile.neighbourhood_id == towns["pau"].id
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == user.id))
    assert (consent.purpose, consent.method.value, consent.given_by) == \
        ("data_processing", "online", "Jeanne Martin")
    assert count(OutboxMessage) == 0  # no address to write to


def test_pressing_send_twice_without_email_makes_one_request(client, towns):
    """An elderly hand often taps twice: the second tap (same cookie, same draft) adds nothing."""
    walk(client, "resident", resident_steps(towns, email=""))
    sent_with = draft(client)
    token = factories.csrf_token(text(client.get(step_url("resident", "verifier"))))
    first = client.post(step_url("resident", "verifier"), data={"csrf_token": token})
    set_draft(client, sent_with)  # the second tap left with the same cookie as the first
    second = client.post(step_url("resident", "verifier"), data={"csrf_token": token})
    assert first.location == second.location == RECEIVED
    assert count(User) == 1
    # Someone else with the same phone (a couple sharing a landline) is another request.
    walk(client, "resident", resident_steps(towns, email="", first_name="Pierre"))
    send(client, "resident", password=None)
    assert count(User) == 2


def test_a_password_is_asked_last_and_never_kept(client, towns):
    walk(client, "resident", resident_steps(towns))
    response = send(client, "resident", password="court")
    assert response.status_code == 422
    page = Page(text(response))
    assert_field_error(page, "password", "au moins 12 caractères")
    assert page.one("input", name="password")["value"] == ""
    assert "court" not in json.dumps(draft(client)) and "password" not in json.dumps(draft(client))
    assert count(User) == 0


def test_the_enumeration_safe_ending_holds(app, client, towns, resident):
    """A new and a taken e-mail end on the same page; only the holder of the address is told."""
    holder, _ = resident
    walk(client, "resident", resident_steps(towns, email="someone.new@example.org"))
    fresh = send(client, "resident")
    other = factories.LoggingClient.wrap(app.test_client())
    walk(other, "resident", resident_steps(towns, email=holder.email.upper()))
    taken = send(other, "resident")
    assert (fresh.status_code, fresh.location) == (taken.status_code, taken.location) == \
        (303, CHECK_EMAIL)
    assert text(client.get(CHECK_EMAIL)).replace(_csrf(client), "") == \
        text(other.get(CHECK_EMAIL)).replace(_csrf(other), "")
    assert count(User, User.email == "someone.new@example.org") == 1
    assert count(ConsentRecord, ConsentRecord.user_id == holder.id) == 1
    assert count(OutboxMessage, OutboxMessage.kind == "signup_existing",
                 OutboxMessage.recipient == holder.email) == 1
    assert draft(other) is None


def _csrf(client) -> str:
    return factories.csrf_token(text(client.get("/connexion")))


# --- Progress, "Retour", "Modifier" --------------------------------------------------------------


def test_progress_says_where_the_person_is(client, towns):
    walk(client, "resident", resident_steps(towns), upto="visites")
    page = text(client.get(step_url("resident", "visites")))
    assert "Étape 3 sur 6" in page
    current = re.findall(r'<li class="is-(\w+)"( aria-current="step")?>', page)
    assert [state for state, _ in current] == ["done", "done", "current", "todo", "todo", "todo"]
    assert current[2][1]
    assert "<title>Vos visites (étape 3 sur 6)" in page


def test_back_keeps_the_answers_of_the_step_left_and_of_the_earlier_ones(client, towns):
    steps = resident_steps(towns)
    walk(client, "resident", steps, upto="langues")
    # Unfinished on step 4 (no language): "Retour" keeps it anyway and goes to step 3.
    response = post_step(client, "resident", "langues", {"interests": ["cooking"]}, action="back")
    assert (response.status_code, response.location) == (303, step_url("resident", "visites"))
    visits = Page(text(client.get(response.location)))
    assert "checked" in visits.one("input", name="visit_kind", value="walk")
    # Back again: step 2 still has the address and the neighbourhood.
    response = post_step(client, "resident", "visites", {"visit_kind": "errands",
                                                         "volunteer_gender": "f"},
                         action="back")
    place = Page(text(client.get(response.location)))
    assert place.one("input", name="address")["value"] == "3 rue du Lac"
    assert "checked" in place.one("input", name="neighbourhood", value=str(towns["pau"].id))
    # Forward: the changed answers of step 3 and the unfinished step 4 are there.
    visits = Page(text(client.get(step_url("resident", "visites"))))
    assert "checked" in visits.one("input", name="visit_kind", value="errands")
    assert visits.selected("volunteer_gender") == "f"
    tastes = Page(text(client.get(step_url("resident", "langues"))))
    assert tastes.checked("languages") == set() and tastes.checked("interests") == {"cooking"}
    # Step 4 is not complete: the later steps stay closed.
    later = client.get(step_url("resident", "disponibilites"))
    assert (later.status_code, later.location) == (302, step_url("resident", "langues"))


def test_only_the_first_step_has_no_back_button(client, towns):
    assert 'value="back"' not in text(client.get(ENTRY["resident"]))
    walk(client, "resident", resident_steps(towns), upto="adresse")
    page = text(client.get(step_url("resident", "adresse")))
    # "Continuer" comes first: the Enter key in a text field sends the step forward.
    assert page.index('value="next"') < page.index('value="back"')


def test_modifier_from_the_summary_comes_back_to_the_summary(client, towns):
    walk(client, "resident", resident_steps(towns))
    summary = text(client.get(step_url("resident", "verifier")))
    link = re.search(r'href="(/inscription/habitant/visites\?depuis=verifier)"', summary).group(1)
    page = text(client.get(link))
    assert 'name="depuis" value="verifier"' in page
    response = client.post_form(link, {"visit_kind": "phone_call", "volunteer_gender": "m",
                                       "depuis": "verifier", "action": "next"})
    assert (response.status_code, response.location) == (303, step_url("resident", "verifier"))
    assert "Appel téléphonique" in text(client.get(response.location))


# --- Each step's checks: 422, the message next to the field, what was typed kept ----------------


RESIDENT_ERRORS = [
    ("vous", {"first_name": "", "last_name": "M" * 81, "phone": "12", "email": "jeanne@"},
     {"first_name": "Ce champ est obligatoire.", "last_name": "Écrivez au plus 80 caractères.",
      "phone": "numéro de téléphone valide", "email": "adresse e-mail valide"},
     {"phone": "12", "email": "jeanne@"}),
    ("adresse", {"address": "", "postcode": "640", "asked": ""},
     {"address": "Ce champ est obligatoire.", "postcode": "5 chiffres"}, {"postcode": "640"}),
    ("visites", {"visit_kind": "", "volunteer_gender": "nobody"},
     {"visit_kind": "Choisissez un genre de visite.", "volunteer_gender": ""}, {}),
    ("langues", {"languages": [], "interests": ["music", "flying"]},
     {"languages": "Cochez au moins une langue.", "interests": ""}, {}),
    ("disponibilites", {"availability": []},
     {"availability": "Cochez au moins un moment de la semaine."}, {}),
    ("accord", {}, {"consent": "Votre accord est nécessaire"}, {}),
]


@pytest.mark.parametrize("slug, data, errors, kept", RESIDENT_ERRORS,
                         ids=[case[0] for case in RESIDENT_ERRORS])
def test_each_resident_step_checks_its_own_answers(client, towns, slug, data, errors, kept):
    walk(client, "resident", resident_steps(towns), upto=slug)
    response = post_step(client, "resident", slug, data)
    assert response.status_code == 422
    page = Page(text(response))
    assert page.find("div", **{"class": "error-summary", "role": "alert"})
    for field, message in errors.items():
        assert_field_error(page, field, message)
    for field, value in kept.items():
        assert page.one("input", name=field)["value"] == value
    assert "<title>Erreur" in text(response)


def test_step_one_refuses_neither_phone_nor_email(client, towns):
    response = post_step(client, "resident", "vous",
                         {"first_name": "Jeanne", "last_name": "Martin", "phone": "", "email": ""})
    assert response.status_code == 422
    page = Page(text(response))
    assert_field_error(page, "phone", "Indiquez un téléphone ou une adresse e-mail")
    assert page.one("input", name="first_name")["value"] == "Jeanne"
    assert draft(client) is None


def test_consent_missing_is_refused_and_nothing_is_created(client, towns):
    walk(client, "resident", resident_steps(towns), upto="accord")
    response = post_step(client, "resident", "accord", {})
    assert response.status_code == 422
    summary = client.get(step_url("resident", "verifier"))
    assert (summary.status_code, summary.location) == (302, step_url("resident", "accord"))
    assert count(User) == 0


def test_volunteer_checks_email_distance_capacity_and_charter(client, towns):
    response = post_step(client, "volunteer", "vous", {"first_name": "Paul", "last_name": "D",
                                                       "email": "", "phone": ""})
    assert_field_error(Page(text(response)), "email", "Ce champ est obligatoire.")
    walk(client, "volunteer", volunteer_steps(towns), upto="secteur")
    data = dict(volunteer_steps(towns)[1][1], max_km="beaucoup")
    page = Page(text(post_step(client, "volunteer", "secteur", data)))
    assert_field_error(page, "max_km", "Saisissez un nombre, par exemple 2,5.")
    assert page.one("input", name="max_km")["value"] == "beaucoup"
    walk(client, "volunteer", volunteer_steps(towns)[1:2])
    response = post_step(client, "volunteer", "disponibilites",
                         {"availability": ["fri-pm"], "capacity": "9"})
    page = Page(text(response))
    assert response.status_code == 422
    assert_field_error(page, "capacity", "Indiquez un nombre entre 1 et 5.")
    assert page.checked("availability") == {"fri-pm"}
    walk(client, "volunteer", volunteer_steps(towns)[2:4])
    response = post_step(client, "volunteer", "charte", {"consent": "y"})
    assert response.status_code == 422
    assert_field_error(Page(text(response)), "charter", "L'acceptation de la charte est nécessaire.")


def test_the_distance_is_a_text_box_that_shows_its_comma(client, towns):
    """A number box (type="number") shows "5,0" as empty in Chromium: the answer looked lost."""
    walk(client, "volunteer", volunteer_steps(towns), upto="secteur")
    box = Page(text(client.get(step_url("volunteer", "secteur")))).one("input", name="max_km")
    assert (box["type"], box["value"], box["inputmode"]) == ("text", "5,0", "decimal")


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "1e999999999", "0,1", "51"])
def test_distance_refuses_what_is_not_a_sensible_number(client, towns, value):
    walk(client, "volunteer", volunteer_steps(towns), upto="secteur")
    response = post_step(client, "volunteer", "secteur",
                         dict(volunteer_steps(towns)[1][1], max_km=value))
    assert response.status_code == 422
    assert Page(text(response)).text_by_id["max_km-error"].strip()


# --- Finding the neighbourhood from the postcode -------------------------------------------------


def _place(client, kind="resident", **data):
    slug = "adresse" if kind == "resident" else "secteur"
    base = {"address": "3 rue du Lac"} if kind == "resident" else {"max_km": "3"}
    return post_step(client, kind, slug, {**base, **data})


def test_a_postcode_with_one_commune_shows_its_neighbourhood_preselected(client, towns):
    walk(client, "resident", resident_steps(towns), upto="adresse")
    response = _place(client, postcode="64 000")
    assert response.status_code == 200
    page = Page(text(response))
    assert "Votre commune : Pau" in text(response)
    assert "checked" in page.one("input", name="neighbourhood", value=str(towns["pau"].id))
    assert not page.find("input", name="commune")
    assert page.one("input", name="asked")["value"] == "64000:64445"
    response = _place(client, postcode="64000", asked="64000:64445",
                      neighbourhood=str(towns["pau"].id))
    assert (response.status_code, response.location) == (303, step_url("resident", "visites"))


def test_a_postcode_with_several_communes_asks_the_commune_first(client, towns):
    walk(client, "resident", resident_steps(towns), upto="adresse")
    response = _place(client, postcode="64140")
    assert response.status_code == 200
    page = Page(text(response))
    assert "couvre plusieurs communes" in text(response)
    communes = page.find("input", name="commune")
    assert [c["value"] for c in communes] == ["64129", "64348"]
    assert not any("checked" in c for c in communes)
    assert not page.find("input", name="neighbourhood")
    # Sent again without a choice: now it is an error next to the question.
    response = _place(client, postcode="64140", asked="64140:")
    assert response.status_code == 422
    assert_field_error(Page(text(response)), "commune", "Choisissez votre commune.")
    # Lons has one neighbourhood: choosing the commune is enough.
    response = _place(client, postcode="64140", asked="64140:", commune="64348")
    assert (response.status_code, response.location) == (303, step_url("resident", "visites"))
    assert draft(client)["steps"]["adresse"]["neighbourhood"] == str(towns["lons"].id)


def test_a_commune_with_several_neighbourhoods_asks_which(client, towns):
    walk(client, "resident", resident_steps(towns), upto="adresse")
    response = _place(client, postcode="64110")
    page = Page(text(response))
    assert response.status_code == 200
    options = page.find("input", name="neighbourhood")
    assert len(options) == 2 and not any("checked" in o for o in options)
    response = _place(client, postcode="64110", asked="64110:64284")
    assert response.status_code == 422
    assert_field_error(Page(text(response)), "neighbourhood",
                       "Choisissez votre quartier dans la liste.")
    response = _place(client, postcode="64110", asked="64110:64284",
                      neighbourhood=str(towns["bourg"].id))
    assert response.status_code == 303


def test_an_unknown_postcode_says_to_call(client, towns):
    walk(client, "resident", resident_steps(towns), upto="adresse")
    response = _place(client, postcode="75001")
    assert response.status_code == 422
    page = Page(text(response))
    assert_field_error(page, "postcode", "ne fait pas partie des communes du service")
    assert "05 59 00 00 00" in page.text_by_id["postcode-error"]
    assert page.find("a", href="tel:+33559000000", **{"class": "button button-secondary"})
    assert page.one("input", name="address")["value"] == "3 rue du Lac"


def test_changing_the_postcode_asks_again(client, towns):
    walk(client, "resident", resident_steps(towns), upto="adresse")
    # Pau's neighbourhood still ticked, but the postcode now says Billère or Lons.
    response = _place(client, postcode="64140", asked="64000:64445",
                      neighbourhood=str(towns["pau"].id))
    assert response.status_code == 200
    assert "couvre plusieurs communes" in text(response)


def test_the_volunteer_finds_the_neighbourhood_the_same_way(client, towns):
    walk(client, "volunteer", volunteer_steps(towns), upto="secteur")
    response = _place(client, "volunteer", postcode="64230")
    assert response.status_code == 200
    assert "checked" in Page(text(response)).one("input", name="neighbourhood",
                                                 value=str(towns["lescar"].id))


# --- Skipped steps, tampered and expired drafts ----------------------------------------------------


@pytest.mark.parametrize("kind, slug", [("resident", "visites"), ("resident", "accord"),
                                        ("resident", "verifier"), ("volunteer", "charte"),
                                        ("volunteer", "verifier")])
def test_a_later_step_sent_directly_goes_back_to_the_first_missing_one(client, towns, kind, slug):
    response = client.post_form(step_url(kind, slug), {"consent": "y", "charter": "y",
                                                       "password": PASSWORD, "action": "next"},
                                page=ENTRY[kind])
    assert (response.status_code, response.location) == (303, ENTRY[kind])
    assert client.get(step_url(kind, slug)).location == ENTRY[kind]
    assert count(User) == 0


def test_a_gap_in_the_steps_sends_to_the_gap(client, towns):
    walk(client, "resident", resident_steps(towns))
    saved = draft(client)
    del saved["steps"]["visites"]
    set_draft(client, saved)
    response = client.get(step_url("resident", "verifier"))
    assert (response.status_code, response.location) == (302, step_url("resident", "visites"))


def _saved_draft(client, towns) -> dict:
    walk(client, "resident", resident_steps(towns))
    return draft(client)


TAMPERED = [
    "a string", 42, [], {"kind": "resident"}, {"kind": "resident", "at": "yesterday"},
    {"kind": "resident", "at": True, "steps": {}},
    {"kind": "resident", "at": 9_999_999_999, "steps": {}},
    {"kind": "volunteer", "at": None, "steps": None},
]


@pytest.mark.parametrize("value", TAMPERED, ids=range(len(TAMPERED)))
def test_a_malformed_draft_starts_again(client, towns, value):
    set_draft(client, value)
    for slug in ("adresse", "verifier"):
        response = client.get(step_url("resident", slug))
        assert (response.status_code, response.location) == (302, ENTRY["resident"])
    assert client.get(ENTRY["resident"]).status_code == 200


@pytest.mark.parametrize("step, change, first_missing", [
    ("vous", {"first_name": ["x"] * 3, "email": {"a": 1}, "phone": None}, "vous"),
    ("vous", {"phone": "\x00", "email": "not an address"}, "vous"),
    ("adresse", {"neighbourhood": "00000000-0000-0000-0000-000000000000"}, "adresse"),
    ("adresse", {"postcode": "64140", "commune": "64445"}, "adresse"),
    ("visites", {"visit_kind": "space_travel"}, "visites"),
    ("langues", {"languages": ["fr", 3]}, "langues"),
    ("disponibilites", {"availability": ["noon-on-mars"]}, "disponibilites"),
    ("disponibilites", {"availability": "mon-am" * 1000}, "disponibilites"),
    ("accord", {"consent": ""}, "accord"),
])
def test_tampered_answers_send_to_the_step_that_no_longer_holds(client, towns, step, change,
                                                                first_missing):
    saved = _saved_draft(client, towns)
    saved["steps"][step].update(change)
    set_draft(client, saved)
    response = client.get(step_url("resident", "verifier"))
    assert (response.status_code, response.location) == \
        (302, step_url("resident", first_missing))
    page = client.get(response.location)
    assert page.status_code == 200
    assert send(client, "resident").status_code == 303  # sent back, never a 500
    assert count(User) == 0


def test_unknown_steps_and_pages_are_404(client, towns):
    assert client.get("/inscription/habitant/nulle-part").status_code == 404
    assert client.get("/inscription/benevole/adresse").status_code == 404


def test_a_draft_expires_after_two_hours(client, towns, monkeypatch):
    walk(client, "resident", resident_steps(towns), upto="visites")
    later = drafts.now() + drafts.LIFETIME.total_seconds() + 5
    monkeypatch.setattr(drafts, "now", lambda: later)
    response = client.get(step_url("resident", "visites"))
    assert (response.status_code, response.location) == (302, ENTRY["resident"])
    page = text(client.get(ENTRY["resident"]))
    assert "plus de 2 heures" in page
    assert Page(page).one("input", name="first_name")["value"] == ""
    assert draft(client) is None


def test_a_draft_within_two_hours_is_kept(client, towns, monkeypatch):
    walk(client, "resident", resident_steps(towns), upto="visites")
    later = drafts.now() + drafts.LIFETIME.total_seconds() - 60
    monkeypatch.setattr(drafts, "now", lambda: later)
    assert client.get(step_url("resident", "visites")).status_code == 200


def test_starting_the_other_journey_leaves_the_first_alone_until_it_is_answered(client, towns):
    walk(client, "resident", resident_steps(towns), upto="visites")
    assert client.get(ENTRY["volunteer"]).status_code == 200
    assert draft(client)["kind"] == "resident"
    assert client.get(step_url("resident", "visites")).status_code == 200


# --- The cookie stays small --------------------------------------------------------------------


def _cookie(response) -> str:
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("voisinage_session="))
    return header.split(";")[0]


def _decoded_size(cookie: str) -> int:
    value = cookie.split("=", 1)[1]
    payload = value.split(".")[1] if value.startswith(".") else value.split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return len(zlib.decompress(raw) if value.startswith(".") else raw)


def _fullest_resident(towns, letter: str) -> list[tuple[str, dict]]:
    """Every field at its longest, every box ticked."""
    from app import vocabulary

    local = "a" * 64
    email = f"{local}@{'b' * 63}.{'c' * 63}.{'d' * 57}.fr"  # 254 characters
    return resident_steps(
        towns, first_name=letter * 80, last_name=letter * 80, email=email,
        phone="+33 6 12 34 56 78", address=letter * 250, volunteer_gender="f",
        languages=list(vocabulary.LANGUAGES), interests=list(vocabulary.INTERESTS),
        availability=[f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                      for p in ("am", "pm", "eve")])


@pytest.mark.parametrize("letter", ["a", "é", "ŵ"])
def test_the_cookie_stays_under_4_kb_with_every_field_full(client, towns, letter, capsys):
    response = walk(client, "resident", _fullest_resident(towns, letter))
    cookie = _cookie(response)
    assert len(cookie) < 4096 - 100, len(cookie)  # room for the attributes (Path, HttpOnly...)
    with capsys.disabled():
        print(f"\n[cookie] full resident draft, letter {letter!r}: {len(cookie)} bytes "
              f"(JSON {_decoded_size(cookie)} bytes before compression)")


def _random_text(rng, n: int, low: int, high: int) -> str:
    return "".join(chr(rng.randrange(low, high)) for _ in range(n))


@pytest.mark.parametrize("label, low, high", [("printable ASCII", 0x21, 0x7F),
                                              ("CJK", 0x4E00, 0xA000),
                                              ("outside the basic plane", 0x10000, 0x2FFFF)])
def test_text_that_defeats_compression_still_fits(client, towns, capsys, label, low, high):
    """Random characters compress badly; those outside the basic plane take 12 bytes in JSON."""
    import random

    rng = random.Random(4)
    steps = _fullest_resident(towns, "a")
    steps[0][1].update(first_name=_random_text(rng, 80, low, high),
                       last_name=_random_text(rng, 80, low, high))
    steps[1][1]["address"] = _random_text(rng, 250, low, high)
    cookie = _cookie(walk(client, "resident", steps))
    assert len(cookie) <= drafts.COOKIE_BUDGET
    with capsys.disabled():
        print(f"\n[cookie] full resident draft, random {label}: {len(cookie)} bytes "
              f"(JSON {_decoded_size(cookie)} bytes before compression)")


def test_a_draft_too_big_for_a_cookie_is_refused_with_a_message(client, towns, monkeypatch):
    walk(client, "resident", resident_steps(towns), upto="adresse")
    before = draft(client)
    cookie = client.get_cookie("voisinage_session", domain="voisinage.test")
    monkeypatch.setattr(drafts, "COOKIE_BUDGET", len(cookie.key) + 1 + len(cookie.value) + 20)
    response = post_step(client, "resident", "adresse", resident_steps(towns)[1][1])
    assert response.status_code == 422
    assert "trop longues pour être gardées" in text(response)
    assert Page(text(response)).one("input", name="address")["value"] == "3 rue du Lac"
    assert draft(client)["steps"] == before["steps"]  # the earlier answers are still kept


# --- Arbitrary text on every step never gives a 5xx ---------------------------------------------

fuzz_text = st.one_of(st.text(), st.text(min_size=200, max_size=2000), st.sampled_from(NASTY))
fuzz_texts = st.lists(fuzz_text, max_size=4)


def _fields(form_class) -> list[tuple[str, bool]]:
    """(name, several values) of a step form's fields."""
    from wtforms import SelectMultipleField

    form = form_class(formdata=None, meta={"csrf": False})
    return [(f.name, isinstance(f, SelectMultipleField)) for f in form if f.name != "csrf_token"]


def _fuzz_case(kind: str, index: int):
    journey = RESIDENT if kind == "resident" else VOLUNTEER
    slugs = [s.slug for s in journey.steps] + ["verifier"]
    return kind, slugs[index]


FUZZ_CASES = [("resident", i) for i in range(7)] + [("volunteer", i) for i in range(6)]


@pytest.mark.parametrize("kind, position", FUZZ_CASES,
                         ids=[f"{k}-{_fuzz_case(k, i)[1]}" for k, i in FUZZ_CASES])
def test_arbitrary_text_on_every_step_never_fails(app, client, towns, kind, position):
    journey = RESIDENT if kind == "resident" else VOLUNTEER
    steps = (resident_steps if kind == "resident" else volunteer_steps)(towns)
    slug = _fuzz_case(kind, position)[1]
    walk(client, kind, steps, upto=slug)
    seeded = draft(client)
    token = factories.csrf_token(text(client.get(ENTRY[kind])))
    with app.test_request_context():
        names = _fields(journey.steps[position].form) if slug != "verifier" else [
            ("password", False)]
    names += [("action", False), ("asked", False), ("depuis", False)]

    @FUZZ
    @given(values=st.fixed_dictionaries({n: (fuzz_texts if multi else fuzz_text)
                                         for n, multi in names}))
    @example(values={n: (["\x00" * 5000] if multi else "é" * 20_000) for n, multi in names})
    @example(values={n: (["next"] if multi else "back") for n, multi in names})
    def check(values):
        set_draft(client, seeded)
        limiter.reset()
        response = client.post(step_url(kind, slug), data={"csrf_token": token, **values})
        assert response.status_code < 500, text(response)[:3000]
        assert response.status_code in (200, 303, 413, 422), response.status_code
        if response.status_code == 303:
            assert response.location.startswith(("/inscription", "http://voisinage.test/inscription")), \
                response.location

    check()
