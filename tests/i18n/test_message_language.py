"""E-mails and SMS are written in the recipient's language, whoever acted, and read well in English.

About 5 s.
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import Match, OutboxMessage
from app.services import matching, pairs
from tests import factories
from tests.i18n.french import french_in
from tests.test_notifications import (  # noqa: F401  (seeded is a fixture)
    EMAIL_TEMPLATES,
    SMS_TEMPLATES,
    contexts,
    render,
    seeded,
)


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


@pytest.mark.parametrize("folder", ["emails", "sms"])
def test_every_message_reads_in_english(app, seeded, folder):  # noqa: F811
    names = EMAIL_TEMPLATES if folder == "emails" else SMS_TEMPLATES
    long_name = "Marie-Christine-Bernadette-Alexandrine-Eugénie-Joséphine-Antoinette-Élisabeth"
    seeded["resident"].first_name = seeded["volunteer"].first_name = long_name[:80]
    for name in names:
        for context in contexts(seeded)[name]:
            with force_locale("en"):
                text = render(folder, name, context)
            lines = [line for line in text.splitlines() if line.strip()]
            assert not french_in(lines), (name, french_in(lines))
            assert text.startswith("Hello"), text
            if folder == "sms":
                assert len(text) <= 300, (len(text), text)
