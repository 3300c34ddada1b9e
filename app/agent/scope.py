"""The territory the logged-in agent works on, and loaders that 404 outside of it."""

from __future__ import annotations

import uuid

from flask import abort
from flask_login import current_user

from app.extensions import db
from app.models import Role


def territory_id() -> uuid.UUID | None:
    """The agent's territory; None for an administrator, who sees every territory."""
    if current_user.role is Role.ADMIN:
        return None
    if current_user.territory_id is None:
        abort(403)  # an agent with no territory sees nothing rather than everything
    return current_user.territory_id


def in_scope(record_territory_id: uuid.UUID | None) -> bool:
    """Whether a record of that territory is visible to the logged-in agent."""
    mine = territory_id()
    return mine is None or record_territory_id == mine


def load(model, object_id: uuid.UUID, territory_of) -> object:
    """A record by id, 404 when missing or outside the agent's territory.

    ``territory_of`` maps the record to its territory id (e.g. ``scope.territory_of_resident``).
    """
    record = db.session.get(model, object_id)
    if record is None or not in_scope(territory_of(record)):
        abort(404)
    return record


