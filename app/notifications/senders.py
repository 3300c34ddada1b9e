"""Senders: e-mail through Flask-Mailman, SMS through a pluggable :class:`SmsSender`.

A sender either returns (the message was handed over) or raises (it was not, or we cannot tell):
the worker records the error and tries again later. Nothing here logs a body, an address or a
full phone number.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Protocol, runtime_checkable

from flask import current_app
from flask_mailman import EmailMessage

from app.extensions import mail
from app.models import Channel
from config import ConfigurationError

logger = logging.getLogger("voisinage.outbox")

#: Seconds an SMTP connection may wait on the server when ``MAIL_TIMEOUT`` is not set; well
#: below the worker's claim lease, so a hung server can never make two workers send one message.
DEFAULT_SMTP_TIMEOUT = 30


class DeliveryError(RuntimeError):
    """The channel did not take the message, without raising anything of its own."""


@dataclass(frozen=True)
class Outgoing:
    """What a worker read from a claimed outbox row: plain values, no database session needed."""

    id: int
    channel: Channel
    recipient: str
    subject: str
    body: str
    attempts: int
    created_at: datetime


class EmailSender:
    """Hands e-mails to the configured Flask-Mailman backend, one connection per batch.

    The connection is opened before the first message and closed by :meth:`close`; an error on
    closing (a failed SMTP QUIT) is ignored, because the server has already accepted the
    messages and reporting a failure would make the worker send them twice.
    """

    def __init__(self) -> None:
        self._connection = None

    def send(self, message: Outgoing) -> None:
        """Send one e-mail; raise if the backend refused it or could not be reached."""
        if self._connection is None:
            connection = mail.get_connection(**_connection_options())
            connection.open()
            self._connection = connection
        email = EmailMessage(
            message.subject, message.body, None, [message.recipient],
            connection=self._connection,
            headers={"Message-ID": _message_id(message), "Auto-Submitted": "auto-generated"},
        )
        try:
            accepted = email.send()
        except Exception:
            # The connection may be broken: start the next message on a fresh one.
            self.close()
            raise
        if accepted != 1:
            raise DeliveryError("the mail backend accepted no message")

    def close(self) -> None:
        """Close the connection, if any; errors are ignored (see the class docstring)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.close()
        except Exception as exc:  # noqa: BLE001 - the messages were accepted already
            logger.info("mail connection closed with an error: %s", type(exc).__name__)


def _connection_options() -> dict:
    state = current_app.extensions["mailman"]
    if state.timeout is None and "smtp" in str(state.backend):
        return {"timeout": DEFAULT_SMTP_TIMEOUT}
    return {}


def _message_id(message: Outgoing) -> str:
    """The same Message-ID on every attempt, so a rare second copy can be recognised as one."""
    domain = parseaddr(current_app.extensions["mailman"].default_sender or "")[1].rpartition("@")[2]
    stamp = int(message.created_at.timestamp())
    return f"<outbox-{message.id}-{stamp}@{domain or 'voisinage.invalid'}>"


@runtime_checkable
class SmsSender(Protocol):
    """What an SMS provider adapter implements; selected by the ``SMS_SENDER`` setting.

    ``message_id`` is stable across attempts: pass it to the provider as the client reference
    when it supports one, so a retried message is not delivered twice.
    """

    def send(self, message_id: int, to: str, body: str) -> None:
        """Hand one SMS to the provider; raise if it was not accepted."""


class LoggingSmsSender:
    """The default: no provider, the SMS is only logged (id and masked number, never the text)."""

    def send(self, message_id: int, to: str, body: str) -> None:
        """Write one log line in place of sending."""
        logger.info("sms %s to %s logged, not sent (SMS_SENDER=log): %d characters",
                    message_id, mask_phone(to), len(body))


def sms_sender() -> SmsSender:
    """The SMS sender named by ``SMS_SENDER``: ``log`` (default) or ``package.module:Factory``."""
    name = current_app.config.get("SMS_SENDER", "log") or "log"
    if name == "log":
        return LoggingSmsSender()
    module_name, _, attribute = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigurationError(
            f"SMS_SENDER must be 'log' or 'package.module:Factory', got {name!r}"
        ) from exc
    sender = factory()
    if not isinstance(sender, SmsSender):
        raise ConfigurationError(f"SMS_SENDER {name!r} does not give an object with send()")
    return sender


def mask_phone(number: str) -> str:
    """A phone number fit for a log line: ``+33 6 •• •• •• 78``; only the last two digits stay."""
    digits = "".join(c for c in number if c.isdigit())
    if number.startswith("+33") and len(digits) == 11:
        return f"+33 {digits[2]} •• •• •• {digits[-2:]}"
    if len(digits) <= 2:
        return "••"
    return "•" * (len(digits) - 2) + digits[-2:]


class Senders:
    """One sender per channel, for one batch of the worker."""

    def __init__(self, sms: SmsSender | None = None) -> None:
        self.email = EmailSender()
        self.sms = sms if sms is not None else sms_sender()

    def deliver(self, message: Outgoing) -> None:
        """Send ``message`` on its channel; raise on failure."""
        if message.channel is Channel.EMAIL:
            self.email.send(message)
        elif message.channel is Channel.SMS:
            self.sms.send(message.id, message.recipient, message.body)
        else:  # pragma: no cover - the column's CHECK constraint allows only the two
            raise DeliveryError(f"unknown channel {message.channel!r}")

    def close(self) -> None:
        """Release connections at the end of a batch."""
        self.email.close()
