"""Turn residents and volunteers into numpy columns (bitsets, codes) for vectorised rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

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
        words: set[str] = set().union(*sets)
        return cls({w: i for i, w in enumerate(sorted(words))})

    @property
    def n_words(self) -> int:
        """Number of 64-bit words a bitset over this vocabulary needs (at least one)."""
        return max(1, (len(self.index) + 63) // 64)

    def bitsets(self, sets: Sequence[frozenset[str]]) -> NDArray[np.uint64]:
        """Bitsets of shape (len(sets), n_words); unknown words are ignored."""
        n_words = self.n_words
        cache: dict[frozenset[str], tuple[int, ...]] = {}  # many people share the same set

        def words_of(s: frozenset[str]) -> tuple[int, ...]:
            words = [0] * n_words
            for w in s:
                i = self.index.get(w)
                if i is not None:
                    words[i >> 6] |= 1 << (i & 63)
            cache[s] = tuple(words)
            return cache[s]

        rows = [cache.get(s) or words_of(s) for s in sets]
        return np.array(rows, dtype=np.uint64).reshape(len(sets), n_words)


def slot_masks(sets: Sequence[frozenset[str]]) -> NDArray[np.int64]:
    """21-bit slot masks; slots must already be valid (see problem.py)."""
    bit = SLOT_BIT.__getitem__
    return np.fromiter((sum(map(bit, slots)) for slots in sets), dtype=np.int64, count=len(sets))


def column(items: Sequence[object], name: str, dtype: type) -> NDArray:
    """One attribute of every item as a numpy array."""
    return np.fromiter(map(attrgetter(name), items), dtype=dtype, count=len(items))


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
    r_slots, v_slots = [r.slots for r in residents], [v.slots for v in volunteers]
    r_lang, v_lang = [r.languages for r in residents], [v.languages for v in volunteers]
    r_int, v_int = [r.interests for r in residents], [v.interests for v in volunteers]
    languages = Vocabulary.of(r_lang + v_lang)
    interests = Vocabulary.of(r_int + v_int)
    gender_code = GENDER_CODE.__getitem__
    rt = ResidentTable(
        ids=[r.id for r in residents],
        lat=column(residents, "lat", np.float64),
        lon=column(residents, "lon", np.float64),
        slots=slot_masks(r_slots),
        languages=languages.bitsets(r_lang),
        interests=interests.bitsets(r_int),
        gender_pref=np.fromiter(map(gender_code, map(attrgetter("volunteer_gender"), residents)), np.int8, len(residents)),
        waiting_days=column(residents, "waiting_days", np.int64),
    )
    vt = VolunteerTable(
        ids=[v.id for v in volunteers],
        lat=column(volunteers, "lat", np.float64),
        lon=column(volunteers, "lon", np.float64),
        slots=slot_masks(v_slots),
        languages=languages.bitsets(v_lang),
        interests=interests.bitsets(v_int),
        gender=np.fromiter(map(gender_code, map(attrgetter("gender"), volunteers)), np.int8, len(volunteers)),
        capacity=column(volunteers, "capacity", np.int64),
        max_km=column(volunteers, "max_km", np.float64),
    )
    return rt, vt


def capped_waiting(days: NDArray[np.int64]) -> NDArray[np.int64]:
    """Waiting days capped as in the score formula."""
    return np.minimum(days, WAITING_CAP_DAYS)
