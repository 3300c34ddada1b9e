"""Which territory a record belongs to: agents see and act only on their own territory's records."""

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
