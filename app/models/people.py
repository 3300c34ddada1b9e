"""Resident and volunteer profiles: where they live, when they are free, what they like."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.models.availability import FULL_MASK, slots_from_mask
from app.models.base import Base, Timestamped, UUIDPrimaryKey, str_enum
from app.models.enums import (
    ConsentMethod,
    Gender,
    RequestStatus,
    VettingKind,
    VisitKind,
    VolunteerStatus,
)
from app.models.place import Neighbourhood
from app.models.user import User


class MatchingPreferences:
    """What the matching reads on both sides: place, weekly slots, languages, interests."""

    #: 21-bit mask of weekly slots (see :mod:`app.models.availability`).
    availability: Mapped[int] = mapped_column(default=0)
    #: ISO 639-1 codes of the languages spoken.
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["fr"])
    #: Interest codes (see :mod:`app.vocabulary`).
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)

    @declared_attr
    def neighbourhood_id(cls) -> Mapped[uuid.UUID]:
        """The neighbourhood whose point stands for the person's place."""
        return mapped_column(
            Uuid, ForeignKey("neighbourhoods.id", ondelete="RESTRICT"), index=True
        )

    @declared_attr
    def neighbourhood(cls) -> Mapped[Neighbourhood]:
        """The neighbourhood row."""
        return relationship(Neighbourhood)

    @property
    def slots(self) -> list[str]:
        """Availability as slot names."""
        return slots_from_mask(self.availability)


def availability_check() -> CheckConstraint:
    """The mask holds only the 21 weekly slots."""
    return CheckConstraint(f"availability >= 0 AND availability <= {FULL_MASK}", name="availability_mask")


class ResidentProfile(UUIDPrimaryKey, Timestamped, MatchingPreferences, Base):
    """An isolated resident's request for visits."""

    __tablename__ = "resident_profiles"
    __table_args__ = (availability_check(),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="RESTRICT"), unique=True
    )
    #: Street address; shown to the volunteer only once the match is approved and accepted.
    address: Mapped[str] = mapped_column(String(250))
    postcode: Mapped[str] = mapped_column(String(5))
    visit_kind: Mapped[VisitKind] = mapped_column(str_enum(VisitKind))
    #: Gender the resident asked the volunteer to have, if any.
    volunteer_gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, length=1))
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus), default=RequestStatus.OPEN, index=True
    )
    #: Start of the current wait for a volunteer (sign-up, or the end of the last match).
    waiting_since: Mapped[datetime]
    #: Agent who registered the resident at the desk or by phone; None when self-registered.
    registered_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status_changed_at: Mapped[datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(back_populates="resident_profile", foreign_keys=[user_id])


class VolunteerProfile(UUIDPrimaryKey, Timestamped, MatchingPreferences, Base):
    """A volunteer: how far and how often they can visit, and where their vetting stands."""

    __tablename__ = "volunteer_profiles"
    __table_args__ = (
        availability_check(),
        CheckConstraint("capacity >= 0 AND capacity <= 5", name="capacity_in_range"),
        CheckConstraint("max_km >= 0 AND max_km <= 100", name="max_km_in_range"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="RESTRICT"), unique=True
    )
    #: Greatest distance the volunteer will travel, in km.
    max_km: Mapped[float] = mapped_column(default=5.0)
    #: How many residents the volunteer can follow at once.
    capacity: Mapped[int] = mapped_column(default=1)
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, length=1))
    status: Mapped[VolunteerStatus] = mapped_column(
        str_enum(VolunteerStatus), default=VolunteerStatus.APPLIED, index=True
    )
    status_changed_at: Mapped[datetime | None]
    status_changed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    #: Version of the charter the volunteer accepted at sign-up.
    charter_version: Mapped[str | None] = mapped_column(String(20))
    charter_accepted_at: Mapped[datetime | None]
    #: Secret of the private iCalendar feed; None when revoked.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Earliest expiry among the latest step of each vetting kind (None when none expires), so
    #: the vetting queues read no steps; kept by :mod:`app.services.vetting_summary` on flush.
    next_expiry: Mapped[date | None]

    user: Mapped[User] = relationship(back_populates="volunteer_profile", foreign_keys=[user_id])
    vetting_steps: Mapped[list[VettingStep]] = relationship(
        back_populates="volunteer", order_by="VettingStep.done_on"
    )


#: The statistics page's cache reads the latest change of each table from these indexes.
Index("ix_resident_profiles_updated_at", ResidentProfile.updated_at)
Index("ix_volunteer_profiles_updated_at", VolunteerProfile.updated_at)
#: The vetting queues count volunteers by status and expiry from this index alone.
Index("ix_volunteer_profiles_queues", VolunteerProfile.status, VolunteerProfile.next_expiry,
      VolunteerProfile.user_id, VolunteerProfile.neighbourhood_id)


class VettingStep(UUIDPrimaryKey, Base):
    """One dated, attributed vetting step; a step redone later is a new row."""

    __tablename__ = "vetting_steps"
    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= done_on", name="expiry_after_done"),
    )

    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("volunteer_profiles.id", ondelete="CASCADE")
    )
    kind: Mapped[VettingKind] = mapped_column(str_enum(VettingKind))
    done_on: Mapped[date]
    #: After this day the step must be done again (e.g. the record extract after 12 months).
    expires_on: Mapped[date | None]
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Free detail (charter version, document seen); never the document itself.
    detail: Mapped[str | None] = mapped_column(String(250))
    created_at: Mapped[datetime]

    volunteer: Mapped[VolunteerProfile] = relationship(back_populates="vetting_steps")


#: Each volunteer's latest step of each kind, read in order (and with its expiry) by the vetting
#: list; also every lookup by volunteer.
Index("ix_vetting_steps_latest", VettingStep.volunteer_id, VettingStep.kind,
      VettingStep.done_on.desc(), VettingStep.created_at.desc(), VettingStep.expires_on)


class ConsentRecord(UUIDPrimaryKey, Base):
    """Who agreed to what, when and how (online, orally, in writing, on a signed form)."""

    __tablename__ = "consent_records"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: What was agreed to, e.g. "data_processing" or "charter".
    purpose: Mapped[str] = mapped_column(String(40))
    method: Mapped[ConsentMethod] = mapped_column(str_enum(ConsentMethod))
    #: Who gave it: the person, or who spoke for them (e.g. "sa fille, Mme X").
    given_by: Mapped[str] = mapped_column(String(160))
    given_at: Mapped[datetime]
    #: Version of the information notice or charter shown.
    text_version: Mapped[str] = mapped_column(String(20))
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    withdrawn_at: Mapped[datetime | None]

