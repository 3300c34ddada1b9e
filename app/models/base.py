"""Declarative base, column types and mixins shared by every model."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

#: Predictable constraint names, so Alembic migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The service's time zone: days, slots and the times people read are in Paris time.
PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def paris_today() -> date:
    """Today's date in Paris (between midnight and 1 or 2 a.m. it differs from UTC's)."""
    return utcnow().astimezone(PARIS).date()


def paris_days_since(moment: datetime, now: datetime | None = None) -> int:
    """Whole Paris calendar days from ``moment`` to now (0 the same day, never negative)."""
    today = (now or utcnow()).astimezone(PARIS).date()
    return max((today - moment.astimezone(PARIS).date()).days, 0)


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and always read back timezone-aware.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as naive
    UTC and given back their zone on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Refuse naive datetimes: a time without a zone is a bug waiting to happen."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        """Give every datetime read from the database its UTC zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def str_enum(enum_class: type[enum.Enum], length: int = 20) -> Enum:
    """Store a Python enum as its string value, with a CHECK constraint listing the values."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=length,
        name=_snake(enum_class.__name__),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class Base(DeclarativeBase):
    """Root of every model: naming convention and the UTC datetime type."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class UUIDPrimaryKey:
    """A random UUID primary key: ids in URLs are never sequential or guessable."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class Timestamped:
    """When the row was created and last changed."""

    #: When the row was created (UTC).
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the row was last changed (UTC).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
