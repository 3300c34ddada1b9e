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
scoped to a territory (None: every territory), whatever the number of pairs; its cost grows
with the pairs watched, not with their visits (see :func:`flagged`).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

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


def _watched(match, territory_id: uuid.UUID | None, only: list[uuid.UUID] | None) -> list:
    """Conditions on ``match`` (``Match`` or an alias): a live pair the queue watches, in a
    territory (every territory for None), or among ``only``."""
    conditions = [match.status.in_(WATCHED)]
    if territory_id is not None:
        conditions.append(match.resident_id.in_(residents_of(territory_id)))
    if only is not None:
        conditions.append(match.id.in_(only))
    return conditions


def _nth_logged_status(match_id, n: int):
    """SQL: the status of the pair's ``n``-th latest logged visit (0 = latest), per pair."""
    return (
        select(Visit.status)
        .where(Visit.match_id == match_id,
               Visit.status.in_((VisitStatus.DONE, VisitStatus.MISSED)))
        .order_by(Visit.starts_at.desc(), Visit.id.desc())
        .limit(1).offset(n)
        .scalar_subquery()
    )


def _missed_twice(territory_id: uuid.UUID | None, only: list[uuid.UUID] | None,
                  done_since_cutoff, cutoff: datetime):
    """Subquery of the watched pairs whose two latest logged visits were both missed.

    Only a few pairs look at their two latest logged visits: those with two missed visits or
    more (one grouped read of the missed visits) whose latest missed visit is after the
    cutoff, or that have no done visit since the cutoff (else a done visit came after every
    missed one). The per-pair lookups are written on the candidates' column, so the database
    runs them after that selection, not on every pair.
    """
    missed = aliased(Visit, name="missed_visit")
    candidates = (
        select(missed.match_id.label("match_id")).where(missed.status == VisitStatus.MISSED)
        .group_by(missed.match_id)
        .having(func.count() >= 2,
                or_(func.max(missed.starts_at) > cutoff,
                    missed.match_id.not_in(done_since_cutoff)))
        .subquery("missed_candidates")
    )
    pair = aliased(Match, name="missed_pair")
    return (
        select(candidates.c.match_id)
        .join(pair, pair.id == candidates.c.match_id)
        .where(*_watched(pair, territory_id, only),
               _nth_logged_status(candidates.c.match_id, 0) == VisitStatus.MISSED,
               _nth_logged_status(candidates.c.match_id, 1) == VisitStatus.MISSED)
        .subquery("missed_twice")
    )


def _worrying(now: datetime):
    """Subquery: per pair, the latest worrying log of the last 30 days no closed concern covers.

    Read from the few worrying logs of the period (``visit_logs (mood, logged_at)``).
    """
    # Two EXISTS rather than one with an OR, so each reads its own index of concerns.
    covered = or_(
        exists().where(Concern.status == ConcernStatus.CLOSED, Concern.visit_id == Visit.id),
        exists().where(Concern.status == ConcernStatus.CLOSED, Concern.match_id == Visit.match_id,
                       Concern.closed_at >= VisitLog.logged_at),
    )
    return (
        select(Visit.match_id, func.max(VisitLog.logged_at).label("worrying_at"))
        .select_from(VisitLog).join(Visit, VisitLog.visit_id == Visit.id)
        .where(VisitLog.mood == Mood.WORRYING,
               VisitLog.logged_at >= now - timedelta(days=WORRYING_DAYS), ~covered)
        .group_by(Visit.match_id).subquery("worrying")
    )


def flagged(territory_id: uuid.UUID | None, now: datetime | None = None,
            only: list[uuid.UUID] | None = None):
    """The queue as a subquery: ``match_id, quiet_since, missed_twice, worrying_at, no_visit``.

    The cost grows with the pairs watched, not with their visits: each rule first reads a
    small set (the done visits since the cutoff, the pairs with two missed visits or more,
    the worrying logs of the month), and the per-pair lookups (an index seek each, on
    ``visits (match_id, status, starts_at)`` or ``(match_id, starts_at)``) run only where
    they can change the answer.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=NO_VISIT_DAYS)
    last_done = (
        select(func.max(Visit.starts_at))
        .where(Visit.match_id == Match.id, Visit.status == VisitStatus.DONE)
        .correlate(Match).scalar_subquery()
    )
    done_since_cutoff = select(Visit.match_id).where(Visit.status == VisitStatus.DONE,
                                                     Visit.starts_at > cutoff)
    quiet_since = func.coalesce(last_done, Match.accepted_at, Match.created_at)
    # Rule 1 twice: as written (the column of the rows kept), and in a form that reads the
    # recent done visits once rather than each pair's latest (to choose the rows): no done
    # visit since the cutoff, and a done visit before it or an acceptance before it.
    no_visit = and_(Match.status == MatchStatus.ACTIVE, quiet_since <= cutoff)
    quiet = and_(Match.status == MatchStatus.ACTIVE, Match.id.not_in(done_since_cutoff),
                 or_(func.coalesce(Match.accepted_at, Match.created_at) <= cutoff,
                     last_done.is_not(None)))
    missed = _missed_twice(territory_id, only, done_since_cutoff, cutoff)
    worrying = _worrying(now)
    is_missed = missed.c.match_id.is_not(None)
    is_worrying = worrying.c.worrying_at.is_not(None)
    return (
        select(Match.id.label("match_id"), quiet_since.label("quiet_since"),
               case((is_missed, 1), else_=0).label("missed_twice"),
               worrying.c.worrying_at,
               case((no_visit, 1), else_=0).label("no_visit"))
        .outerjoin(missed, missed.c.match_id == Match.id)
        .outerjoin(worrying, worrying.c.match_id == Match.id)
        .where(*_watched(Match, territory_id, only), or_(is_worrying, is_missed, quiet))
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


class _RowPagination(SelectPagination):
    """``db.paginate``, but each item is a whole row of the select (not its first column)."""

    def _query_items(self) -> list:
        stmt = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(stmt))


def page(territory_id: uuid.UUID | None, page_number: int, per_page: int = 20,
         now: datetime | None = None):
    """One page of the queue, worrying first, then two missed, then the longest silence.

    Three queries whatever the page size: the count, the page of the queue with its reasons,
    the pairs of that page with their people (joined on those few pairs only).
    Returns the Flask-SQLAlchemy pagination whose ``items`` are :class:`Item`.
    """
    now = now or utcnow()
    queue = flagged(territory_id, now)
    stmt = select(queue).order_by(queue.c.worrying_at.is_(None), queue.c.missed_twice.desc(),
                                  queue.c.quiet_since, queue.c.match_id)
    pagination = _RowPagination(select=stmt, session=db.session, page=page_number,
                                per_page=per_page, error_out=False)
    rows = pagination.items
    matches = {m.id: m for m in db.session.scalars(
        select(Match).where(Match.id.in_([row.match_id for row in rows]))
        .options(*people_options()))} if rows else {}
    pagination.items = [Item(matches[row.match_id], _flag(row)) for row in rows]
    return pagination


def people_options():
    """Eager loads to print a pair: both people, their accounts and neighbourhoods."""
    resident = joinedload(Match.resident)
    volunteer = joinedload(Match.volunteer)
    return (resident.joinedload(ResidentProfile.user),
            resident.joinedload(ResidentProfile.neighbourhood).joinedload(Neighbourhood.commune),
            volunteer.joinedload(VolunteerProfile.user))
