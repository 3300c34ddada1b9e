"""People with an account (or, for residents registered by an agent, without one) and their sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamped, UUIDPrimaryKey, str_enum
from app.models.enums import Role

if TYPE_CHECKING:
    from app.models.people import ResidentProfile, VolunteerProfile
    from app.models.place import Territory


class User(UserMixin, UUIDPrimaryKey, Timestamped, Base):
    """A person known to the service; can log in only with an e-mail and a password."""

    __tablename__ = "users"

    #: What the person does in the service.
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True)
    #: Lower-cased login and contact address; residents may have none.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    #: argon2id hash; None means the person cannot log in (registered at the desk).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    #: Phone number in E.164 form (+33…).
    phone: Mapped[str | None] = mapped_column(String(20))
    #: Territory an agent works on; None for an administrator (sees all) and for others.
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("territories.id", ondelete="RESTRICT"), index=True
    )
    #: False when an administrator disabled the account.
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: Preferred interface language.
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    last_login_at: Mapped[datetime | None]
    #: Set when the person's data was erased; the row stays for statistics and the audit trail.
    anonymised_at: Mapped[datetime | None]

    territory: Mapped[Territory | None] = relationship()
    resident_profile: Mapped[ResidentProfile | None] = relationship(
        back_populates="user", foreign_keys="ResidentProfile.user_id"
    )
    volunteer_profile: Mapped[VolunteerProfile | None] = relationship(
        back_populates="user", foreign_keys="VolunteerProfile.user_id"
    )

    @property
    def full_name(self) -> str:
        """First and last name, as printed to agents."""
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def can_log_in(self) -> bool:
        """Whether the account may open a session at all."""
        return bool(self.password_hash) and self.is_enabled and self.anonymised_at is None

    @property
    def is_active(self) -> bool:
        """Flask-Login: disabled, erased or password-less accounts have no session."""
        return self.can_log_in

    @property
    def is_staff(self) -> bool:
        """Agents and administrators work for the collectivité."""
        return self.role in (Role.AGENT, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class UserSession(Base):
    """A server-side session: logging out or changing one's password ends it for good."""

    __tablename__ = "user_sessions"

    #: SHA-256 of the random token kept in the signed session cookie.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    #: When the session was ended (logout, password change, timeout); never reused after.
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class PasswordResetToken(UUIDPrimaryKey, Base):
    """A single-use, expiring password reset token; only its hash is stored."""

    __tablename__ = "password_reset_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


#: The erased accounts: left out of the console's lists by their ids, and the latest erasure
#: is part of the statistics cache's data version (logins change updated_at, not this).
Index("ix_users_anonymised_at", User.anonymised_at)
