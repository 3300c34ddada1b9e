"""The vetting list's queries: the queues' counts and a page of volunteers, in a fixed number.

The queues ("to vet" holds approved volunteers with an expired step, "expiring" those with a
step expiring within 30 days) read the earliest expiry of each volunteer's current steps from
the profile (``next_expiry``, kept by :mod:`app.services.vetting_summary`), never the steps:
the counts are one query over the profiles, the page one more, and the places, live pairs and
valid steps of the page's rows a third (their latest step of each kind ranked in SQL).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, true

from app.agent.resident_list import person_matches
from app.agent.rows import PersonRow, people_scoped
from app.extensions import db
from app.models import (
    Commune,
    Match,
    MatchStatus,
    Neighbourhood,
    User,
    VettingKind,
    VettingStep,
    VolunteerProfile,
    VolunteerStatus,
    paris_today,
)
from app.services.scope import volunteers_of

V = VolunteerStatus
#: A step that expires within this many days is flagged (and listed in the "expiring" queue).
SOON = timedelta(days=30)
STEP_COUNT = len(VettingKind)


def _today() -> date:
    """The day the vetting service counts expiry from (Paris)."""
    return paris_today()


def _step_summary(volunteer_ids):
    """Per volunteer of ``volunteer_ids`` (a list or a subquery): valid latest steps, charter step.

    Only these volunteers' steps are ranked, in the order of the index ``vetting_steps
    (volunteer_id, kind, done_on, created_at)``: a page of the list ranks 25 volunteers' steps.
    """
    ranked = select(
        VettingStep.volunteer_id, VettingStep.kind, VettingStep.expires_on,
        func.row_number().over(
            partition_by=(VettingStep.volunteer_id, VettingStep.kind),
            order_by=(VettingStep.done_on.desc(), VettingStep.created_at.desc()),
        ).label("rn"),
    ).where(VettingStep.volunteer_id.in_(volunteer_ids)).subquery("ranked")
    valid = case((or_(ranked.c.expires_on.is_(None), ranked.c.expires_on >= _today()), 1), else_=0)
    return (select(ranked.c.volunteer_id,
                   func.sum(valid).label("valid"),
                   func.max(case((ranked.c.kind == VettingKind.CHARTER, 1), else_=0))
                   .label("charter_step"))
            .where(ranked.c.rn == 1).group_by(ranked.c.volunteer_id))


def _expiry_flags() -> tuple:
    """SQL: whether a volunteer has a current step expired, and one expiring within 30 days.

    The earliest expiry of a volunteer's current steps is kept on the profile
    (:mod:`app.services.vetting_summary`): no queue reads the steps.
    """
    return (VolunteerProfile.next_expiry < _today(),
            VolunteerProfile.next_expiry <= _today() + SOON)


def _queues(status=VolunteerProfile.status, expired=None, soon=None) -> dict[str, object]:
    """Each queue's condition (PRODUCT.md §1: vetting, and steps that expire).

    Written over a status and the two expiry flags: the profile's columns for the rows, the
    columns of the counts' grouped rows for :func:`queue_counts`.
    """
    if expired is None or soon is None:
        expired, soon = _expiry_flags()
    to_vet = status.in_([V.APPLIED, V.IN_REVIEW])
    return {
        "a-traiter": or_(to_vet, and_(status == V.APPROVED, expired)),
        "a-verifier": to_vet,
        "valides": status == V.APPROVED,
        "suspendus": status == V.SUSPENDED,
        "expiration": and_(status.in_([V.APPLIED, V.IN_REVIEW, V.APPROVED, V.SUSPENDED]), soon),
        "non-retenus": status.in_([V.REJECTED, V.LEFT]),
        "tous": true(),
    }


def _scoped(stmt, tid: uuid.UUID | None, words: tuple[str, ...], *, people: bool = True):
    """The territory's volunteers, not erased, matching the search words.

    ``people=False``: the counts without search words, which read no user column.
    """
    stmt = people_scoped(stmt.select_from(VolunteerProfile), VolunteerProfile.neighbourhood_id,
                         VolunteerProfile.user_id, tid, join_users=people or bool(words))
    for word in words:
        stmt = stmt.where(person_matches(word))
    return stmt


def queue_counts(tid: uuid.UUID | None, words: tuple[str, ...] = ()) -> dict[str, int]:
    """How many volunteers each queue holds (one query; the queues overlap).

    The volunteers are first grouped by status and expiry flags (a dozen groups), and each
    queue sums the groups it holds: its condition is evaluated per group, not per volunteer.
    """
    expired, soon = _expiry_flags()
    groups = (_scoped(select(VolunteerProfile.status.label("status"), expired.label("expired"),
                             soon.label("soon"), func.count().label("n")), tid, words,
                      people=False)
              .group_by(VolunteerProfile.status, expired, soon).subquery("groups"))
    queues = _queues(groups.c.status, groups.c.expired, groups.c.soon)
    sums = [func.coalesce(func.sum(case((condition, groups.c.n), else_=0)), 0)
            for condition in queues.values()]
    values = db.session.execute(select(*sums)).one()
    return dict(zip(queues, (int(v) for v in values), strict=True))


@dataclass(frozen=True)
class VolunteerRow(PersonRow):
    """One line of the vetting list (and of the export)."""

    status: VolunteerStatus
    status_changed_at: datetime | None
    created_at: datetime
    capacity: int
    max_km: float
    live_pairs: int
    steps_valid: int
    next_expiry: date | None

    @property
    def expired(self) -> bool:
        """Whether a current step has passed its expiry day."""
        return self.next_expiry is not None and self.next_expiry < _today()

    @property
    def expiring(self) -> bool:
        """Whether a current step expires within 30 days (and none has yet)."""
        return (self.next_expiry is not None and not self.expired
                and self.next_expiry <= _today() + SOON)


def _details(volunteer_ids) -> dict[uuid.UUID, tuple[str, str, int, int]]:
    """{volunteer id: (commune, neighbourhood, live pairs, valid current steps)}, in one query.

    The charter accepted at sign-up counts as a step until a charter step is recorded.
    """
    steps = _step_summary(volunteer_ids).subquery("steps")
    pairs = (select(Match.volunteer_id, func.count().label("n"))
             .where(Match.volunteer_id.in_(volunteer_ids), Match.status.in_(MatchStatus.live()))
             .group_by(Match.volunteer_id).subquery("pairs"))
    charter = case((and_(func.coalesce(steps.c.charter_step, 0) == 0,
                         VolunteerProfile.charter_accepted_at.is_not(None)), 1), else_=0)
    stmt = (select(VolunteerProfile.id, Commune.name, Neighbourhood.name,
                   func.coalesce(pairs.c.n, 0), func.coalesce(steps.c.valid, 0) + charter)
            .join(Neighbourhood, Neighbourhood.id == VolunteerProfile.neighbourhood_id)
            .join(Commune, Commune.insee_code == Neighbourhood.commune_insee)
            .outerjoin(steps, steps.c.volunteer_id == VolunteerProfile.id)
            .outerjoin(pairs, pairs.c.volunteer_id == VolunteerProfile.id)
            .where(VolunteerProfile.id.in_(volunteer_ids)))
    return {vid: (commune, place, int(n), min(int(valid), STEP_COUNT))
            for vid, commune, place, n, valid in db.session.execute(stmt)}


def volunteer_rows(tid: uuid.UUID | None, queue: str, words: tuple[str, ...] = (), *,
                   page: int = 1, limit: int | None = None) -> list[VolunteerRow]:
    """The volunteers of a queue, sorted for it; a page of them with ``limit``.

    Two queries whatever the number of rows: the rows (sorted and cut from the profiles and
    users alone), then the places, pairs and steps of those rows (of the whole territory
    without ``limit``).
    """
    stmt = _scoped(select(
        VolunteerProfile.id, User.first_name, User.last_name, User.phone, User.email,
        VolunteerProfile.status, VolunteerProfile.status_changed_at, VolunteerProfile.created_at,
        VolunteerProfile.capacity, VolunteerProfile.max_km, VolunteerProfile.next_expiry,
    ), tid, words).where(_queues()[queue])
    if queue == "expiration":
        order = (VolunteerProfile.next_expiry,)
    elif queue in ("a-traiter", "a-verifier"):
        # Approved volunteers with an expired step first, then applications, oldest first.
        order = (case((VolunteerProfile.status == V.APPROVED, 0), else_=1),
                 VolunteerProfile.created_at)
    else:
        order = (func.lower(User.last_name), func.lower(User.first_name))
    stmt = stmt.order_by(*order, VolunteerProfile.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset((page - 1) * limit)
    rows = db.session.execute(stmt).all()
    if not rows:
        return []
    details = _details([row[0] for row in rows] if limit is not None else volunteers_of(tid))
    result = []
    for (vid, first_name, last_name, phone, email, status, status_changed_at, created_at,
         capacity, max_km, next_expiry) in rows:
        commune, neighbourhood, live_pairs, steps_valid = details[vid]
        result.append(VolunteerRow(
            id=vid, first_name=first_name, last_name=last_name, phone=phone, email=email,
            commune=commune, neighbourhood=neighbourhood, status=status,
            status_changed_at=status_changed_at, created_at=created_at, capacity=capacity,
            max_km=max_km, live_pairs=live_pairs, steps_valid=steps_valid,
            next_expiry=next_expiry))
    return result
