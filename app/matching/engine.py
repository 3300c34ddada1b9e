"""solve(): validate, build the possible pairs, find the certified optimum, explain it."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .candidates import Candidates, build_candidates
from .encode import encode
from .model import (
    DEFAULT_WEIGHTS,
    REASON_ALL_TAKEN,
    REASON_NO_CANDIDATE,
    MatchResult,
    Resident,
    Unmatched,
    Volunteer,
    Weights,
)
from .pairs import make_pairs
from .score import Scorer
from .solver import SolverStats, clock_now, optimal_assignment
from .validate import validate_people


@dataclass
class EngineStats:
    """Timings and sizes of one solve, for the benchmark."""

    candidates_s: float = 0.0  # validation, encoding and every possible pair with its score
    solve_s: float = 0.0  # the optimum, certified, and the explained pairs
    candidates_cpu_s: float = 0.0  # the same two phases in process CPU time
    solve_cpu_s: float = 0.0
    possible_pairs: int = 0
    solver: SolverStats = field(default_factory=SolverStats)


@dataclass(frozen=True)
class Prepared:
    """A validated problem in id order, with its scorer and possible pairs."""

    residents: list[Resident]
    volunteers: list[Volunteer]
    scorer: Scorer
    candidates: Candidates


def prepare(
    residents: Sequence[Resident],
    volunteers: Sequence[Volunteer],
    excluded_pairs: Iterable[tuple[str, str]],
    weights: Weights,
) -> Prepared:
    """Validate, sort by id (so input order never changes the answer) and build the pairs."""
    validate_people(residents, volunteers)
    res = sorted(residents, key=lambda r: r.id)
    vol = sorted(volunteers, key=lambda v: v.id)
    rt, vt = encode(res, vol)
    scorer = Scorer(rt, vt, weights)
    excluded_pairs = list(excluded_pairs)
    excluded: list[tuple[int, int]] = []
    if excluded_pairs:  # the id indexes cost a tenth of a second at 100,000 residents
        r_index = {r.id: i for i, r in enumerate(res)}
        v_index = {v.id: j for j, v in enumerate(vol)}
        # Pairs naming an unknown resident or volunteer are ignored: the history of declined or
        # ended pairs may mention people who are no longer in this run, which is no error.
        excluded = [
            (r_index[r], v_index[v]) for r, v in excluded_pairs if r in r_index and v in v_index
        ]
    return Prepared(res, vol, scorer, build_candidates(rt, vt, scorer, excluded))


def result_from_assignment(prep: Prepared, match_v: np.ndarray) -> MatchResult:
    """Explained pairs (resident id order) and unmatched residents with their reason."""
    matched = np.flatnonzero(match_v >= 0)
    pairs = make_pairs(prep.scorer, prep.residents, prep.volunteers, matched, match_v[matched])
    degree = prep.candidates.degree
    unmatched = [
        Unmatched(prep.residents[i].id, REASON_NO_CANDIDATE if degree[i] == 0 else REASON_ALL_TAKEN)
        for i in np.flatnonzero(match_v < 0).tolist()
    ]
    return MatchResult(pairs, unmatched, len(pairs), math.fsum(p.score for p in pairs))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Suspend Python's cyclic garbage collector for the block.

    A solve allocates hundreds of thousands of small objects (the input's arrays, then one
    Pair per match) and no reference cycle; each allocation burst would otherwise trigger
    full collections that walk every live object (about half a second at 100,000 residents).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def solve_with_stats(
    residents: Sequence[Resident],
    volunteers: Sequence[Volunteer],
    excluded_pairs: Iterable[tuple[str, str]] = frozenset(),
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[MatchResult, EngineStats]:
    """Like solve(), also returning timings and solver statistics."""
    stats = EngineStats()
    with gc_paused():
        start = clock_now()
        prep = prepare(residents, volunteers, excluded_pairs, weights)
        stats.possible_pairs = prep.candidates.n_pairs
        mid = clock_now()
        match_v = optimal_assignment(
            prep.candidates, prep.scorer.vt.capacity, prep.scorer.max_units(), stats.solver
        )
        result = result_from_assignment(prep, match_v)
        end = clock_now()
    stats.candidates_s, stats.candidates_cpu_s = mid[0] - start[0], mid[1] - start[1]
    stats.solve_s, stats.solve_cpu_s = end[0] - mid[0], end[1] - mid[1]
    return result, stats


def solve(
    residents: Sequence[Resident],
    volunteers: Sequence[Volunteer],
    excluded_pairs: Iterable[tuple[str, str]] = frozenset(),
    weights: Weights = DEFAULT_WEIGHTS,
) -> MatchResult:
    """The exact optimum: most residents matched, then the largest total score.

    Each resident gets at most one volunteer, each volunteer at most `capacity` residents;
    a pair must satisfy rules 2-6 of the public matching rules. Pairs come in resident id
    order, unmatched residents too. Raises InvalidProblem on bad values.
    """
    return solve_with_stats(residents, volunteers, excluded_pairs, weights)[0]
