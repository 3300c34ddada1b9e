"""Where people live: territories, communes, their postcodes and neighbourhoods."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamped, UUIDPrimaryKey


class Territory(UUIDPrimaryKey, Timestamped, Base):
    """A group of communes followed by the same agents."""

    __tablename__ = "territories"

    name: Mapped[str] = mapped_column(String(120), unique=True)

    communes: Mapped[list[Commune]] = relationship(
        back_populates="territory", order_by="Commune.name"
    )


class Commune(Timestamped, Base):
    """A commune, keyed by its INSEE code; belongs to at most one territory."""

    __tablename__ = "communes"
    __table_args__ = (
        CheckConstraint("population >= 0", name="population_not_negative"),
    )

    #: Code officiel géographique (five characters, e.g. 64445 for Pau).
    insee_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    population: Mapped[int] = mapped_column(default=0)
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("territories.id", ondelete="SET NULL"), index=True
    )

    territory: Mapped[Territory | None] = relationship(back_populates="communes")
    postcodes: Mapped[list[CommunePostcode]] = relationship(
        back_populates="commune", cascade="all, delete-orphan"
    )
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        back_populates="commune", order_by="Neighbourhood.name"
    )


class CommunePostcode(Base):
    """One postcode of a commune; a postcode may cover several communes (64140: Billère, Lons)."""

    __tablename__ = "commune_postcodes"

    postcode: Mapped[str] = mapped_column(String(5), primary_key=True)
    commune_insee: Mapped[str] = mapped_column(
        String(5), ForeignKey("communes.insee_code", ondelete="CASCADE"), primary_key=True
    )

    commune: Mapped[Commune] = relationship(back_populates="postcodes")


class Neighbourhood(UUIDPrimaryKey, Timestamped, Base):
    """A neighbourhood (quartier) with the point used to measure distances."""

    __tablename__ = "neighbourhoods"
    __table_args__ = (
        UniqueConstraint("commune_insee", "name", name="uq_neighbourhoods_commune_name"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_in_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_in_range"),
        Index("ix_neighbourhoods_commune_insee", "commune_insee"),
    )

    commune_insee: Mapped[str] = mapped_column(
        String(5), ForeignKey("communes.insee_code", ondelete="RESTRICT")
    )
    name: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float]
    longitude: Mapped[float]

    commune: Mapped[Commune] = relationship(back_populates="neighbourhoods")

    @property
    def label(self) -> str:
        """Name as shown in lists: the commune's name is added unless it is the same."""
        commune = self.commune.name
        return self.name if self.name == commune else f"{self.name} ({commune})"
