"""The greedy baseline: longest wait first, each resident takes their best free volunteer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from .candidates import Candidates
from .model import DEFAULT_WEIGHTS, MatchResult, Resident, Volunteer, Weights


def greedy_assignment(
    candidates: Candidates, capacity: NDArray[np.int64], waiting_days: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Volunteer index for each resident (-1 if none), greedily.

    Residents go in order of longest wait first, then id (their index, since the engine
    sorts by id); each takes the best-scoring possible volunteer with a free place, ties
    going to the lower volunteer id. Scores are compared in solver units, like the engine.
    """
    n_res = candidates.degree.size
    where: list[tuple[int, int]] = [(-1, -1)] * n_res
    for b_i, b in enumerate(candidates.blocks):
        for row, r in enumerate(b.rows.tolist()):
            where[r] = (b_i, row)
    left = capacity.copy()
    match_v = np.full(n_res, -1, dtype=np.int64)
    order = np.lexsort((np.arange(n_res), -waiting_days))
    for r in order.tolist():
        b_i, row = where[r]
        if b_i < 0 or candidates.degree[r] == 0:
            continue
        b = candidates.blocks[b_i]
        units = np.where(left[b.cols] > 0, b.units[row], -1)
        j = int(np.argmax(units))  # first maximum: the lowest volunteer index among ties
        if units[j] >= 0:
            v = int(b.cols[j])
            match_v[r] = v
            left[v] -= 1
    return match_v


def greedy_match(
    residents: Sequence[Resident],
    volunteers: Sequence[Volunteer],
    excluded_pairs: Iterable[tuple[str, str]] = frozenset(),
    weights: Weights = DEFAULT_WEIGHTS,
) -> MatchResult:
    """The greedy baseline as a MatchResult, on the same rules and scores as solve()."""
    from .engine import prepare, result_from_assignment  # engine does not import greedy

    prep = prepare(residents, volunteers, excluded_pairs, weights)
    match_v = greedy_assignment(prep.candidates, prep.scorer.vt.capacity, prep.scorer.rt.waiting_days)
    return result_from_assignment(prep, match_v)
