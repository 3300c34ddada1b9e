"""From the database to the matching engine and back: proposals with their explanation.

The engine (:mod:`app.matching`) knows nothing of the database. This service reads who may be
matched in a territory (rule 1 of PRODUCT.md §2 is applied here: approved volunteers with free
capacity, open requests with no live pair), hands plain values to the engine, and stores its
answer as ``proposed`` matches that agents review. Each territory is solved on its own, so an
agent only ever sees pairs of their own communes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from app import matching
from app.extensions import db
from app.models import (
    Commune,
    Match,
    MatchingRun,
    MatchStatus,
    Neighbourhood,
    RequestStatus,
    ResidentProfile,
    Territory,
    User,
    VolunteerProfile,
    VolunteerStatus,
    utcnow,
)
from app.models.availability import mask_from_slots, slots_from_mask
from app.services import audit
from app.services.scope import territory_of_resident
from app.services.settings import matching_weights


@dataclass(frozen=True)
class EngineInput:
    """What the engine needs for one territory."""

    residents: list[matching.Resident]
    volunteers: list[matching.Volunteer]
    excluded: frozenset[tuple[str, str]]


def current_weights() -> matching.Weights:
    """The weights in force (administrator's setting, else PRODUCT.md defaults)."""
    return matching.Weights(**matching_weights())


def _live_counts():
    """Live pairs per volunteer, as a subquery (capacity in use)."""
    return (
        select(Match.volunteer_id, func.count().label("used"))
        .where(Match.status.in_(MatchStatus.live()))
        .group_by(Match.volunteer_id)
        .subquery()
    )


def _in_territory(territory_id: uuid.UUID | None):
    """Neighbourhoods of a territory's communes (all when None)."""
    stmt = select(Neighbourhood.id).join(Commune)
    if territory_id is not None:
        stmt = stmt.where(Commune.territory_id == territory_id)
    return stmt


def eligible_residents(territory_id: uuid.UUID | None, today: date) -> list[matching.Resident]:
    """Open requests without a live pair, of people whose data was not erased."""
    live = select(Match.resident_id).where(Match.status.in_(MatchStatus.live()))
    rows = db.session.execute(
        select(ResidentProfile.id, ResidentProfile.availability, ResidentProfile.languages,
               ResidentProfile.interests, ResidentProfile.volunteer_gender,
               ResidentProfile.waiting_since, Neighbourhood.latitude, Neighbourhood.longitude)
        .join(Neighbourhood, Neighbourhood.id == ResidentProfile.neighbourhood_id)
        .join(User, User.id == ResidentProfile.user_id)
        .where(ResidentProfile.status == RequestStatus.OPEN,
               ResidentProfile.id.not_in(live),
               ResidentProfile.neighbourhood_id.in_(_in_territory(territory_id)),
               User.anonymised_at.is_(None))
        .order_by(ResidentProfile.id)  # the same rows in the same order give the same result
    )
    return [_resident(r, r.latitude, r.longitude, today) for r in rows]


def eligible_volunteers(territory_id: uuid.UUID | None) -> list[matching.Volunteer]:
    """Approved volunteers with at least one free place."""
    used = _live_counts()
    free = VolunteerProfile.capacity - func.coalesce(used.c.used, 0)
    rows = db.session.execute(
        select(VolunteerProfile.id, VolunteerProfile.availability, VolunteerProfile.languages,
               VolunteerProfile.interests, VolunteerProfile.gender, VolunteerProfile.max_km,
               free.label("free"), Neighbourhood.latitude, Neighbourhood.longitude)
        .join(Neighbourhood, Neighbourhood.id == VolunteerProfile.neighbourhood_id)
        .join(User, User.id == VolunteerProfile.user_id)
        .outerjoin(used, used.c.volunteer_id == VolunteerProfile.id)
        .where(VolunteerProfile.status == VolunteerStatus.APPROVED,
               VolunteerProfile.neighbourhood_id.in_(_in_territory(territory_id)),
               User.anonymised_at.is_(None), User.is_enabled.is_(True), free > 0)
        .order_by(VolunteerProfile.id)
    )
    return [_volunteer(v, v.latitude, v.longitude, int(v.free)) for v in rows]


def excluded_pairs(resident_ids: Iterable[str] | None = None) -> frozenset[tuple[str, str]]:
    """Pairs declined, rejected or ended before (rule 6): never proposed again."""
    stmt = select(Match.resident_id, Match.volunteer_id).where(
        Match.status.in_(MatchStatus.excluding())
    )
    if resident_ids is not None:
        stmt = stmt.where(Match.resident_id.in_([uuid.UUID(r) for r in resident_ids]))
    return frozenset((str(r), str(v)) for r, v in db.session.execute(stmt))


def engine_input(territory_id: uuid.UUID | None, today: date | None = None) -> EngineInput:
    """Everything the engine needs for a territory."""
    today = today or utcnow().date()
    return EngineInput(eligible_residents(territory_id, today), eligible_volunteers(territory_id),
                       excluded_pairs())


def _match_from_pair(pair: matching.Pair, run: MatchingRun | None) -> Match:
    return Match(
        resident_id=uuid.UUID(pair.resident), volunteer_id=uuid.UUID(pair.volunteer),
        status=MatchStatus.PROPOSED, run_id=run.id if run else None,
        score=pair.score, part_waiting=pair.parts.waiting, part_distance=pair.parts.distance,
        part_slots=pair.parts.slots, part_interests=pair.parts.interests,
        distance_km=pair.distance_km, shared_slots=mask_from_slots(pair.shared_slots),
        shared_interests=sorted(pair.shared_interests),
    )


def run_matching(territory: Territory, run_by: User | None = None) -> MatchingRun:
    """Solve one territory and store its proposals (territories are never mixed)."""
    weights = current_weights()
    data = engine_input(territory.id)
    result = matching.solve(data.residents, data.volunteers, data.excluded, weights)
    run = MatchingRun(
        started_at=utcnow(), run_by_id=run_by.id if run_by else None, territory_id=territory.id,
        weights=matching_weights(), residents_considered=len(data.residents),
        volunteers_considered=len(data.volunteers), matched=result.matched,
        total_score=result.total_score,
    )
    db.session.add(run)
    db.session.flush()
    db.session.add_all(_match_from_pair(pair, run) for pair in result.pairs)
    audit.record("matching.run", "matching_run", run.id, actor=run_by,
                 territory_id=territory.id, matched=result.matched,
                 residents=len(data.residents), volunteers=len(data.volunteers))
    db.session.flush()
    return run


def ranked_candidates(profile: ResidentProfile) -> list[matching.Pair]:
    """Every possible volunteer of the resident's territory for this resident, best first.

    The resident's own live proposal, if any, does not hide its volunteer: the agent may be
    choosing between the proposed volunteer and the others.
    """
    territory_id = territory_of_resident(profile)
    today = utcnow().date()
    nb = profile.neighbourhood
    resident = _resident(profile, nb.latitude, nb.longitude, today)
    volunteers = eligible_volunteers(territory_id)
    current = db.session.scalar(
        select(Match.volunteer_id).where(Match.resident_id == profile.id,
                                         Match.status == MatchStatus.PROPOSED)
    )
    if current is not None and str(current) not in {v.id for v in volunteers}:
        proposed = db.session.get(VolunteerProfile, current)
        volunteers.append(_volunteer(proposed, proposed.neighbourhood.latitude,
                                     proposed.neighbourhood.longitude, 1))
    return matching.rank_candidates(resident, volunteers, excluded_pairs([str(profile.id)]),
                                    current_weights())


def _resident(row, lat: float, lon: float, today: date) -> matching.Resident:
    """Engine value of a resident, from a profile or a row with the same attribute names."""
    return matching.Resident(
        id=str(row.id), lat=lat, lon=lon, slots=frozenset(slots_from_mask(row.availability)),
        languages=frozenset(row.languages), interests=frozenset(row.interests),
        volunteer_gender=row.volunteer_gender.value if row.volunteer_gender else None,
        waiting_days=max(0, (today - row.waiting_since.date()).days),
    )


def _volunteer(row, lat: float, lon: float, free: int) -> matching.Volunteer:
    """Engine value of a volunteer, from a profile or a row with the same attribute names."""
    return matching.Volunteer(
        id=str(row.id), lat=lat, lon=lon, slots=frozenset(slots_from_mask(row.availability)),
        languages=frozenset(row.languages), interests=frozenset(row.interests),
        gender=row.gender.value if row.gender else None, capacity=free,
        max_km=float(row.max_km),
    )
