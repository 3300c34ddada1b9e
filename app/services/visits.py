"""Visits: schedule (one-off or weekly) inside the pair's shared slots, confirm, cancel, log.

Times are chosen in Europe/Paris and stored in UTC. A visit belongs to the slot of its local
start: morning before 12:00, afternoon from 12:00 to 17:59, evening from 18:00.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    PARIS,
    ConcernSource,
    Match,
    MatchStatus,
    Mood,
    Severity,
    User,
    Visit,
    VisitLog,
    VisitStatus,
    utcnow,
)
from app.models.availability import DAYS, PERIODS, slots_from_mask
from app.services import audit, outbox
from app.services.concerns import raise_concern
from app.services.errors import DomainError, InvalidTransition
from app.services.scope import territory_of_resident

#: A weekly series is planned at most this many weeks ahead.
MAX_WEEKS = 12


def slot_of(starts_at: datetime) -> str:
    """The weekly slot name (``"mon-am"``) of a start time, read in Paris time."""
    local = starts_at.astimezone(PARIS)
    period = 0 if local.hour < 12 else 1 if local.hour < 18 else 2
    return f"{DAYS[local.weekday()]}-{PERIODS[period]}"


def shared_slots(match: Match) -> list[str]:
    """Slots both people are free today (their availability may have changed since the match)."""
    return slots_from_mask(match.resident.availability & match.volunteer.availability)


def schedule(match: Match, volunteer: User, local_start: datetime, *, duration_minutes: int = 60,
             weeks: int = 1) -> list[Visit]:
    """Plan a visit, or the same visit every week for ``weeks`` weeks, in a shared slot."""
    if match.status is not MatchStatus.ACTIVE:
        raise DomainError(_("Les visites se planifient seulement avec une mise en relation active."))
    if not 1 <= weeks <= MAX_WEEKS:
        raise DomainError(_("Choisissez entre 1 et %(n)s semaines.", n=MAX_WEEKS), field="weeks")
    start = local_start.replace(tzinfo=PARIS) if local_start.tzinfo is None else local_start
    if start <= utcnow():
        raise DomainError(_("Choisissez une date à venir."), field="starts_on")
    if slot_of(start) not in shared_slots(match):
        raise DomainError(_("Ce moment n'est pas un moment libre en commun."), field="starts_at")
    series = uuid.uuid4() if weeks > 1 else None
    visits = []
    for week in range(weeks):
        # Add days in local time so a weekly visit stays at 15:00 across daylight saving changes.
        local = (start.astimezone(PARIS).replace(tzinfo=None) + timedelta(weeks=week)).replace(tzinfo=PARIS)
        visits.append(Visit(match_id=match.id, starts_at=local.astimezone(ZoneInfo("UTC")),
                            duration_minutes=duration_minutes, series_id=series,
                            scheduled_by_id=volunteer.id))
    db.session.add_all(visits)
    db.session.flush()
    audit.record("visit.schedule", "match", match.id, actor=volunteer,
                 territory_id=territory_of_resident(match.resident), visits=len(visits))
    outbox.notify(match.resident.user, "visit_scheduled", _l("Une visite est prévue"),
                  "visit_scheduled", visit=visits[0], count=len(visits))
    return visits


def _conditional(visit: Visit, actor: User, action: str, where, **values) -> Visit:
    result = db.session.execute(
        update(Visit).where(Visit.id == visit.id, *where).values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(visit)
        raise InvalidTransition(_("Cette visite a changé entre-temps. Rechargez la page."))
    db.session.refresh(visit)
    audit.record(action, "visit", visit.id, actor=actor,
                 territory_id=territory_of_resident(visit.match.resident))
    return visit


def change_refusal(visit: Visit) -> str | None:
    """Why a visit can no longer be confirmed or cancelled, or None when it can."""
    if visit.status is VisitStatus.CANCELLED:
        return _("Cette visite a été annulée : il n'y a plus rien à faire.")
    if visit.status is not VisitStatus.SCHEDULED or visit.starts_at <= utcnow():
        return _("Cette visite est passée : elle ne peut plus être confirmée ni annulée.")
    if visit.match.status is not MatchStatus.ACTIVE:
        return _("Cette visite n'a plus lieu : la mise en relation est arrêtée.")
    return None


def _refuse_if_unchangeable(visit: Visit) -> None:
    problem = change_refusal(visit)
    if problem:
        raise InvalidTransition(problem)


def confirm(visit: Visit, resident: User) -> Visit:
    """The resident confirms a visit to come."""
    _refuse_if_unchangeable(visit)
    return _conditional(visit, resident, "visit.confirm",
                        [Visit.status == VisitStatus.SCHEDULED, Visit.starts_at > utcnow()],
                        resident_confirmed_at=utcnow())


def cancel(visit: Visit, actor: User, reason: str) -> Visit:
    """Either person cancels a visit to come; the other one is told."""
    _refuse_if_unchangeable(visit)
    _conditional(visit, actor, "visit.cancel",
                 [Visit.status == VisitStatus.SCHEDULED, Visit.starts_at > utcnow()],
                 status=VisitStatus.CANCELLED, cancelled_at=utcnow(), cancelled_by_id=actor.id,
                 cancel_reason=reason[:250])
    match = visit.match
    other = match.volunteer.user if actor.id == match.resident.user_id else match.resident.user
    outbox.notify(other, "visit_cancelled", _l("Une visite est annulée"), "visit_cancelled",
                  visit=visit)
    return visit


def log(visit: Visit, volunteer: User, *, done: bool, mood: Mood | None, note: str | None) -> VisitLog:
    """The volunteer writes what happened, after the visit's start; a worrying visit alerts agents."""
    if visit.starts_at > utcnow():
        raise DomainError(_("Une visite se note après avoir eu lieu."))
    _conditional(visit, volunteer, "visit.log", [Visit.status == VisitStatus.SCHEDULED],
                 status=VisitStatus.DONE if done else VisitStatus.MISSED)
    entry = VisitLog(visit_id=visit.id, mood=mood if done else None, note=(note or None),
                     logged_at=utcnow(), logged_by_id=volunteer.id)
    db.session.add(entry)
    if done and mood is Mood.WORRYING:
        match = visit.match
        raise_concern(volunteer, ConcernSource.VISIT_LOG, _("Visite notée « inquiétante »."),
                      resident=match.resident, match=match, visit=visit, severity=Severity.HIGH)
    return entry


def upcoming(match_ids: list[uuid.UUID], limit: int = 5) -> list[Visit]:
    """The next scheduled visits of some pairs, soonest first."""
    if not match_ids:
        return []
    return list(db.session.scalars(
        select(Visit).where(Visit.match_id.in_(match_ids), Visit.status == VisitStatus.SCHEDULED,
                            Visit.starts_at > utcnow())
        .order_by(Visit.starts_at).limit(limit)
    ))
