"""Agent console, residents: the list (search, filters, pages, query count), the record, registration
on the person's behalf, edit, pause, resume, close; scoped to the agent's territory."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    ConsentMethod,
    ConsentRecord,
    Match,
    MatchStatus,
    RequestStatus,
    ResidentProfile,
    User,
    paris_today,
)
from tests import factories

# Helpers ---------------------------------------------------------------------------------------

def profile_of(user: User) -> ResidentProfile:
    """The resident profile of a user."""
    return db.session.scalar(select(ResidentProfile).where(ResidentProfile.user_id == user.id))


def waiting_for(user: User, days: int) -> ResidentProfile:
    """Make a resident wait ``days`` days."""
    profile = profile_of(user)
    profile.waiting_since = factories.days_ago(days)
    db.session.commit()
    return profile


def pair(resident: User, volunteer: User, status: MatchStatus, score: float = 71.5) -> Match:
    """A pair in the given state."""
    match = Match(resident_id=profile_of(resident).id, volunteer_id=volunteer.volunteer_profile.id,
                  status=status, score=score, part_waiting=20, part_distance=25, part_slots=13.3,
                  part_interests=13.2, distance_km=1.2, shared_slots=1, shared_interests=["reading"])
    db.session.add(match)
    db.session.commit()
    return match


def audit_entries(action: str) -> list[AuditEntry]:
    """The audit entries of an action."""
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@contextmanager
def count_queries():
    """Count the SQL statements sent while the block runs (``n``; ``selects``: SELECTs only).

    SQLite sends its BEGIN through the cursor when the connection had none open: ``selects``
    leaves that out.
    """
    counter = {"n": 0, "selects": 0}

    def count(_conn, _cursor, statement, *_args, **_kwargs):
        counter["n"] += 1
        counter["selects"] += statement.lstrip().upper().startswith(("SELECT", "WITH"))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def names_in(page: str) -> list[str]:
    """The residents' names as the list prints them (LAST First), in order."""
    return re.findall(r'<th scope="row" data-label="Nom"><a href="/agent/habitants/[^"]+">([^<]+)</a>', page)


GOOD = {
    "first_name": "Germaine", "last_name": "Lapeyre", "phone": "05 59 12 34 56", "email": "",
    "address": "3 rue des Cordeliers", "postcode": "64000", "visit_kind": "home_chat",
    "volunteer_gender": "", "languages": ["fr"], "interests": ["reading"],
    "availability": ["mon-am", "thu-pm"], "consent_given_by": "self", "consent_relative": "",
    "consent_method": "oral", "consent_date": paris_today().isoformat(),
}


def good(place, **changes) -> dict:
    """A valid registration in territory A."""
    return {**GOOD, "neighbourhood": str(place.nb_a.id), **changes}


# The list --------------------------------------------------------------------------------------

def test_the_list_shows_the_territory_residents_longest_wait_first(client, place, agent):
    old, _ = factories.make_resident(place.nb_a, "Odette")
    new, _ = factories.make_resident(place.nb_a, "Nadia")
    factories.make_resident(place.nb_b, "Bernadette")
    waiting_for(old, 120)
    waiting_for(new, 3)
    client.login(*agent)
    response = client.get("/agent/habitants")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert [n.split()[1] for n in names_in(page)] == ["Odette", "Nadia"]
    assert "Bernadette" not in page
    assert "120 jours" in page and "En attente d'un·e bénévole" in page


def test_the_admin_sees_every_territory(client, place, admin):
    factories.make_resident(place.nb_a, "Odette")
    factories.make_resident(place.nb_b, "Bernadette")
    client.login(*admin)
    page = client.get("/agent/habitants").get_data(as_text=True)
    assert "Odette" in page and "Bernadette" in page


def test_the_other_agent_never_sees_territory_a(client, place, other_agent):
    factories.make_resident(place.nb_a, "Odette")
    client.login(*other_agent)
    for url in ("/agent/habitants", "/agent/habitants?q=Odette", "/agent/habitants?etat=waiting"):
        page = client.get(url).get_data(as_text=True)
        assert names_in(page) == [] and "Aucun·e habitant·e" in page


@pytest.mark.parametrize("query", ["jeanne", "JEANNE", "test", "06 12 34", "0612345678",
                                   "+33612", "06.12.34.56", "<EMAIL>"])
def test_search_by_name_phone_or_email_ignores_case(client, place, agent, query):
    user, _ = factories.make_resident(place.nb_a, "Jeanne")
    other, _ = factories.make_resident(place.nb_a, "Paulette")
    other.phone = "+33559000000"
    other.last_name = "Durand"
    other.email = "paulette@example.org"
    db.session.commit()
    client.login(*agent)
    query = query.replace("<EMAIL>", user.email.upper())
    page = client.get("/agent/habitants", query_string={"q": query}).get_data(as_text=True)
    assert "Jeanne" in page
    assert "Paulette" not in page


def test_search_words_must_all_match_and_wildcards_are_plain(client, place, agent):
    factories.make_resident(place.nb_a, "Jeanne")
    factories.make_resident(place.nb_a, "Jeannette")
    client.login(*agent)
    page = client.get("/agent/habitants", query_string={"q": "jeanne zzz"}).get_data(as_text=True)
    assert "Aucun·e habitant·e ne correspond" in page
    page = client.get("/agent/habitants", query_string={"q": "%"}).get_data(as_text=True)
    assert "Aucun·e habitant·e ne correspond" in page


def test_an_accented_name_is_found_as_typed(client, place, agent):
    factories.make_resident(place.nb_a, "Élodie")
    client.login(*agent)
    assert "Élodie" in client.get("/agent/habitants", query_string={"q": "Élodie"}).get_data(as_text=True)


def test_filter_by_state_read_from_the_live_pair(client, place, agent, volunteer):
    factories.make_resident(place.nb_a, "Wanda")
    proposed, _ = factories.make_resident(place.nb_a, "Prosper")
    active, _ = factories.make_resident(place.nb_a, "Alice")
    paused, _ = factories.make_resident(place.nb_a, "Paula")
    closed, _ = factories.make_resident(place.nb_a, "Clotilde")
    pair(proposed, volunteer[0], MatchStatus.APPROVED)
    pair(active, volunteer[0], MatchStatus.ACTIVE)
    profile_of(paused).status = RequestStatus.PAUSED
    profile_of(closed).status = RequestStatus.CLOSED
    db.session.commit()
    client.login(*agent)
    expected = {"waiting": "Wanda", "proposed": "Prosper", "active": "Alice", "paused": "Paula",
                "closed": "Clotilde"}
    for state, name in expected.items():
        page = client.get("/agent/habitants", query_string={"etat": state}).get_data(as_text=True)
        assert [n.split()[1] for n in names_in(page)] == [name], state
    # The counts by state are printed with the tabs.
    page = client.get("/agent/habitants").get_data(as_text=True)
    assert re.search(r"Mise en relation en cours <span class=\"count\">1</span>", page)
    assert re.search(r"Tous <span class=\"count\">5</span>", page)


def test_filter_by_neighbourhood_and_waiting_time(client, place, agent):
    from app.models import Neighbourhood

    other_nb = Neighbourhood(commune_insee="64445", name="Saragosse", latitude=43.3, longitude=-0.38)
    db.session.add(other_nb)
    db.session.commit()
    long_wait, _ = factories.make_resident(place.nb_a, "Odette")
    short_wait, _ = factories.make_resident(other_nb, "Nadia")
    waiting_for(long_wait, 100)
    waiting_for(short_wait, 40)
    client.login(*agent)
    page = client.get("/agent/habitants", query_string={"quartier": str(other_nb.id)}).get_data(as_text=True)
    assert [n.split()[1] for n in names_in(page)] == ["Nadia"]
    page = client.get("/agent/habitants", query_string={"attente": "90"}).get_data(as_text=True)
    assert [n.split()[1] for n in names_in(page)] == ["Odette"]
    page = client.get("/agent/habitants", query_string={"attente": "30"}).get_data(as_text=True)
    assert [n.split()[1] for n in names_in(page)] == ["Odette", "Nadia"]


def test_a_neighbourhood_of_another_territory_is_refused_not_shown(client, place, agent):
    factories.make_resident(place.nb_b, "Bernadette")
    client.login(*agent)
    response = client.get("/agent/habitants", query_string={"quartier": str(place.nb_b.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="quartier-error"' in page
    assert "Bernadette" not in page
    assert f'value="{place.nb_b.id}"' not in page  # not even offered


@pytest.mark.parametrize("args", [{"etat": "nope"}, {"attente": "7"}, {"page": "abc"},
                                  {"page": "-3"}, {"tri": "x"}, {"quartier": "not-a-uuid"},
                                  {"q": "a" * 500}, {"q": "x\x00y"}])
def test_bad_filters_answer_422_never_500(client, place, agent, args):
    factories.make_resident(place.nb_a, "Odette")
    client.login(*agent)
    response = client.get("/agent/habitants", query_string=args)
    assert response.status_code == 422
    assert "Odette" in response.get_data(as_text=True)  # the other filters still apply


def test_pages_of_25_and_the_same_query_count_for_3_or_25_rows(client, place, agent):
    client.login(*agent)
    for i in range(3):
        factories.make_resident(place.nb_a, f"Small{i}")
    with count_queries() as small:
        page = client.get("/agent/habitants").get_data(as_text=True)
    assert len(names_in(page)) == 3
    for i in range(27):
        user, _ = factories.make_resident(place.nb_a, f"Many{i}")
    volunteer, _ = factories.make_volunteer(place.nb_a)
    pair(user, volunteer, MatchStatus.ACTIVE)
    with count_queries() as full:
        page = client.get("/agent/habitants").get_data(as_text=True)
    assert len(names_in(page)) == 25
    assert "Page 1 sur 2" in page
    assert small["n"] == full["n"], (small, full)
    second = client.get("/agent/habitants", query_string={"page": 2}).get_data(as_text=True)
    assert len(names_in(second)) == 5
    assert not set(names_in(page)) & set(names_in(second))
    # Beyond the last page: an empty page, not an error.
    assert client.get("/agent/habitants", query_string={"page": 9}).status_code == 200


def test_sort_by_name(client, place, agent):
    for first in ("Zoé", "Anne", "Marc"):
        user, _ = factories.make_resident(place.nb_a, first)
        user.last_name = first + "son"
    db.session.commit()
    client.login(*agent)
    page = client.get("/agent/habitants", query_string={"tri": "nom"}).get_data(as_text=True)
    assert [n.split()[1] for n in names_in(page)] == ["Anne", "Marc", "Zoé"]


# The record ------------------------------------------------------------------------------------

def test_the_record_shows_everything_and_is_audited(client, place, agent, volunteer):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    match = pair(user, volunteer[0], MatchStatus.ACTIVE, score=82.4)
    profile = profile_of(user)
    client.login(*agent)
    response = client.get(f"/agent/habitants/{profile.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "12 rue des Tests" in page and "06 12 34 56 78" in page and user.email in page
    assert "Discussion à domicile" in page and "Lecture" in page
    assert 'class="availability-grid availability-read"' in page
    assert "Mise en relation en cours" in page and volunteer[0].full_name in page
    assert "82,4 sur 100" in page
    assert "Utilisation de ses données" in page  # the consent record
    entries = audit_entries("resident.view")
    assert len(entries) == 1
    assert entries[0].object_id == str(profile.id) and entries[0].actor_id == agent[0].id
    assert entries[0].territory_id == place.territory_a.id
    assert match.id  # the pair is listed with its score


@pytest.mark.parametrize("path", ["", "/modifier", "/pause", "/clore"])
def test_another_territory_resident_is_404_get(client, place, other_agent, path):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    client.login(*other_agent)
    assert client.get(f"/agent/habitants/{profile_of(user).id}{path}").status_code == 404
    assert audit_entries("resident.view") == []


@pytest.mark.parametrize("path", ["/modifier", "/pause", "/reprendre", "/clore"])
def test_another_territory_resident_is_404_post(client, place, other_agent, path):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    profile = profile_of(user)
    client.login(*other_agent)
    response = client.post_form(f"/agent/habitants/{profile.id}{path}",
                                {"reason": "Test", "address": "x"}, page="/agent/habitants")
    assert response.status_code == 404
    db.session.refresh(profile)
    assert profile.status is RequestStatus.OPEN


def test_an_unknown_resident_is_404(client, place, agent):
    client.login(*agent)
    assert client.get(f"/agent/habitants/{uuid.uuid4()}").status_code == 404


def test_the_admin_opens_any_record(client, place, admin):
    user, _ = factories.make_resident(place.nb_b, "Bernadette")
    client.login(*admin)
    assert client.get(f"/agent/habitants/{profile_of(user).id}").status_code == 200


def test_other_roles_are_refused(client, place, resident, volunteer):
    for who in (resident, volunteer):
        client.login(*who)
        assert client.get("/agent/habitants").status_code == 403
        assert client.get("/agent/habitants/nouveau").status_code == 403
        client.logout()


# Registration on the person's behalf ---------------------------------------------------------

def test_register_a_resident_by_phone_with_the_consent(client, place, agent):
    client.login(*agent)
    response = client.post_form("/agent/habitants/nouveau", good(place))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    user = db.session.scalar(select(User).where(User.last_name == "Lapeyre"))
    assert user.password_hash is None and user.email is None and not user.can_log_in
    assert user.phone == "+33559123456"
    profile = profile_of(user)
    assert response.location.endswith(f"/agent/habitants/{profile.id}")
    assert profile.registered_by_id == agent[0].id
    assert profile.availability and profile.interests == ["reading"]
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == user.id))
    assert consent.method is ConsentMethod.ORAL
    assert consent.given_by == "Germaine Lapeyre"
    assert consent.recorded_by_id == agent[0].id
    [entry] = audit_entries("consent.record")
    assert entry.territory_id == place.territory_a.id and entry.detail["method"] == "oral"
    assert audit_entries("resident.register")


def test_register_with_a_relative_a_signed_form_and_a_past_date(client, place, agent):
    client.login(*agent)
    past = paris_today() - timedelta(days=10)
    response = client.post_form("/agent/habitants/nouveau", good(
        place, consent_given_by="relative", consent_relative="sa fille, Mme Durand",
        consent_method="signed_form", consent_date=past.strftime("%d/%m/%Y"),
        email="germaine@example.org"))
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.last_name == "Lapeyre"))
    assert user.email == "germaine@example.org" and user.password_hash is None
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == user.id))
    assert consent.given_by == "sa fille, Mme Durand"
    assert consent.method is ConsentMethod.SIGNED_FORM
    assert consent.given_at.date() == past


@pytest.mark.parametrize("changes, field", [
    ({"consent_date": (paris_today() + timedelta(days=2)).isoformat()}, "consent_date"),
    ({"consent_given_by": "relative", "consent_relative": ""}, "consent_relative"),
    ({"consent_method": "online"}, "consent_method"),
    ({"phone": "", "email": ""}, "phone"),
    ({"phone": "12"}, "phone"),
    ({"postcode": "64A00"}, "postcode"),
    ({"availability": []}, "availability"),
    ({"languages": []}, "languages"),
    ({"first_name": ""}, "first_name"),
    ({"consent_date": "31/02/2026"}, "consent_date"),
    ({"visit_kind": "tea"}, "visit_kind"),
    ({"address": "1 rue\x00 du Nul"}, "address"),
])
def test_bad_registrations_are_refused_next_to_the_field(client, place, agent, changes, field):
    client.login(*agent)
    response = client.post_form("/agent/habitants/nouveau", good(place, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page
    assert 'value="Lapeyre"' in page  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(ResidentProfile)) == 0


def test_a_neighbourhood_of_another_territory_cannot_be_chosen(client, place, agent):
    client.login(*agent)
    page = client.get("/agent/habitants/nouveau").get_data(as_text=True)
    assert str(place.nb_a.id) in page and str(place.nb_b.id) not in page
    response = client.post_form("/agent/habitants/nouveau", good(place, neighbourhood=str(place.nb_b.id)))
    assert response.status_code == 422
    assert 'id="neighbourhood-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ResidentProfile)) == 0


def test_an_email_already_used_is_said_next_to_the_field(client, place, agent, resident):
    client.login(*agent)
    response = client.post_form("/agent/habitants/nouveau", good(place, email=resident[0].email))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in page and "déjà utilisée" in page
    assert db.session.scalar(select(func.count()).select_from(User).where(User.last_name == "Lapeyre")) == 0


def test_the_form_defaults_to_oral_consent_by_the_person_today(client, place, agent):
    client.login(*agent)
    page = client.get("/agent/habitants/nouveau").get_data(as_text=True)
    assert re.search(r'value="oral"[^>]*checked|checked[^>]*value="oral"', page)
    assert re.search(r'value="self"[^>]*checked|checked[^>]*value="self"', page)
    assert f'value="{paris_today().isoformat()}"' in page
    assert 'name="password"' not in page and 'name="consent"' not in page


# Edit, pause, resume, close ----------------------------------------------------------------

def test_edit_a_resident(client, place, agent):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    profile = profile_of(user)
    client.login(*agent)
    page = client.get(f"/agent/habitants/{profile.id}/modifier").get_data(as_text=True)
    assert 'value="12 rue des Tests"' in page
    response = client.post_form(f"/agent/habitants/{profile.id}/modifier", {
        "address": "8 place Royale", "postcode": "64000", "neighbourhood": str(place.nb_a.id),
        "phone": "06 98 76 54 32", "visit_kind": "walk", "volunteer_gender": "f",
        "languages": ["fr", "oc"], "interests": ["music"], "availability": ["sat-am"]})
    assert response.status_code == 303
    db.session.refresh(profile)
    assert profile.address == "8 place Royale" and profile.slots == ["sat-am"]
    assert profile.user.phone == "+33698765432" and profile.languages == ["fr", "oc"]
    [entry] = audit_entries("request.update")
    assert entry.actor_id == agent[0].id


def test_edit_refuses_bad_input_and_keeps_it(client, place, agent):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    profile = profile_of(user)
    client.login(*agent)
    response = client.post_form(f"/agent/habitants/{profile.id}/modifier", {
        "address": "8 place Royale", "postcode": "6400", "neighbourhood": str(place.nb_b.id),
        "visit_kind": "walk", "languages": ["fr"], "availability": ["sat-am"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="postcode-error"' in page and 'id="neighbourhood-error"' in page
    assert 'value="8 place Royale"' in page
    db.session.refresh(profile)
    assert profile.address == "12 rue des Tests"


def test_pause_resume_and_close(client, place, agent, volunteer):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    profile = profile_of(user)
    match = pair(user, volunteer[0], MatchStatus.ACTIVE)
    client.login(*agent)
    page = client.get(f"/agent/habitants/{profile.id}/pause").get_data(as_text=True)
    assert "arrêtera" in page  # the live pair is mentioned
    response = client.post_form(f"/agent/habitants/{profile.id}/pause", {"reason": "Hospitalisée"})
    assert response.status_code == 303
    db.session.refresh(profile)
    db.session.refresh(match)
    assert profile.status is RequestStatus.PAUSED and profile.status_reason == "Hospitalisée"
    assert match.status is MatchStatus.ENDED
    assert "arrêtée" in client.get(response.location).get_data(as_text=True)

    response = client.post_form(f"/agent/habitants/{profile.id}/reprendre",
                                page=f"/agent/habitants/{profile.id}")
    assert response.status_code == 303
    db.session.refresh(profile)
    assert profile.status is RequestStatus.OPEN

    page = client.get(f"/agent/habitants/{profile.id}/clore").get_data(as_text=True)
    assert "Oui, clore la demande" in page
    response = client.post_form(f"/agent/habitants/{profile.id}/clore", {"reason": "Entrée en EHPAD"})
    assert response.status_code == 303
    db.session.refresh(profile)
    assert profile.status is RequestStatus.CLOSED and profile.status_reason == "Entrée en EHPAD"
    assert [e.action for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("request.%")).order_by(AuditEntry.id))] == [
        "request.pause", "request.resume", "request.close"]
    # A closed request cannot be edited, paused or closed again.
    for path in ("/modifier", "/pause", "/clore"):
        response = client.get(f"/agent/habitants/{profile.id}{path}")
        assert response.status_code == 303


def test_close_needs_a_reason(client, place, agent):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    profile = profile_of(user)
    client.login(*agent)
    response = client.post_form(f"/agent/habitants/{profile.id}/clore", {"reason": "  "})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    db.session.refresh(profile)
    assert profile.status is RequestStatus.OPEN


def test_resume_an_open_request_is_refused_with_a_message(client, place, agent):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    profile = profile_of(user)
    client.login(*agent)
    response = client.post_form(f"/agent/habitants/{profile.id}/reprendre",
                                page=f"/agent/habitants/{profile.id}", follow_redirects=True)
    assert response.status_code == 200
    assert "pas en pause" in response.get_data(as_text=True)


def test_an_expired_form_is_refused_without_change(client, place, agent):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    profile = profile_of(user)
    profile.status = RequestStatus.PAUSED
    db.session.commit()
    client.login(*agent)
    response = client.post(f"/agent/habitants/{profile.id}/reprendre", data={"csrf_token": "x"})
    assert response.status_code in (302, 303, 400)
    db.session.refresh(profile)
    assert profile.status is RequestStatus.PAUSED


def test_admin_can_register_in_any_territory(client, place, admin):
    client.login(*admin)
    response = client.post_form("/agent/habitants/nouveau", good(place, neighbourhood=str(place.nb_b.id)))
    assert response.status_code == 303
    [entry] = audit_entries("consent.record")
    assert entry.territory_id == place.territory_b.id
