"""Turn residents and volunteers into numpy columns (bitsets, codes) for vectorised rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .model import SLOT_INDEX, WAITING_CAP_DAYS, Resident, Volunteer

# Gender codes: 0 means "none given" (for a resident: no preference).
GENDER_CODE: dict[str | None, int] = {None: 0, "f": 1, "m": 2}

SLOT_BIT: dict[str, int] = {slot: 1 << i for slot, i in SLOT_INDEX.items()}


@dataclass(frozen=True)
class Vocabulary:
    """Positions of the words (languages or interests) used in one problem, in sorted order."""

    index: dict[str, int]

    @classmethod
    def of(cls, sets: Iterable[frozenset[str]]) -> Vocabulary:
        """Vocabulary of every word in `sets`, sorted so that bit positions are deterministic."""
        words: set[str] = set()
        for s in sets:
            words.update(s)
        return cls({w: i for i, w in enumerate(sorted(words))})

    @property
    def n_words(self) -> int:
        """Number of 64-bit words a bitset over this vocabulary needs (at least one)."""
        return max(1, (len(self.index) + 63) // 64)

    def bitsets(self, sets: Sequence[frozenset[str]]) -> NDArray[np.uint64]:
        """Bitsets of shape (len(sets), n_words); unknown words are ignored."""
        n_words = self.n_words
        out = np.zeros((len(sets), n_words), dtype=np.uint64)
        cache: dict[frozenset[str], list[int]] = {}  # many people share the same set
        for row, s in enumerate(sets):
            words = cache.get(s)
            if words is None:
                words = [0] * n_words
                for w in s:
                    i = self.index.get(w)
                    if i is not None:
                        words[i >> 6] |= 1 << (i & 63)
                cache[s] = words
            out[row] = words
        return out


def slot_masks(sets: Sequence[frozenset[str]]) -> NDArray[np.int64]:
    """21-bit slot masks; slots must already be valid (see problem.py)."""
    return np.fromiter((sum(SLOT_BIT[s] for s in slots) for slots in sets), dtype=np.int64, count=len(sets))


@dataclass(frozen=True)
class ResidentTable:
    """Residents as columns; row i is the i-th resident in the order given."""

    ids: list[str]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    slots: NDArray[np.int64]
    languages: NDArray[np.uint64]
    interests: NDArray[np.uint64]
    gender_pref: NDArray[np.int8]
    waiting_days: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class VolunteerTable:
    """Volunteers as columns; row j is the j-th volunteer in the order given."""

    ids: list[str]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    slots: NDArray[np.int64]
    languages: NDArray[np.uint64]
    interests: NDArray[np.uint64]
    gender: NDArray[np.int8]
    capacity: NDArray[np.int64]
    max_km: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.ids)


def encode(
    residents: Sequence[Resident], volunteers: Sequence[Volunteer]
) -> tuple[ResidentTable, VolunteerTable]:
    """Column tables of both sides, with shared language and interest vocabularies."""
    languages = Vocabulary.of([r.languages for r in residents] + [v.languages for v in volunteers])
    interests = Vocabulary.of([r.interests for r in residents] + [v.interests for v in volunteers])
    rt = ResidentTable(
        ids=[r.id for r in residents],
        lat=np.array([r.lat for r in residents], dtype=np.float64),
        lon=np.array([r.lon for r in residents], dtype=np.float64),
        slots=slot_masks([r.slots for r in residents]),
        languages=languages.bitsets([r.languages for r in residents]),
        interests=interests.bitsets([r.interests for r in residents]),
        gender_pref=np.array([GENDER_CODE[r.volunteer_gender] for r in residents], dtype=np.int8),
        waiting_days=np.array([r.waiting_days for r in residents], dtype=np.int64),
    )
    vt = VolunteerTable(
        ids=[v.id for v in volunteers],
        lat=np.array([v.lat for v in volunteers], dtype=np.float64),
        lon=np.array([v.lon for v in volunteers], dtype=np.float64),
        slots=slot_masks([v.slots for v in volunteers]),
        languages=languages.bitsets([v.languages for v in volunteers]),
        interests=interests.bitsets([v.interests for v in volunteers]),
        gender=np.array([GENDER_CODE[v.gender] for v in volunteers], dtype=np.int8),
        capacity=np.array([v.capacity for v in volunteers], dtype=np.int64),
        max_km=np.array([v.max_km for v in volunteers], dtype=np.float64),
    )
    return rt, vt


def capped_waiting(days: NDArray[np.int64]) -> NDArray[np.int64]:
    """Waiting days capped as in the score formula."""
    return np.minimum(days, WAITING_CAP_DAYS)
