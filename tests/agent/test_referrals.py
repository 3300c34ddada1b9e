"""Agent console, referrals: the territory's queue oldest first, the detail, registering the person
from the referral with the consent record, closing it as unreachable or declined; scoped."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    CommunePostcode,
    ConsentMethod,
    ConsentRecord,
    Referral,
    ReferralStatus,
    ResidentProfile,
    User,
    paris_today,
    utcnow,
)
from app.services import referral_handling
from app.services.errors import DomainError, InvalidTransition


def make_referral(commune: str = "64445", first: str = "Germaine", days_ago: int = 0, **extra) -> Referral:
    """A pending referral of a person living in ``commune`` (Pau: territory A; Lescar: B)."""
    referral = Referral(
        first_name=first, last_name="Lapeyre", phone="+33559123456", email=None,
        address="3 rue des Cordeliers", commune_insee=commune,
        reason="Elle ne sort plus depuis l'hiver.", person_agreed=True,
        referrer_name="Sophie Lapeyre", referrer_relation="family",
        referrer_phone="+33612121212", referrer_email="sophie@example.org", **extra)
    db.session.add(referral)
    db.session.flush()
    referral.created_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return referral


def actions(prefix: str) -> list[AuditEntry]:
    """Audit entries whose action starts with ``prefix``."""
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.like(prefix + "%"))
                                   .order_by(AuditEntry.id)))


def registration(place, **changes) -> dict:
    """The conversion form as an agent completes it."""
    return {"first_name": "Germaine", "last_name": "Lapeyre", "phone": "05 59 12 34 56",
            "email": "", "address": "3 rue des Cordeliers", "postcode": "64000",
            "neighbourhood": str(place.nb_a.id), "visit_kind": "home_chat", "volunteer_gender": "",
            "languages": ["fr"], "interests": [], "availability": ["tue-pm"],
            "consent_given_by": "self", "consent_relative": "", "consent_method": "oral",
            "consent_date": paris_today().isoformat(), **changes}


def test_the_queue_lists_pending_referrals_of_the_territory_oldest_first(client, place, agent):
    make_referral(first="Recente", days_ago=1)
    make_referral(first="Ancienne", days_ago=9)
    make_referral(first="Traitee", days_ago=20, status=ReferralStatus.DECLINED)
    make_referral(commune="64335", first="Lescarienne", days_ago=30)
    client.login(*agent)
    page = client.get("/agent/signalements").get_data(as_text=True)
    assert "Ancienne" in page and "Recente" in page
    assert page.index("Ancienne") < page.index("Recente")
    assert "Traitee" not in page and "Lescarienne" not in page
    handled = client.get("/agent/signalements?vue=traites").get_data(as_text=True)
    assert "Traitee" in handled and "Ancienne" not in handled and "Lescarienne" not in handled


def test_other_agent_and_admin(client, place, other_agent, admin):
    make_referral(first="Paloise")
    make_referral(commune="64335", first="Lescarienne")
    client.login(*other_agent)
    page = client.get("/agent/signalements").get_data(as_text=True)
    assert "Lescarienne" in page and "Paloise" not in page
    client.logout()
    client.login(*admin)
    page = client.get("/agent/signalements").get_data(as_text=True)
    assert "Lescarienne" in page and "Paloise" in page


def test_the_detail_shows_the_referrer_and_the_reason_and_is_audited(client, place, agent):
    referral = make_referral()
    client.login(*agent)
    response = client.get(f"/agent/signalements/{referral.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sophie Lapeyre" in page and "06 12 12 12 12" in page and "sophie@example.org" in page
    assert "depuis l&#39;hiver" in page or "depuis l'hiver" in page
    assert "05 59 12 34 56" in page and "Membre de la famille" in page
    [entry] = actions("referral.view")
    assert entry.territory_id == place.territory_a.id


@pytest.mark.parametrize("method, path", [("get", ""), ("get", "/inscrire"), ("post", "/inscrire"),
                                          ("post", "/issue")])
def test_a_referral_of_another_territory_is_404(client, place, other_agent, method, path):
    referral = make_referral()
    client.login(*other_agent)
    url = f"/agent/signalements/{referral.id}{path}"
    if method == "get":
        response = client.get(url)
    else:
        response = client.post_form(url, {"outcome": "declined", "note": "x"}, page="/agent/signalements")
    assert response.status_code == 404
    db.session.refresh(referral)
    assert referral.status is ReferralStatus.PENDING


def test_an_unknown_referral_is_404(client, place, agent):
    client.login(*agent)
    assert client.get(f"/agent/signalements/{uuid.uuid4()}").status_code == 404


def test_the_conversion_form_is_filled_from_the_referral(client, place, agent):
    db.session.add(CommunePostcode(postcode="64000", commune_insee="64445"))
    db.session.commit()
    referral = make_referral()
    client.login(*agent)
    page = client.get(f"/agent/signalements/{referral.id}/inscrire").get_data(as_text=True)
    assert 'value="Germaine"' in page and 'value="Lapeyre"' in page
    assert 'value="05 59 12 34 56"' in page and 'value="3 rue des Cordeliers"' in page
    assert 'value="64000"' in page
    assert f'<option selected value="{place.nb_a.id}">' in page  # the commune's only neighbourhood
    assert re.search(r'<input checked[^>]*value="oral"', page)


def test_the_person_agreed_a_resident_is_created_and_linked(client, place, agent):
    referral = make_referral(days_ago=4)
    client.login(*agent)
    response = client.post_form(f"/agent/signalements/{referral.id}/inscrire", registration(place))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.session.refresh(referral)
    user = db.session.get(User, referral.resident_user_id)
    profile = db.session.scalar(select(ResidentProfile).where(ResidentProfile.user_id == user.id))
    assert response.location.endswith(f"/agent/habitants/{profile.id}")
    assert referral.status is ReferralStatus.CONVERTED
    assert referral.handled_by_id == agent[0].id and referral.handled_at is not None
    assert user.password_hash is None and profile.registered_by_id == agent[0].id
    consents = {c.purpose: c for c in db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.user_id == user.id))}
    assert consents["data_processing"].method is ConsentMethod.ORAL
    assert consents["data_processing"].given_by == "Germaine Lapeyre"
    # The referrer's statement that the person agreed to be contacted is kept too.
    contact = consents["referral_contact"]
    assert contact.method is ConsentMethod.ONLINE and "Sophie Lapeyre" in contact.given_by
    assert abs((contact.given_at - referral.created_at).total_seconds()) < 1
    assert [e.action for e in actions("referral.convert")] == ["referral.convert"]
    assert actions("referral.convert")[0].detail["resident"] == str(profile.id)
    # The record page says where the resident came from (both consents are listed).
    page = client.get(response.location).get_data(as_text=True)
    assert "Sophie Lapeyre" in page and "signalement" in page
    # The queue no longer lists it; doing it twice is refused.
    assert "Germaine" not in client.get("/agent/signalements").get_data(as_text=True)
    again = client.get(f"/agent/signalements/{referral.id}/inscrire")
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ResidentProfile)) == 1


def test_a_bad_conversion_keeps_the_referral_pending_and_the_input(client, place, agent):
    referral = make_referral()
    client.login(*agent)
    response = client.post_form(f"/agent/signalements/{referral.id}/inscrire", registration(
        place, consent_date=(paris_today() + timedelta(days=1)).isoformat(), first_name="Germaine-Rose"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="consent_date-error"' in page and 'value="Germaine-Rose"' in page
    db.session.refresh(referral)
    assert referral.status is ReferralStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(ResidentProfile)) == 0


@pytest.mark.parametrize("outcome, action", [("unreachable", "referral.unreachable"),
                                             ("declined", "referral.decline")])
def test_unreachable_or_declined_with_a_note(client, place, agent, outcome, action):
    referral = make_referral()
    client.login(*agent)
    response = client.post_form(f"/agent/signalements/{referral.id}/issue",
                                {"outcome": outcome, "note": "Trois appels sans réponse."},
                                page=f"/agent/signalements/{referral.id}")
    assert response.status_code == 303
    db.session.refresh(referral)
    assert referral.status is ReferralStatus(outcome)
    assert referral.outcome_note == "Trois appels sans réponse."
    assert referral.handled_by_id == agent[0].id and referral.resident_user_id is None
    [entry] = actions(action)
    assert entry.territory_id == place.territory_a.id
    assert "appels" not in str(entry.detail)  # the note stays on the referral, not in the log


@pytest.mark.parametrize("data, field", [({"outcome": "declined", "note": ""}, "note"),
                                         ({"outcome": "converted", "note": "x"}, "outcome"),
                                         ({"note": "x"}, "outcome")])
def test_closing_needs_an_outcome_and_a_note(client, place, agent, data, field):
    referral = make_referral()
    client.login(*agent)
    response = client.post_form(f"/agent/signalements/{referral.id}/issue", data,
                                page=f"/agent/signalements/{referral.id}")
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    db.session.refresh(referral)
    assert referral.status is ReferralStatus.PENDING


def test_a_handled_referral_cannot_be_closed_again(client, place, agent):
    referral = make_referral(status=ReferralStatus.UNREACHABLE)
    client.login(*agent)
    response = client.post_form(f"/agent/signalements/{referral.id}/issue",
                                {"outcome": "declined", "note": "x"}, page="/agent/signalements")
    assert response.status_code == 303
    db.session.refresh(referral)
    assert referral.status is ReferralStatus.UNREACHABLE


def test_the_service_refuses_a_second_handling_and_bad_outcomes(app, place, agent):
    referral = make_referral()
    referral_handling.close_referral(referral, agent[0], ReferralStatus.DECLINED, "Ne veut pas")
    db.session.commit()
    with pytest.raises(InvalidTransition):
        referral_handling.close_referral(referral, agent[0], ReferralStatus.UNREACHABLE, "x")
    other = make_referral(first="Autre")
    with pytest.raises(DomainError):
        referral_handling.close_referral(other, agent[0], ReferralStatus.CONVERTED, "x")
    with pytest.raises(DomainError):
        referral_handling.close_referral(other, agent[0], ReferralStatus.DECLINED, "   ")


def test_admin_converts_a_referral_of_territory_b(client, place, admin):
    referral = make_referral(commune="64335")
    client.login(*admin)
    page = client.get(f"/agent/signalements/{referral.id}/inscrire").get_data(as_text=True)
    assert str(place.nb_b.id) in page and str(place.nb_a.id) not in page
    response = client.post_form(f"/agent/signalements/{referral.id}/inscrire",
                                registration(place, neighbourhood=str(place.nb_b.id)))
    assert response.status_code == 303
    db.session.refresh(referral)
    assert referral.status is ReferralStatus.CONVERTED


@pytest.mark.parametrize("view", [{}, {"vue": "traites"}])
def test_the_lists_cost_the_same_queries_for_2_or_12_referrals(client, place, agent, view):
    from tests.agent.test_residents import count_queries

    client.login(*agent)

    def add(n: int) -> None:
        for i in range(n):
            referral = make_referral(first=f"R{i}", days_ago=i)
            if view:
                referral.status = ReferralStatus.DECLINED
                referral.handled_at, referral.handled_by_id = utcnow(), agent[0].id
                referral.outcome_note = "Ne souhaite pas."
        db.session.commit()

    def shown() -> tuple[int, int]:
        with count_queries() as counter:
            page = client.get("/agent/signalements", query_string=view).get_data(as_text=True)
        return page.count("/agent/signalements/"), counter["selects"]

    add(2)
    few, few_queries = shown()
    add(10)
    many, many_queries = shown()
    assert (few, many) == (2, 12)
    assert few_queries == many_queries
