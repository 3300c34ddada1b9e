"""Concerns: raised by a volunteer, a resident, an agent or a worrying visit; due by severity."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Concern,
    ConcernSource,
    Match,
    ResidentProfile,
    Role,
    Severity,
    User,
    Visit,
    VolunteerProfile,
    utcnow,
)
from app.services import audit, outbox
from app.services.scope import territory_of_resident, territory_of_volunteer

#: How soon an agent must act on a concern, by severity.
DUE_AFTER = {Severity.HIGH: timedelta(days=1), Severity.MEDIUM: timedelta(days=3),
             Severity.LOW: timedelta(days=7)}


def raise_concern(
    by: User,
    source: ConcernSource,
    description: str,
    *,
    resident: ResidentProfile | None = None,
    volunteer: VolunteerProfile | None = None,
    match: Match | None = None,
    visit: Visit | None = None,
    severity: Severity = Severity.MEDIUM,
) -> Concern:
    """Open a concern and tell the agents of the territory at once."""
    if resident is None and volunteer is None:
        raise ValueError("a concern is about a resident or a volunteer")
    concern = Concern(
        resident_id=resident.id if resident else None,
        volunteer_id=volunteer.id if volunteer else None,
        match_id=match.id if match else None, visit_id=visit.id if visit else None,
        source=source, severity=severity, raised_by_id=by.id, description=description.strip(),
        due_at=utcnow() + DUE_AFTER[severity],
    )
    db.session.add(concern)
    db.session.flush()
    territory_id = territory_of_resident(resident) if resident else territory_of_volunteer(volunteer)
    audit.record("concern.raise", "concern", concern.id, actor=by, territory_id=territory_id,
                 severity=severity, source=source)
    for agent in territory_agents(territory_id):
        outbox.notify(agent, "concern_received", _l("Nouvelle alerte à traiter"), "concern_received",
                      concern=concern)
    return concern


def territory_agents(territory_id) -> list[User]:
    """Enabled agents of a territory."""
    if territory_id is None:
        return []
    return list(db.session.scalars(
        select(User).where(User.role == Role.AGENT, User.territory_id == territory_id,
                           User.is_enabled.is_(True))
    ))
