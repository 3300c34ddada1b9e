"""What the service keeps about itself: the append-only audit log, the outbox, the settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, str_enum
from app.models.enums import Channel, OutboxStatus

#: A 64-bit key that still auto-increments on SQLite (which only does so for INTEGER).
BigId = BigInteger().with_variant(Integer, "sqlite")


class AuditEntry(Base):
    """One action of a person on a record; the database refuses updates and deletes."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    #: The actor's role at the time ("system" for scheduled jobs).
    actor_role: Mapped[str] = mapped_column(String(20))
    #: What was done, as a dotted code such as "match.approve".
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    #: Territory of the record, so agents read the entries of their own territory.
    territory_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    #: Non-personal detail (new state, reason code); never addresses, phones or notes.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class OutboxMessage(Base):
    """A notification written with the change that causes it, and sent later by a worker."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, length=10))
    #: Kind of message, e.g. "password_reset", "visit_reminder".
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: Makes a message idempotent (e.g. one reminder per visit): a second insert is refused.
    dedup_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class Setting(Base):
    """A setting an administrator may change at run time (matching weights, retention)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
