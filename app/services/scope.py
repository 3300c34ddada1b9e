"""Territories and scoping: agents see and act only on their own territory's records.

Every agent query filters with the conditions below; an administrator passes None and sees all.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import Commune, Neighbourhood, ResidentProfile, VolunteerProfile


def territory_of_neighbourhood(neighbourhood_id: uuid.UUID) -> uuid.UUID | None:
    """The territory of a neighbourhood's commune."""
    return db.session.scalar(
        select(Commune.territory_id).join(Neighbourhood).where(Neighbourhood.id == neighbourhood_id)
    )


def territory_of_resident(profile: ResidentProfile) -> uuid.UUID | None:
    """The territory whose agents follow this resident."""
    return territory_of_neighbourhood(profile.neighbourhood_id)


def territory_of_volunteer(profile: VolunteerProfile) -> uuid.UUID | None:
    """The territory whose agents vet and follow this volunteer."""
    return territory_of_neighbourhood(profile.neighbourhood_id)


def neighbourhoods_of(territory_id: uuid.UUID | None):
    """Ids of a territory's neighbourhoods, as a subquery (every neighbourhood when None)."""
    stmt = select(Neighbourhood.id)
    if territory_id is not None:
        stmt = stmt.join(Commune).where(Commune.territory_id == territory_id)
    return stmt


def communes_of(territory_id: uuid.UUID | None):
    """INSEE codes of a territory's communes, as a subquery (every commune when None)."""
    stmt = select(Commune.insee_code)
    if territory_id is not None:
        stmt = stmt.where(Commune.territory_id == territory_id)
    return stmt


def residents_in(territory_id: uuid.UUID | None):
    """Condition: the resident profile lives in the territory (always true for None)."""
    return ResidentProfile.neighbourhood_id.in_(neighbourhoods_of(territory_id))


def volunteers_in(territory_id: uuid.UUID | None):
    """Condition: the volunteer profile lives in the territory."""
    return VolunteerProfile.neighbourhood_id.in_(neighbourhoods_of(territory_id))


def residents_of(territory_id: uuid.UUID | None):
    """Ids of the territory's resident profiles, as a subquery."""
    return select(ResidentProfile.id).where(residents_in(territory_id))


def volunteers_of(territory_id: uuid.UUID | None):
    """Ids of the territory's volunteer profiles, as a subquery."""
    return select(VolunteerProfile.id).where(volunteers_in(territory_id))
