"""Notifications are written to the outbox in the change's own transaction, sent later by a worker."""

from __future__ import annotations

from flask import render_template

from app.extensions import db
from app.models import Channel, OutboxMessage, User, utcnow


def enqueue_email(
    user: User | None,
    kind: str,
    subject: str,
    template: str,
    *,
    recipient: str | None = None,
    dedup_key: str | None = None,
    **context,
) -> OutboxMessage | None:
    """Queue an e-mail rendered from ``templates/emails/<template>.txt``; None without an address."""
    address = recipient or (user.email if user else None)
    if not address:
        return None
    message = OutboxMessage(
        created_at=utcnow(),
        channel=Channel.EMAIL,
        kind=kind,
        user_id=user.id if user else None,
        recipient=address,
        subject=subject,
        body=render_template(f"emails/{template}.txt", user=user, **context),
        dedup_key=dedup_key,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message
