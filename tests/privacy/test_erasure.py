"""Erasure: pairs end (the other side is told), sessions end, personal columns are blank, the
account cannot log in; the rows, their states and the pseudonymous audit trail stay."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    Match,
    MatchStatus,
    OutboxMessage,
    RequestStatus,
    User,
    UserSession,
    Visit,
    VisitStatus,
    VolunteerStatus,
)
from app.privacy.erasure import ANONYMOUS
from tests import factories
from tests.factories import PASSWORD, LoggingClient
from tests.privacy import world as w

COOKIE = "voisinage_session"


@pytest.fixture
def people(place, agent):
    return w.build(place, agent[0])


def _dump_everything() -> str:
    """Every value of every table, as text, to search for what must be gone."""
    from app.models import Base

    db.session.rollback()
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            parts.extend(str(value) for value in row)
    db.session.rollback()
    return "\n".join(parts)


def _erase(client, user, password=PASSWORD, confirm="y"):
    data = {"password": password}
    if confirm:
        data["confirm"] = confirm
    return client.post_form("/mes-donnees/effacer", data)


def test_a_wrong_password_or_no_box_erases_nothing(client, people):
    client.login(people.resident)
    assert _erase(client, people.resident, password="pas le bon mot de passe").status_code == 422
    assert _erase(client, people.resident, confirm=None).status_code == 422
    db.session.rollback()
    assert db.session.get(User, people.resident.id).anonymised_at is None
    assert client.get("/mes-donnees").status_code == 200


def test_an_erasure_without_the_forms_token_erases_nothing(client, people):
    client.login(people.resident)
    response = client.post("/mes-donnees/effacer", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code != 303 or response.location != "/"
    db.session.rollback()
    assert db.session.get(User, people.resident.id).anonymised_at is None


def test_the_resident_erases_their_data(app, client, people):
    thief = LoggingClient.wrap(app.test_client())
    client.login(people.resident)
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE, domain="voisinage.test").value,
                     domain="voisinage.test")
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = _erase(client, people.resident)
    assert response.status_code == 303 and response.location == "/"
    db.session.rollback()

    user = db.session.get(User, people.resident.id)
    assert user.anonymised_at is not None and not user.can_log_in
    assert (user.first_name, user.last_name, user.email, user.phone, user.password_hash) == \
        (ANONYMOUS, "", None, None, None)
    assert user.resident_profile.status is RequestStatus.CLOSED
    assert user.resident_profile.address == ""
    # Nothing the person was or said is left anywhere in the database.
    everything = _dump_everything()
    for value in (*w.RESIDENT_SECRETS.values(), *(w.TEXTS[k] for k in (
            "request_reason", "match_reason", "cancel_reason", "visit_note", "concern",
            "concern_note", "call_note", "referral_reason", "referrer", "consent_by")),
            "rosalinde@example.org"):
        assert value not in everything, value
    # The pair ended (a code as its reason), the visit to come is cancelled, the past one stays.
    match = db.session.get(Match, people.match.id)
    assert (match.status, match.status_reason) == (MatchStatus.ENDED, "person_erased")
    statuses = sorted(v.status.value for v in db.session.scalars(
        select(Visit).where(Visit.match_id == match.id)))
    assert statuses == ["cancelled", "cancelled", "done"]
    # The volunteer is told, through the outbox, without the resident's name.
    told = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "pair_ended")).all()
    assert [m.user_id for m in told] == [people.volunteer.id]
    assert w.RESIDENT_SECRETS["first_name"] not in told[0].body
    # Sessions: every one ended, the captured cookie no longer works, the login is refused.
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))) == 0
    db.session.rollback()
    assert thief.get("/habitant/").status_code == 302
    refused = client.post_form("/connexion", {"email": w.RESIDENT_SECRETS["email"],
                                              "password": PASSWORD})
    assert refused.status_code != 302
    # The audit trail stays, with ids and codes only.
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) > audit_before
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.erase")).one()
    assert entry.actor_id == user.id and entry.object_id == str(user.id)
    assert entry.detail["by"] == "self" and entry.detail["pairs_closed"] == 1
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "test.resident")).one().actor_id == user.id


def test_the_volunteer_erases_and_loses_access_at_once(app, client, people):
    other = LoggingClient.wrap(app.test_client())
    other.login(people.volunteer)  # a second device
    client.login(people.volunteer)
    assert _erase(client, people.volunteer).status_code == 303
    db.session.rollback()
    assert other.get("/benevole/").status_code == 302  # the other device is logged out too
    volunteer = db.session.get(User, people.volunteer.id).volunteer_profile
    assert volunteer.status is VolunteerStatus.LEFT and volunteer.calendar_token is None
    assert db.session.get(Match, people.match.id).status is MatchStatus.ENDED
    told = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "pair_ended")).all()
    assert [m.user_id for m in told] == [people.resident.id]
    everything = _dump_everything()
    for value in (*w.VOLUNTEER_SECRETS.values(), w.VOLUNTEER_SHOWN_PHONE, w.TEXTS["vetting"],
                  "k" * 43):
        assert value not in everything, value
    # The resident keeps their own data, and waits for another volunteer.
    resident = db.session.get(User, people.resident.id)
    assert resident.email == w.RESIDENT_SECRETS["email"]
    assert resident.resident_profile.status is RequestStatus.OPEN


def test_staff_close_their_account_through_an_administrator(client, agent):
    client.login(agent[0])
    assert client.get("/mes-donnees/effacer").status_code == 403
    assert client.get("/mes-donnees").status_code == 200


def test_an_agent_erases_a_resident_registered_at_the_desk(client, place, agent, other_agent):
    desk, _ = factories.make_resident(place.nb_a, first="Germaine", with_login=False)
    url = f"/agent/habitants/{desk.resident_profile.id}/effacer"
    client.login(other_agent[0])
    assert client.get(url).status_code == 404  # another territory: not even shown to exist
    client.logout()
    client.login(agent[0])
    assert client.post_form(url, {}).status_code == 422  # the box is required
    response = client.post_form(url, {"confirm": "y"})
    assert response.status_code == 303
    db.session.rollback()
    user = db.session.get(User, desk.id)
    assert user.anonymised_at is not None and user.first_name == ANONYMOUS and user.phone is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.erase")).one()
    assert entry.actor_id == agent[0].id and entry.detail["by"] == "agent"
    assert client.get(url).status_code == 404  # erased: gone from the console


def test_an_agent_cannot_erase_a_resident_who_has_a_login(client, resident, agent):
    url = f"/agent/habitants/{resident[0].resident_profile.id}/effacer"
    client.login(agent[0])
    assert "Mes données" in client.get(url).get_data(as_text=True)
    assert client.post_form(url, {"confirm": "y"}).status_code == 422
    db.session.rollback()
    assert db.session.get(User, resident[0].id).anonymised_at is None


def test_erasing_twice_does_the_work_once(app, people):
    from app.privacy.erasure import erase

    with app.test_request_context():
        assert erase(people.resident, people.resident, by="self") is True
        assert erase(people.resident, people.resident, by="self") is False
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "person.erase")) == 1
    assert db.session.scalar(select(func.count()).select_from(Visit).where(
        Visit.status == VisitStatus.SCHEDULED)) == 0


def test_the_record_of_a_desk_resident_links_to_the_erasure(client, place, agent, resident):
    desk, _ = factories.make_resident(place.nb_a, first="Germaine", with_login=False)
    client.login(agent[0])
    page = client.get(f"/agent/habitants/{desk.resident_profile.id}").get_data(as_text=True)
    assert f"/agent/habitants/{desk.resident_profile.id}/effacer" in page
    page = client.get(f"/agent/habitants/{resident[0].resident_profile.id}").get_data(as_text=True)
    assert "/effacer" not in page
