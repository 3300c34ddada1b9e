"""rank_candidates(): every possible volunteer for one resident, best score first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .encode import encode
from .geo import haversine_km
from .model import DEFAULT_WEIGHTS, Pair, Resident, Volunteer, Weights
from .pairs import make_pairs
from .score import Scorer
from .validate import validate_people


def rank_candidates(
    resident: Resident,
    volunteers: Sequence[Volunteer],
    excluded_pairs: Iterable[tuple[str, str]] = frozenset(),
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Pair]:
    """All possible volunteers (rules 2-6, capacity > 0) for `resident`, best score first.

    Ties are broken by volunteer id, so the list is the same whatever the input order. This
    is what an agent sees when they pick another candidate by hand.
    """
    validate_people([resident], volunteers)
    rt, vt = encode([resident], volunteers)
    scorer = Scorer(rt, vt, weights)
    dist = haversine_km(rt.lat[0], rt.lon[0], vt.lat, vt.lon)
    banned = {v for r, v in excluded_pairs if r == resident.id}
    reach = (vt.capacity > 0) & (dist <= vt.max_km)
    reach &= np.array([v.id not in banned for v in volunteers], dtype=np.bool_)
    cols = np.flatnonzero(reach)
    cols = cols[scorer.possible(np.zeros(1, dtype=np.intp), cols)[0]]
    pairs = make_pairs(scorer, [resident], volunteers, np.zeros(cols.size, dtype=np.intp), cols)
    return sorted(pairs, key=lambda p: (-p.score, p.volunteer))
