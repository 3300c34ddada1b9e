"""Heat-wave and cold-wave campaigns: the call list of a territory's residents and its outcomes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamped, UUIDPrimaryKey, str_enum
from app.models.enums import CallStatus, CampaignKind
from app.models.people import ResidentProfile


class Campaign(UUIDPrimaryKey, Timestamped, Base):
    """One campaign (plan canicule / grand froid) on one territory."""

    __tablename__ = "campaigns"

    kind: Mapped[CampaignKind] = mapped_column(str_enum(CampaignKind))
    name: Mapped[str] = mapped_column(String(120))
    territory_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("territories.id", ondelete="RESTRICT"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    closed_at: Mapped[datetime | None]

    calls: Mapped[list[CampaignCall]] = relationship(back_populates="campaign")


class CampaignCall(UUIDPrimaryKey, Base):
    """A resident on a campaign's call list, and what came of the call."""

    __tablename__ = "campaign_calls"
    __table_args__ = (
        UniqueConstraint("campaign_id", "resident_id", name="uq_campaign_calls_campaign_resident"),
        Index("ix_campaign_calls_campaign_status", "campaign_id", "status"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    resident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("resident_profiles.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus), default=CallStatus.PENDING)
    note: Mapped[str | None] = mapped_column(Text)
    called_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    called_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship(back_populates="calls")
    resident: Mapped[ResidentProfile] = relationship()
