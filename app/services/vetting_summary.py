"""Each volunteer's vetting summary kept on the profile: the earliest expiry of their current steps.

The vetting queues ("to vet" holds approved volunteers with an expired step, "expiring" those
with a step expiring within 30 days) filter and sort on ``volunteer_profiles.next_expiry``
instead of ranking every step of every volunteer on each page view. The summary follows the
steps by itself: after every flush that adds, changes or deletes a :class:`VettingStep`, the
summary of the volunteers concerned is computed again in SQL, in the same transaction (the
vetting service, the demo data and tests that add steps directly are all covered). Bulk Core
inserts (the bench data) call :func:`refresh` themselves; the migration that added the column
ran the same statement over every volunteer.

Why a stored column (measured on the bench data, 12,000 volunteers and 61,071 steps, median of
5-7 runs): the queues' counts take 9 ms on SQLite and 8 ms on PostgreSQL from ``next_expiry``,
191 ms and 74 ms when the latest step of each kind is ranked on every view; the page of the
"expiring" queue 4 ms against 143 ms on SQLite. Each view runs both, so ranking would put the
vetting list past the console's 150 ms target on SQLite.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import and_, event, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.models import VettingStep, VolunteerProfile


def is_current_step():
    """SQL condition on ``VettingStep``: the step is the latest of its kind for its volunteer.

    A step is the latest of its kind when no step of the same kind was done later (or the same
    day and recorded later), the order of ``vetting_steps (volunteer_id, kind, done_on DESC,
    created_at DESC)``; a renewed step supersedes the old one.
    """
    later = aliased(VettingStep)
    return ~exists().where(
        later.volunteer_id == VettingStep.volunteer_id, later.kind == VettingStep.kind,
        or_(later.done_on > VettingStep.done_on,
            and_(later.done_on == VettingStep.done_on, later.created_at > VettingStep.created_at)))


def next_expiry_of(profile_id):
    """SQL: the earliest ``expires_on`` among the current steps (latest of each kind)."""
    return (select(func.min(VettingStep.expires_on))
            .where(VettingStep.volunteer_id == profile_id, is_current_step()).scalar_subquery())


def refresh_statement(volunteer_ids: Iterable[uuid.UUID] | None = None):
    """UPDATE of the summary of these volunteers (of every volunteer for None)."""
    stmt = update(VolunteerProfile).values(next_expiry=next_expiry_of(VolunteerProfile.id))
    if volunteer_ids is not None:
        stmt = stmt.where(VolunteerProfile.id.in_(list(volunteer_ids)))
    # The ORM must not try to match the updated rows in the session: the flush hook expires them.
    return stmt.execution_options(synchronize_session=False)


def refresh(session: Session, volunteer_ids: Iterable[uuid.UUID] | None = None) -> None:
    """Compute the summary again for these volunteers (every volunteer for None)."""
    session.execute(refresh_statement(volunteer_ids))


def _touched(session: Session) -> set[uuid.UUID]:
    return {obj.volunteer_id for obj in (*session.new, *session.dirty, *session.deleted)
            if isinstance(obj, VettingStep) and obj.volunteer_id is not None}


@event.listens_for(Session, "before_flush")
def _remember(session: Session, _context, _instances) -> None:
    session.info.setdefault("vetting_summary", set()).update(_touched(session))


@event.listens_for(Session, "after_flush_postexec")
def _refresh(session: Session, _context) -> None:
    ids = session.info.pop("vetting_summary", None)
    if not ids:
        return
    session.connection().execute(refresh_statement(ids))
    # Profiles already loaded read the new value on their next access.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, VolunteerProfile) and obj.id in ids:
            session.expire(obj, ["next_expiry"])
