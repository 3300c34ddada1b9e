"""What the console's lists of people share: rows with a full name and a neighbourhood label,
and the scoping of their counts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from app.models import User
from app.services.scope import neighbourhoods_of


def people_scoped(stmt, neighbourhood_column, user_column, tid: uuid.UUID | None, *,
                  join_users: bool):
    """``stmt`` limited to the profiles of the territory (every one for None) not erased.

    ``join_users=False`` (counts that read no user column): the few erased accounts are left out
    by their ids, so that no user row is read per person. An administrator's list gets no
    territory condition at all: every profile has a neighbourhood.
    """
    if join_users:
        stmt = stmt.join(User, User.id == user_column).where(User.anonymised_at.is_(None))
    else:
        stmt = stmt.where(user_column.not_in(
            select(User.id).where(User.anonymised_at.is_not(None))))
    if tid is not None:
        stmt = stmt.where(neighbourhood_column.in_(neighbourhoods_of(tid)))
    return stmt


@dataclass(frozen=True)
class PersonRow:
    """What every line of a list of people prints of the person (the lists add their fields)."""

    id: uuid.UUID
    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    commune: str
    neighbourhood: str

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    @property
    def neighbourhood_label(self) -> str:
        """The neighbourhood, with its commune when the names differ (as Neighbourhood.label)."""
        if self.neighbourhood == self.commune:
            return self.commune
        return f"{self.neighbourhood} ({self.commune})"
