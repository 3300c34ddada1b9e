"""What every step of the demo builder shares: the random stream, the clock and the lookups."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from app.extensions import db
from app.models import AuditEntry, Neighbourhood, ResidentProfile, Territory, User, VolunteerProfile
from app.services import audit
from app.services.demo.data import DOMAIN
from app.services.places import CommuneRow
from app.services.visits import PARIS

#: Demo phone numbers: the 05 36 49 xx xx block, which the Arcep keeps for works of fiction
#: (plan national de numérotation, §2.5.12), so no real line is ever called or texted. It is a
#: landline block of the South-West, and unlike the fiction mobile block (06 39 98) it passes
#: the phone validator of the forms, so demo records can be edited like real ones.
PHONE_PREFIX = "+3353649"


@dataclass
class Person:
    """Someone the demo created, with what later steps need to know about them."""

    #: Stable id handed to the matching engine ("r07", "v12"): the same on every run.
    key: str
    user: User
    profile: ResidentProfile | VolunteerProfile
    insee: str
    territory: str
    signed_up: datetime


@dataclass
class Context:
    """The state of one demo build: every choice comes from ``rng``, every date from ``now``."""

    rng: random.Random
    now: datetime
    password_hash: str
    communes: dict[str, CommuneRow] = field(default_factory=dict)
    territory_of: dict[str, str] = field(default_factory=dict)
    territories: dict[str, Territory] = field(default_factory=dict)
    neighbourhoods: dict[str, Neighbourhood] = field(default_factory=dict)
    #: The agent of each territory; key None is the administrator.
    agents: dict[str | None, User] = field(default_factory=dict)
    residents: list[Person] = field(default_factory=list)
    volunteers: list[Person] = field(default_factory=list)
    emails: set[str] = field(default_factory=set)
    _phones: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._phones = self.rng.sample(range(10_000), 400)

    @property
    def today(self) -> date:
        """Today in Pau."""
        return self.now.astimezone(PARIS).date()

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A Paris wall-clock time, as an aware UTC datetime."""
        return datetime.combine(day, time(hour, minute), PARIS).astimezone(timezone.utc)

    def past(self, when: datetime) -> datetime:
        """``when``, or a moment ago if it would be in the future (today's early hours)."""
        return min(when, self.now - timedelta(minutes=5))

    def days_ago(self, days: int, hour: int = 10, minute: int = 0) -> datetime:
        """A moment ``days`` days ago at a Paris time, never in the future."""
        return self.past(self.local(self.today - timedelta(days=days), hour, minute))

    def phone(self) -> str:
        """A fresh number of the fiction block."""
        return f"{PHONE_PREFIX}{self._phones.pop():04d}"

    def email(self, first: str, last: str) -> str:
        """first.last@demo…, made unique with a number when two people share a name."""
        return unique_email(first, last, DOMAIN, self.emails)

    def audit(self, action: str, object_type: str, object_id: Any, *, at: datetime,
              actor: User | None, territory: str | None, **detail: Any) -> AuditEntry:
        """An audit entry dated when the demo's story says it happened."""
        entry = audit.record(action, object_type, object_id, actor=actor,
                             territory_id=self.territory_id(territory), **detail)
        entry.at = at
        return entry

    def territory_id(self, name: str | None):
        """The id of a territory by name (None for None)."""
        return self.territories[name].id if name else None


def unique_email(first: str, last: str, domain: str, taken: set[str]) -> str:
    """first.last@domain, with a number when it is in ``taken`` (which then holds it)."""
    base = f"{slug(first)}.{slug(last)}"
    candidate, n = f"{base}@{domain}", 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}@{domain}"
    taken.add(candidate)
    return candidate


def slug(text: str) -> str:
    """ASCII, lower case, words joined by hyphens: "Marie-Thérèse" -> "marie-therese"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def backdate_pending_audit(at: datetime) -> None:
    """Date the audit entries a service just wrote (not flushed yet) at the story's time.

    Entries are append-only once written; these are still pending, so this is their first value.
    """
    for obj in db.session.new:
        if isinstance(obj, AuditEntry):
            obj.at = at


def weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """``k`` distinct items drawn with the given weights."""
    items, weights = list(items), list(weights)
    chosen = []
    for _ in range(min(k, len(items))):
        i = rng.choices(range(len(items)), weights)[0]
        chosen.append(items.pop(i))
        weights.pop(i)
    return chosen
