"""Concerns about a resident's wellbeing or a volunteer's conduct, and referrals of isolated people."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamped, UUIDPrimaryKey, str_enum
from app.models.enums import ConcernSource, ConcernStatus, ReferralStatus, Severity
from app.models.place import Commune


class Concern(UUIDPrimaryKey, Timestamped, Base):
    """A concern handled by agents: open -> in progress -> closed, due by severity."""

    __tablename__ = "concerns"
    __table_args__ = (
        CheckConstraint(
            "resident_id IS NOT NULL OR volunteer_id IS NOT NULL", name="about_someone"
        ),
        Index("ix_concerns_status_due_at", "status", "due_at"),
        Index("ix_concerns_match_status", "match_id", "status"),
    )

    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("resident_profiles.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("volunteer_profiles.id", ondelete="CASCADE"), index=True
    )
    match_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("matches.id", ondelete="SET NULL")
    )
    visit_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[ConcernSource] = mapped_column(str_enum(ConcernSource))
    severity: Mapped[Severity] = mapped_column(str_enum(Severity), default=Severity.MEDIUM)
    status: Mapped[ConcernStatus] = mapped_column(
        str_enum(ConcernStatus), default=ConcernStatus.OPEN
    )
    raised_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Agent in charge.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    notes: Mapped[list[ConcernNote]] = relationship(
        back_populates="concern", order_by="ConcernNote.created_at"
    )


class ConcernNote(UUIDPrimaryKey, Base):
    """A dated note added to a concern by an agent."""

    __tablename__ = "concern_notes"

    concern_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("concerns.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    concern: Mapped[Concern] = relationship(back_populates="notes")


class Referral(UUIDPrimaryKey, Timestamped, Base):
    """A relative, neighbour or professional signals an isolated person, with their consent."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("person_agreed", name="person_agreed"),
        CheckConstraint("phone IS NOT NULL OR email IS NOT NULL OR address IS NOT NULL",
                        name="reachable"),
    )

    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(250))
    commune_insee: Mapped[str] = mapped_column(
        String(5), ForeignKey("communes.insee_code", ondelete="RESTRICT"), index=True
    )
    #: Why the person seems isolated, in the referrer's words.
    reason: Mapped[str] = mapped_column(Text)
    #: The referrer stated that the person agreed to be contacted.
    person_agreed: Mapped[bool]
    referrer_name: Mapped[str] = mapped_column(String(160))
    referrer_relation: Mapped[str] = mapped_column(String(80))
    referrer_phone: Mapped[str | None] = mapped_column(String(20))
    referrer_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[ReferralStatus] = mapped_column(
        str_enum(ReferralStatus), default=ReferralStatus.PENDING, index=True
    )
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    handled_at: Mapped[datetime | None]
    #: The resident record the referral became, once the person agreed on the phone.
    resident_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    outcome_note: Mapped[str | None] = mapped_column(Text)

    commune: Mapped[Commune] = relationship()
