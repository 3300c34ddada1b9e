"""The attention queue: pairs that seem to fade or worry, found by three fixed rules in SQL.

PRODUCT.md §1 (Agent): a pair shows up when

* it is active and no visit was logged as done for :data:`NO_VISIT_DAYS` days, counted from its
  last done visit, or from its acceptance when it never had one (the 21st day counts: a pair
  whose last visit was exactly 21 days ago is in the queue);
* its two latest logged visits (done or missed, by start time) are both missed;
* a visit of the last :data:`WORRYING_DAYS` days was logged "worrying" and no closed concern
  covers it yet (a closed concern about that visit, or about the pair closed after the log).

Rules 2 and 3 also watch paused pairs (a pause may follow a worrying visit); rule 1 does not,
since a paused pair has no visits by design. Everything is one SQL statement per question,
scoped to a territory (None: every territory), whatever the number of pairs.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Concern,
    ConcernStatus,
    Match,
    MatchStatus,
    Mood,
    Neighbourhood,
    ResidentProfile,
    Visit,
    VisitLog,
    VisitStatus,
    VolunteerProfile,
    utcnow,
)
from app.services.scope import residents_of

#: Days without a done visit after which an active pair needs attention.
NO_VISIT_DAYS = 21
#: How far back a "worrying" visit log keeps a pair in the queue.
WORRYING_DAYS = 30
#: Pairs the queue watches.
WATCHED = (MatchStatus.ACTIVE, MatchStatus.PAUSED)


class Reason(str, enum.Enum):
    """Why a pair is in the queue."""

    NO_VISIT = "no_visit"
    MISSED_TWICE = "missed_twice"
    WORRYING = "worrying"


@dataclass(frozen=True)
class Flag:
    """One pair of the queue and why it is there."""

    match_id: uuid.UUID
    reasons: tuple[Reason, ...]
    #: Last done visit, else the acceptance: the start of the silence.
    quiet_since: datetime | None
    #: When the latest uncovered worrying visit was logged.
    worrying_at: datetime | None


@dataclass(frozen=True)
class Item:
    """A pair of the queue, loaded for printing."""

    match: Match
    flag: Flag


def _watched(territory_id: uuid.UUID | None, only: list[uuid.UUID] | None) -> Select:
    """Ids of the live pairs the queue watches in a territory (or among ``only``)."""
    stmt = select(Match.id).where(Match.status.in_(WATCHED))
    if territory_id is not None:
        stmt = stmt.where(Match.resident_id.in_(residents_of(territory_id)))
    if only is not None:
        stmt = stmt.where(Match.id.in_(only))
    return stmt


def flagged(territory_id: uuid.UUID | None, now: datetime | None = None,
            only: list[uuid.UUID] | None = None):
    """The queue as a subquery: ``match_id, quiet_since, missed_twice, worrying_at, no_visit``."""
    now = now or utcnow()
    watched = _watched(territory_id, only)

    last_done = (
        select(Visit.match_id, func.max(Visit.starts_at).label("last_done"))
        .where(Visit.status == VisitStatus.DONE, Visit.match_id.in_(watched))
        .group_by(Visit.match_id).subquery("last_done")
    )
    ranked = (
        select(Visit.match_id, Visit.status,
               func.row_number().over(partition_by=Visit.match_id,
                                      order_by=(Visit.starts_at.desc(), Visit.id.desc()))
               .label("rank"))
        .where(Visit.status.in_((VisitStatus.DONE, VisitStatus.MISSED)),
               Visit.match_id.in_(watched))
        .subquery("ranked")
    )
    missed_twice = (
        select(ranked.c.match_id).where(ranked.c.rank <= 2).group_by(ranked.c.match_id)
        .having(func.sum(case((ranked.c.status == VisitStatus.MISSED, 1), else_=0)) == 2)
        .subquery("missed_twice")
    )
    covered = exists().where(
        Concern.status == ConcernStatus.CLOSED,
        or_(Concern.visit_id == Visit.id,
            and_(Concern.match_id == Visit.match_id, Concern.closed_at >= VisitLog.logged_at)),
    )
    worrying = (
        select(Visit.match_id, func.max(VisitLog.logged_at).label("worrying_at"))
        .join(VisitLog, VisitLog.visit_id == Visit.id)
        .where(VisitLog.mood == Mood.WORRYING,
               VisitLog.logged_at >= now - timedelta(days=WORRYING_DAYS),
               Visit.match_id.in_(watched), ~covered)
        .group_by(Visit.match_id).subquery("worrying")
    )
    quiet_since = func.coalesce(last_done.c.last_done, Match.accepted_at, Match.created_at)
    no_visit = and_(Match.status == MatchStatus.ACTIVE,
                    quiet_since <= now - timedelta(days=NO_VISIT_DAYS))
    is_missed = missed_twice.c.match_id.is_not(None)
    is_worrying = worrying.c.worrying_at.is_not(None)
    return (
        select(Match.id.label("match_id"), quiet_since.label("quiet_since"),
               case((is_missed, 1), else_=0).label("missed_twice"),
               worrying.c.worrying_at,
               case((no_visit, 1), else_=0).label("no_visit"))
        .outerjoin(last_done, last_done.c.match_id == Match.id)
        .outerjoin(missed_twice, missed_twice.c.match_id == Match.id)
        .outerjoin(worrying, worrying.c.match_id == Match.id)
        .where(Match.id.in_(watched), or_(no_visit, is_missed, is_worrying))
        .subquery("attention")
    )


def count(territory_id: uuid.UUID | None, now: datetime | None = None):
    """How many pairs need attention, as a scalar subquery (for the dashboard's single query)."""
    queue = flagged(territory_id, now)
    return select(func.count()).select_from(queue).scalar_subquery()


def _flag(row) -> Flag:
    reasons = []
    if row.worrying_at is not None:
        reasons.append(Reason.WORRYING)
    if row.missed_twice:
        reasons.append(Reason.MISSED_TWICE)
    if row.no_visit:
        reasons.append(Reason.NO_VISIT)
    return Flag(row.match_id, tuple(reasons), row.quiet_since, row.worrying_at)


def flags(territory_id: uuid.UUID | None, now: datetime | None = None) -> dict[uuid.UUID, Flag]:
    """Every pair of the queue with its reasons (for tests and small territories)."""
    queue = flagged(territory_id, now)
    return {row.match_id: _flag(row) for row in db.session.execute(select(queue))}


def flags_of(match_ids: list[uuid.UUID], now: datetime | None = None) -> dict[uuid.UUID, Flag]:
    """The reasons of some pairs that are in the queue (the others are absent), in one query."""
    if not match_ids:
        return {}
    rows = db.session.execute(select(flagged(None, now, only=match_ids)))
    return {row.match_id: _flag(row) for row in rows}


def page(territory_id: uuid.UUID | None, page_number: int, per_page: int = 20,
         now: datetime | None = None):
    """One page of the queue, worrying first, then two missed, then the longest silence.

    Three queries whatever the page size: the count, the pairs (with their people), the reasons.
    Returns the Flask-SQLAlchemy pagination whose ``items`` are :class:`Item`.
    """
    now = now or utcnow()
    queue = flagged(territory_id, now)
    stmt = (
        select(Match).join(queue, queue.c.match_id == Match.id)
        .options(*people_options())
        .order_by(queue.c.worrying_at.is_(None), queue.c.missed_twice.desc(),
                  queue.c.quiet_since, Match.id)
    )
    pagination = db.paginate(stmt, page=page_number, per_page=per_page, error_out=False)
    by_id = flags_of([m.id for m in pagination.items], now)
    pagination.items = [Item(m, by_id[m.id]) for m in pagination.items if m.id in by_id]
    return pagination


def people_options():
    """Eager loads to print a pair: both people, their accounts and neighbourhoods."""
    resident = joinedload(Match.resident)
    volunteer = joinedload(Match.volunteer)
    return (resident.joinedload(ResidentProfile.user),
            resident.joinedload(ResidentProfile.neighbourhood).joinedload(Neighbourhood.commune),
            volunteer.joinedload(VolunteerProfile.user))
