"""Value types and constants of the matching engine (no I/O, no framework)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS: tuple[str, ...] = ("am", "pm", "eve")
# The 21 weekly slots, in calendar order; a slot's index is its bit in the slot masks.
SLOTS: tuple[str, ...] = tuple(f"{day}-{part}" for day in DAYS for part in PARTS)
SLOT_INDEX: dict[str, int] = {slot: i for i, slot in enumerate(SLOTS)}

GENDERS: tuple[str, ...] = ("f", "m")

# Caps of the public score formula (PRODUCT.md section 2).
WAITING_CAP_DAYS = 180
SHARED_SLOTS_CAP = 3
SHARED_INTERESTS_CAP = 3

REASON_NO_CANDIDATE = "no_candidate"
REASON_ALL_TAKEN = "all_taken"


class InvalidProblem(ValueError):
    """A matching problem that breaks the input rules; the message names the item and the field."""


@dataclass(frozen=True)
class Resident:
    """An isolated resident waiting for a volunteer, as the engine sees them."""

    id: str
    lat: float
    lon: float
    slots: frozenset[str]
    languages: frozenset[str]
    interests: frozenset[str]
    volunteer_gender: str | None  # wished gender of the volunteer: "f", "m" or None
    waiting_days: int


@dataclass(frozen=True)
class Volunteer:
    """An approved volunteer with free places, as the engine sees them."""

    id: str
    lat: float
    lon: float
    slots: frozenset[str]
    languages: frozenset[str]
    interests: frozenset[str]
    gender: str | None  # "f", "m" or None (not given)
    capacity: int  # FREE capacity: places left, not the total the volunteer declared
    max_km: float


@dataclass(frozen=True)
class Weights:
    """Weights of the four score parts; the defaults give a score out of 100."""

    waiting: float = 40.0
    distance: float = 25.0
    slots: float = 20.0
    interests: float = 15.0

    def __post_init__(self) -> None:
        for name in ("waiting", "distance", "slots", "interests"):
            value = getattr(self, name)
            # bool is an int subclass; a weight of True is a typo, not a number.
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidProblem(f'weights: field "{name}": expected a number, got {value!r}')
            if not math.isfinite(value) or value < 0:
                raise InvalidProblem(f'weights: field "{name}": must be a finite number >= 0, got {value!r}')

    @property
    def total(self) -> float:
        """Largest possible score with these weights."""
        return float(self.waiting + self.distance + self.slots + self.interests)


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class ScoreParts:
    """The four parts of a pair's score, each already multiplied by its weight."""

    waiting: float
    distance: float
    slots: float
    interests: float


@dataclass(frozen=True)
class Pair:
    """A possible (or chosen) resident-volunteer pair with its explained score."""

    resident: str
    volunteer: str
    score: float
    parts: ScoreParts
    distance_km: float
    shared_slots: tuple[str, ...]
    shared_interests: tuple[str, ...]


@dataclass(frozen=True)
class Unmatched:
    """A resident left without a volunteer, and why."""

    resident: str
    # "no_candidate": no possible volunteer at all;
    # "all_taken": had possible volunteers, all used by the optimum.
    reason: str


@dataclass(frozen=True)
class MatchResult:
    """The optimal set of pairs and the residents it leaves unmatched."""

    pairs: list[Pair] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    matched: int = 0
    total_score: float = 0.0
