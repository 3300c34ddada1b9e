"""Pairs of a resident and a volunteer, from the matching's proposal to the end of the pair."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamped, UUIDPrimaryKey, str_enum
from app.models.enums import MatchStatus
from app.models.people import ResidentProfile, VolunteerProfile

_LIVE = ", ".join(f"'{s.value}'" for s in MatchStatus.live())


class MatchingRun(UUIDPrimaryKey, Base):
    """One run of the matching: when, by whom, on which territory, with which weights."""

    __tablename__ = "matching_runs"

    started_at: Mapped[datetime]
    run_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("territories.id", ondelete="SET NULL"), index=True
    )
    #: The four weights in force, so every proposal can be explained later.
    weights: Mapped[dict] = mapped_column(JSON)
    residents_considered: Mapped[int] = mapped_column(default=0)
    volunteers_considered: Mapped[int] = mapped_column(default=0)
    matched: Mapped[int] = mapped_column(default=0)
    total_score: Mapped[float] = mapped_column(default=0.0)


class Match(UUIDPrimaryKey, Timestamped, Base):
    """A pair with its state, its score and the explanation of that score."""

    __tablename__ = "matches"
    __table_args__ = (
        # One live pair per resident, enforced by the database (PRODUCT.md §2 rule 1).
        Index(
            "uq_matches_live_resident",
            "resident_id",
            unique=True,
            sqlite_where=text(f"status IN ({_LIVE})"),
            postgresql_where=text(f"status IN ({_LIVE})"),
        ),
        Index("ix_matches_volunteer_status", "volunteer_id", "status"),
        Index("ix_matches_resident_status", "resident_id", "status"),
        CheckConstraint("score >= 0 AND score <= 1000", name="score_in_range"),
        CheckConstraint("distance_km >= 0", name="distance_not_negative"),
    )

    resident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("resident_profiles.id", ondelete="RESTRICT")
    )
    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("volunteer_profiles.id", ondelete="RESTRICT")
    )
    status: Mapped[MatchStatus] = mapped_column(
        str_enum(MatchStatus), default=MatchStatus.PROPOSED, index=True
    )
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("matching_runs.id", ondelete="SET NULL"), index=True
    )
    #: Score out of 100 with default weights, and its four parts (PRODUCT.md §2).
    score: Mapped[float] = mapped_column(default=0.0)
    part_waiting: Mapped[float] = mapped_column(default=0.0)
    part_distance: Mapped[float] = mapped_column(default=0.0)
    part_slots: Mapped[float] = mapped_column(default=0.0)
    part_interests: Mapped[float] = mapped_column(default=0.0)
    distance_km: Mapped[float] = mapped_column(default=0.0)
    #: Slots both are free, as a mask; interests both share, as codes.
    shared_slots: Mapped[int] = mapped_column(default=0)
    shared_interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Who made the last decision (agent approval or rejection) and when.
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    #: Why it was rejected, declined, paused or ended, in the words of who did it.
    status_reason: Mapped[str | None] = mapped_column(Text)
    #: Who ended or refused the pair (a role name), for statistics.
    closed_by_role: Mapped[str | None] = mapped_column(String(20))

    resident: Mapped[ResidentProfile] = relationship()
    volunteer: Mapped[VolunteerProfile] = relationship()
    run: Mapped[MatchingRun | None] = relationship()


#: The statistics page's cache reads the latest change of the table from this index.
Index("ix_matches_updated_at", Match.updated_at)
