"""The public referral form: a pending referral for agents, a confirmation for the referrer."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, OutboxMessage, Referral, ReferralStatus

GOOD = {
    "first_name": "Germaine", "last_name": "Lapeyre", "phone": "05 59 12 34 56",
    "commune": "64445", "reason": "Elle ne sort plus depuis l'hiver.",
    "referrer_name": "Sophie Lapeyre", "referrer_relation": "family",
    "referrer_email": "sophie@example.org", "person_agreed": "y",
}


def _referrals() -> int:
    return db.session.scalar(select(func.count()).select_from(Referral))


def test_a_referral_lands_in_the_queue_of_the_territory(client, place, agent, other_agent):
    response = client.post_form("/signaler", GOOD)
    assert response.status_code == 302 and response.location.endswith("/signaler/merci")
    referral = db.session.scalar(select(Referral))
    assert referral.status is ReferralStatus.PENDING
    assert referral.phone == "+33559123456"
    assert referral.person_agreed is True
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "referral.submit"))
    assert entry.actor_role == "public" and entry.territory_id == place.territory_a.id
    # Only the agents of the person's territory are told, and without any detail.
    messages = list(db.session.scalars(select(OutboxMessage)))
    assert [m.recipient for m in messages] == [agent[0].email]
    assert "Germaine" not in messages[0].body and "hiver" not in messages[0].body


def test_the_referrer_sees_a_confirmation_not_the_record(client, place):
    page = client.post_form("/signaler", GOOD, follow_redirects=True).get_data(as_text=True)
    assert "Merci" in page
    assert "Germaine" not in page and "Lapeyre" not in page


def test_the_person_must_have_agreed(client, place):
    response = client.post_form("/signaler", {**GOOD, "person_agreed": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "avec son accord" in page
    assert 'value="Germaine"' in page  # what was typed is kept
    assert _referrals() == 0


def test_the_person_and_the_referrer_must_be_reachable(client, place):
    data = {**GOOD, "phone": "", "referrer_email": ""}
    response = client.post_form("/signaler", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "au moins un moyen de joindre la personne" in page
    assert "Indiquez votre téléphone ou votre adresse e-mail" in page
    assert _referrals() == 0


def test_unknown_commune_and_bad_phone_are_refused_next_to_the_field(client, place):
    response = client.post_form("/signaler", {**GOOD, "commune": "99999", "phone": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="commune-error"' in page and 'id="phone-error"' in page
    assert _referrals() == 0


def test_referral_form_is_public_and_linked_in_the_menu(client, place):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/signaler"' in page
    assert client.get("/signaler").status_code == 200


def test_a_logged_in_resident_can_also_signal_someone(client, resident):
    client.login(*resident)
    assert client.post_form("/signaler", GOOD).status_code == 302
    assert _referrals() == 1
