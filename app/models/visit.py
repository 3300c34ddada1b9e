"""Visits planned by a volunteer, and what the volunteer wrote after each."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamped, UUIDPrimaryKey, str_enum
from app.models.enums import Mood, VisitStatus
from app.models.match import Match


class Visit(UUIDPrimaryKey, Timestamped, Base):
    """One visit, one-off or part of a weekly series."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_match_starts_at", "match_id", "starts_at"),
        Index("ix_visits_match_status_starts_at", "match_id", "status", "starts_at"),
        Index("ix_visits_status_starts_at_match", "status", "starts_at", "match_id"),
        CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 480", name="duration_in_range"
        ),
    )

    match_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("matches.id", ondelete="CASCADE")
    )
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    status: Mapped[VisitStatus] = mapped_column(
        str_enum(VisitStatus), default=VisitStatus.SCHEDULED
    )
    #: Visits created together as a weekly series share this id.
    series_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    scheduled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    resident_confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(250))

    match: Mapped[Match] = relationship()
    log: Mapped[VisitLog | None] = relationship(back_populates="visit")


class VisitLog(UUIDPrimaryKey, Base):
    """What the volunteer noted after a visit; the outcome itself is the visit's status."""

    __tablename__ = "visit_logs"
    __table_args__ = (Index("ix_visit_logs_mood_logged_at", "mood", "logged_at"),)

    visit_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("visits.id", ondelete="CASCADE"), unique=True
    )
    mood: Mapped[Mood | None] = mapped_column(str_enum(Mood))
    note: Mapped[str | None] = mapped_column(Text)
    logged_at: Mapped[datetime]
    logged_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    visit: Mapped[Visit] = relationship(back_populates="log")


#: The statistics page's cache reads the latest change of the table from this index.
Index("ix_visits_updated_at", Visit.updated_at)
