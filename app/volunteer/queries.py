"""What the volunteer pages list: a few short queries, each loading what its page iterates over."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    Match,
    MatchStatus,
    Neighbourhood,
    ResidentProfile,
    Visit,
    VisitStatus,
    VolunteerProfile,
    utcnow,
)

S = MatchStatus
#: What the volunteer's home lists, by section.
PROPOSAL_STATES = (S.APPROVED,)
CURRENT_STATES = (S.ACTIVE, S.PAUSED)
ENDED_STATES = (S.ENDED,)
#: A pair's past visits shown on its page.
HISTORY_LENGTH = 5


def _with_resident():
    """Eager loads for printing a pair: the resident, their account and their neighbourhood."""
    resident = joinedload(Match.resident)
    return (resident.joinedload(ResidentProfile.user),
            resident.joinedload(ResidentProfile.neighbourhood).joinedload(Neighbourhood.commune),
            selectinload(Match.run))


@dataclass
class Pairs:
    """A volunteer's pairs, sorted into the sections of their home page."""

    proposals: list[Match] = field(default_factory=list)
    current: list[Match] = field(default_factory=list)
    ended: list[Match] = field(default_factory=list)

    @property
    def current_ids(self) -> list[uuid.UUID]:
        """Ids of the active and paused pairs."""
        return [m.id for m in self.current]


def pairs_of(profile: VolunteerProfile) -> Pairs:
    """Proposals to decide, current pairs and ended pairs: one query."""
    shown = PROPOSAL_STATES + CURRENT_STATES + ENDED_STATES
    matches = db.session.scalars(
        select(Match).where(Match.volunteer_id == profile.id, Match.status.in_(shown))
        .options(*_with_resident()).order_by(Match.created_at.desc())
    ).unique()
    pairs = Pairs()
    for match in matches:
        if match.status in PROPOSAL_STATES:
            pairs.proposals.append(match)
        elif match.status in CURRENT_STATES:
            pairs.current.append(match)
        else:
            pairs.ended.append(match)
    return pairs


def next_visit_by_pair(match_ids: list[uuid.UUID]) -> dict[uuid.UUID, Visit]:
    """The next scheduled visit of each pair that has one."""
    if not match_ids:
        return {}
    nexts: dict[uuid.UUID, Visit] = {}
    for visit in db.session.scalars(
        select(Visit).where(Visit.match_id.in_(match_ids), Visit.status == VisitStatus.SCHEDULED,
                            Visit.starts_at > utcnow()).order_by(Visit.starts_at)
    ):
        nexts.setdefault(visit.match_id, visit)
    return nexts


def visits_to_log(match_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Visit]]:
    """Visits that have started and wait for their log, by pair, oldest first."""
    if not match_ids:
        return {}
    waiting: dict[uuid.UUID, list[Visit]] = defaultdict(list)
    for visit in db.session.scalars(
        select(Visit).where(Visit.match_id.in_(match_ids), Visit.status == VisitStatus.SCHEDULED,
                            Visit.starts_at <= utcnow()).order_by(Visit.starts_at)
    ):
        waiting[visit.match_id].append(visit)
    return dict(waiting)


def upcoming_visits(match_id: uuid.UUID, limit: int = 20) -> list[Visit]:
    """The scheduled visits to come of one pair, soonest first."""
    return list(db.session.scalars(
        select(Visit).where(Visit.match_id == match_id, Visit.status == VisitStatus.SCHEDULED,
                            Visit.starts_at > utcnow()).order_by(Visit.starts_at).limit(limit)
    ))


def past_visits(match_id: uuid.UUID, limit: int = HISTORY_LENGTH) -> list[Visit]:
    """The latest visits already noted or cancelled, with their log, newest first."""
    return list(db.session.scalars(
        select(Visit).where(Visit.match_id == match_id, Visit.status != VisitStatus.SCHEDULED,
                            Visit.starts_at <= utcnow())
        .options(selectinload(Visit.log)).order_by(Visit.starts_at.desc()).limit(limit)
    ))

