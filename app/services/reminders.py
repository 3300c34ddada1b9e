"""Reminders the day before a visit, queued in the outbox by a daily job (``flask outbox remind``).

"Tomorrow" is a day in Europe/Paris. Each visit gets at most one reminder, whatever the number of
runs: the message's ``dedup_key`` is ``visit-reminder:<visit id>`` and the database refuses a
second one. The job may therefore run several times a day (say 10:00 and 18:00, so a visit planned
in the evening for the next day is reminded too) and on several hosts at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Match, MatchStatus, Visit, VisitStatus, utcnow
from app.services import outbox
from app.services.outbox import queued_keys
from app.services.visits import PARIS


def reminder_key(visit: Visit) -> str:
    """The outbox ``dedup_key`` of a visit's reminder."""
    return f"visit-reminder:{visit.id}"


def paris_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a Paris calendar day starts and ends (23, 24 or 25 hours)."""
    start = datetime.combine(day, time.min, PARIS)
    end = datetime.combine(day + timedelta(days=1), time.min, PARIS)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def visits_on(day: date) -> list[Visit]:
    """Scheduled visits of active pairs starting on a Paris calendar day."""
    start, end = paris_day_bounds(day)
    return list(db.session.scalars(
        select(Visit).join(Match, Visit.match_id == Match.id)
        .where(Visit.status == VisitStatus.SCHEDULED, Match.status == MatchStatus.ACTIVE,
               Visit.starts_at >= start, Visit.starts_at < end)
        .options(joinedload(Visit.match))
        .order_by(Visit.starts_at)
    ))


def queue_visit_reminders(today: date | None = None) -> int:
    """Queue a reminder to the resident of every visit starting tomorrow; returns how many.

    Visits already reminded are skipped. When another run inserts the same reminder at the same
    moment (PostgreSQL, two hosts), the unique ``dedup_key`` refuses ours: that insert alone is
    undone through a savepoint and the rest of the transaction goes on. The caller commits.
    """
    today = today or utcnow().astimezone(PARIS).date()
    visits = visits_on(today + timedelta(days=1))
    if not visits:
        return 0
    done = queued_keys({reminder_key(v) for v in visits})
    queued = 0
    for visit in visits:
        key = reminder_key(visit)
        if key in done:
            continue
        queued += outbox.notify_once(
            visit.match.resident.user, "visit_reminder", _l("Rappel : une visite demain"),
            "visit_reminder", dedup_key=key, visit=visit,
        )
    return queued
