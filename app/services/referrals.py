"""Referrals: a relative, neighbour or professional signals an isolated person who agreed to it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Commune, Referral
from app.services import audit, outbox
from app.services.concerns import territory_agents


@dataclass
class ReferralInput:
    """What the public form collects."""

    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    address: str | None
    commune_insee: str
    reason: str
    referrer_name: str
    referrer_relation: str
    referrer_phone: str | None
    referrer_email: str | None
    person_agreed: bool


def submit_referral(data: ReferralInput) -> Referral:
    """Queue a referral for the agents of the person's territory; the referrer sees nothing more."""
    referral = Referral(**data.__dict__)
    db.session.add(referral)
    db.session.flush()
    commune = db.session.get(Commune, data.commune_insee)
    audit.record("referral.submit", "referral", referral.id, anonymous_role="public",
                 territory_id=commune.territory_id if commune else None)
    for agent in territory_agents(commune.territory_id if commune else None):
        outbox.notify(agent, "referral_received", _l("Nouveau signalement à traiter"),
                      "referral_received")
    return referral
