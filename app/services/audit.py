"""The append-only audit log: who did what, on which record, when."""

from __future__ import annotations

import uuid
from typing import Any

from flask import has_request_context
from flask_login import current_user

from app.extensions import db
from app.models import AuditEntry, User, utcnow
from app.security.access import acting_user


def record(
    action: str,
    object_type: str,
    object_id: Any,
    *,
    actor: User | None = None,
    territory_id: uuid.UUID | None = None,
    anonymous_role: str = "system",
    **detail: Any,
) -> AuditEntry:
    """Append an entry; the actor defaults to the logged-in user, else ``anonymous_role``.

    ``anonymous_role`` names who acted without an account: "system" for scheduled jobs,
    "public" for a form anyone may send.

    ``detail`` holds codes and states only: never addresses, phone numbers or notes.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = acting_user()
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_role=actor.role.value if actor else anonymous_role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        territory_id=territory_id,
        detail={k: _plain(v) for k, v in detail.items()},
    )
    db.session.add(entry)
    return entry


def _plain(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
