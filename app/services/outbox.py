"""Notifications are written to the outbox in the change's own transaction, sent later by a worker.

Texts are short and in the recipient's language (``User.locale``, set by the language switch):
callers give the subject with ``lazy_gettext`` so that it is translated here, for the recipient,
not in the language of whoever acted. They never carry an address, a health word or a note: the
person logs in to read the details.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Channel, OutboxMessage, User, utcnow


def _message(channel: Channel, user: User | None, kind: str, recipient: str, subject: str,
             body: str, dedup_key: str | None) -> OutboxMessage:
    message = OutboxMessage(
        created_at=utcnow(), channel=channel, kind=kind, user_id=user.id if user else None,
        recipient=recipient, subject=subject, body=body, dedup_key=dedup_key,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


def enqueue_email(
    user: User | None,
    kind: str,
    subject: str | LazyString,
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
    with force_locale(user.locale if user else "fr"):
        body = render_template(f"emails/{template}.txt", user=user, **context)
        subject = str(subject)
    return _message(Channel.EMAIL, user, kind, address, subject, body, dedup_key)


def notify(user: User, kind: str, subject: str | LazyString, template: str, *,
           dedup_key: str | None = None, **context) -> list[OutboxMessage]:
    """Tell a person by e-mail when they have one, else by SMS when they have a phone.

    A resident registered at the desk often has only a phone: the SMS sender (pluggable, see
    :mod:`app.notifications`) reaches them. ``dedup_key`` makes the message idempotent.
    """
    if user.anonymised_at is not None:
        return []
    if user.email:
        message = enqueue_email(user, kind, subject, template, dedup_key=dedup_key, **context)
        return [message] if message else []
    if user.phone:
        with force_locale(user.locale):
            body = render_template(f"sms/{template}.txt", user=user, **context)
            subject = str(subject)
        return [_message(Channel.SMS, user, kind, user.phone, subject, body.strip(), dedup_key)]
    return []


def queued_keys(keys: set[str]) -> set[str]:
    """Those of ``keys`` already in the outbox."""
    return set(db.session.scalars(
        select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys))
    ))


def notify_once(user: User, kind: str, subject: str | LazyString, template: str, *,
                dedup_key: str, **context) -> int:
    """:func:`notify` for a scheduled job; how many messages were queued.

    When another run queued the same ``dedup_key`` meanwhile (two hosts, or a job started twice),
    the unique key refuses this insert: it alone is undone through a savepoint and the caller's
    transaction goes on. The caller commits.
    """
    try:
        with db.session.begin_nested():
            messages = notify(user, kind, subject, template, dedup_key=dedup_key, **context)
            db.session.flush()
    except IntegrityError:
        return 0  # queued by a concurrent run
    return len(messages)
