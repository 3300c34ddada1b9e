"""E-mails and SMS are written in the recipient's language, whoever acted (about 3 s)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Match, OutboxMessage
from app.services import matching, pairs
from tests import factories


def _last_message(user) -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)
                              .order_by(OutboxMessage.created_at.desc())).first()


def test_an_agent_in_english_writes_to_each_person_in_their_language(app, place, agent):
    resident, _ = factories.make_resident(place.nb_a)
    volunteer, _ = factories.make_volunteer(place.nb_a)
    resident.locale = "en"  # she chose English; the volunteer kept French
    db.session.commit()
    matching.run_matching(place.territory_a)
    match = db.session.scalar(select(Match).where(Match.resident_id == resident.resident_profile.id))
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):  # the agent reads English
        pairs.approve(match, agent[0])
    db.session.commit()
    to_volunteer = _last_message(volunteer)
    assert to_volunteer.subject == "Une personne vous est proposée"
    assert "Bonjour" in to_volunteer.body

    with app.test_request_context("/"):  # the volunteer reads French
        pairs.accept(match, volunteer)
    db.session.commit()
    to_resident = _last_message(resident)
    assert to_resident.subject == "A volunteer is going to visit you"
    assert to_resident.body.startswith("Hello")
