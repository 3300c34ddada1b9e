"""Independent reference implementations of the rules, the score and the optimum.

Written from PRODUCT.md section 2 in plain Python (math, itertools) without the engine's
code, so that the tests compare two implementations rather than one with itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from app.matching import Resident, Volunteer, Weights
from app.matching.model import DEFAULT_WEIGHTS

R_KM = 6371.0088


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance, plain math."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_KM * math.asin(math.sqrt(min(h, 1.0)))


def possible(r: Resident, v: Volunteer, excluded: frozenset[tuple[str, str]] = frozenset()) -> bool:
    """Rules 2-6 and free capacity."""
    return (
        v.capacity > 0
        and great_circle_km(r.lat, r.lon, v.lat, v.lon) <= v.max_km
        and bool(r.slots & v.slots)
        and bool(r.languages & v.languages)
        and (r.volunteer_gender is None or r.volunteer_gender == v.gender)
        and (r.id, v.id) not in excluded
    )


def score(r: Resident, v: Volunteer, w: Weights = DEFAULT_WEIGHTS) -> float:
    """The public formula."""
    d = great_circle_km(r.lat, r.lon, v.lat, v.lon)
    dist = w.distance if v.max_km == 0 else w.distance * (1 - d / v.max_km)
    return (
        w.waiting * min(r.waiting_days, 180) / 180
        + dist
        + w.slots * min(len(r.slots & v.slots), 3) / 3
        + w.interests * min(len(r.interests & v.interests), 3) / 3
    )


def brute_force(
    residents: Sequence[Resident], volunteers: Sequence[Volunteer],
    excluded: frozenset[tuple[str, str]] = frozenset(), w: Weights = DEFAULT_WEIGHTS,
) -> tuple[int, float]:
    """(matched, total score) of the lexicographic optimum, by enumerating every assignment."""
    options = [[j for j, v in enumerate(volunteers) if possible(r, v, excluded)] for r in residents]
    scores = {(i, j): score(residents[i], volunteers[j], w) for i, js in enumerate(options) for j in js}
    left = [v.capacity for v in volunteers]
    best = (0, 0.0)

    def walk(i: int, matched: int, total: float) -> None:
        nonlocal best
        if i == len(residents):
            best = max(best, (matched, total))
            return
        walk(i + 1, matched, total)
        for j in options[i]:
            if left[j] > 0:
                left[j] -= 1
                walk(i + 1, matched + 1, total + scores[i, j])
                left[j] += 1

    walk(0, 0, 0.0)
    return best


def assignment_optimum(
    residents: Sequence[Resident], volunteers: Sequence[Volunteer],
    excluded: frozenset[tuple[str, str]] = frozenset(), w: Weights = DEFAULT_WEIGHTS,
) -> tuple[int, float]:
    """(matched, total) with scipy's linear_sum_assignment on an expanded matrix.

    Columns: one per place of each volunteer (capacity copies), plus one "nobody" column per
    resident. A real pair is worth BIG + score with BIG larger than any possible total score,
    so one more match always wins (the lexicographic objective); impossible pairs are -inf-ish.
    """
    n = len(residents)
    copies = [j for j, v in enumerate(volunteers) for _ in range(min(v.capacity, n))]
    big = (n + 1) * (w.total + 1)
    forbid = -1e6 * big
    value = np.full((n, len(copies) + n), forbid)
    for i, r in enumerate(residents):
        value[i, len(copies) + i] = 0.0
        for c, j in enumerate(copies):
            if possible(r, volunteers[j], excluded):
                value[i, c] = big + score(r, volunteers[j], w)
    rows, cols = linear_sum_assignment(value, maximize=True)
    matched = [(i, c) for i, c in zip(rows, cols, strict=True) if c < len(copies)]
    assert all(value[i, c] > 0 for i, c in matched)
    return len(matched), math.fsum(value[i, c] - big for i, c in matched)
