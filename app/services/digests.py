"""Periodic messages that the scheduled jobs queue: the agents' attention digest, vetting expiry.

Every message has a ``dedup_key`` naming what it is about (an agent and a Paris day, a vetting
step and its expiry), so a job run twice, or on two hosts at once, queues each message once: the
database's unique key refuses the second insert (:func:`app.services.outbox.notify_once`). The
caller commits.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Territory,
    VettingStep,
    VolunteerProfile,
    VolunteerStatus,
    paris_today,
)
from app.services import attention, outbox
from app.services.concerns import territory_agents
from app.services.outbox import queued_keys
from app.services.vetting_summary import is_current_step

#: How long before a step expires the volunteer is told to renew it.
EXPIRY_NOTICE = timedelta(days=30)


def queue_attention_digests(today: date | None = None) -> int:
    """Tell each territory's agents, once a (Paris) day, how many pairs need their attention."""
    today = today or paris_today()
    queued = 0
    for territory in db.session.scalars(select(Territory).order_by(Territory.name)):
        pairs = db.session.scalar(select(attention.count(territory.id)))
        if not pairs:
            continue
        agents = territory_agents(territory.id)
        keys = {f"attention-digest:{agent.id}:{today.isoformat()}": agent for agent in agents}
        done = queued_keys(set(keys))
        for key, agent in keys.items():
            if key not in done:
                queued += outbox.notify_once(
                    agent, "attention_digest", _l("Des binômes ont besoin de votre attention"),
                    "attention_digest", dedup_key=key, pairs=pairs, territory=territory)
    return queued


def queue_vetting_expiry_notices(today: date | None = None) -> int:
    """Tell approved volunteers, once a step, that it expires within 30 days or has expired."""
    today = today or paris_today()
    rows = db.session.execute(
        select(VettingStep, VolunteerProfile)
        .join(VolunteerProfile, VolunteerProfile.id == VettingStep.volunteer_id)
        .where(VolunteerProfile.status == VolunteerStatus.APPROVED,
               VettingStep.expires_on.is_not(None),
               VettingStep.expires_on <= today + EXPIRY_NOTICE, is_current_step())
        .options(joinedload(VolunteerProfile.user))
        .order_by(VettingStep.expires_on)
    ).all()
    keys = {}
    for step, volunteer in rows:
        stage = "expired" if step.expires_on < today else "expiring"
        keys[f"vetting-{stage}:{step.id}:{step.expires_on.isoformat()}"] = (step, volunteer, stage)
    done = queued_keys(set(keys)) if keys else set()
    queued = 0
    for key, (step, volunteer, stage) in keys.items():
        if key not in done:
            queued += outbox.notify_once(
                volunteer.user, "vetting_expiry", _l("Votre dossier de bénévole est à renouveler"),
                "vetting_expiry", dedup_key=key, step=step, expired=stage == "expired")
    return queued
