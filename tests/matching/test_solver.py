"""The sparsify-and-certify loop gives the same optimum as one solve on every possible pair."""

from __future__ import annotations

import numpy as np
import pytest

from app.matching import prices
from app.matching import solver as solver_module
from app.matching.engine import prepare, solve_with_stats
from app.matching.model import Weights
from app.matching.solver import SolverStats, optimal_assignment, solve_restricted
from app.matching.solver_types import Edges

from .test_rules import _city


def all_pairs(candidates) -> Edges:
    rs, vs, ss = [], [], []
    for b in candidates.blocks:
        i, j = np.nonzero(b.units >= 0)
        rs.append(b.rows[i])
        vs.append(b.cols[j])
        ss.append(b.units[i, j])
    return Edges.sorted(*(np.concatenate(x).astype(np.int64) for x in (rs, vs, ss)))


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("first", [1, 2, 8])
@pytest.mark.parametrize("region", [0.0, 1.0])
def test_same_optimum_as_full_graph(seed, first, region, monkeypatch):
    residents, volunteers = _city(seed, n_res=400, n_vol=150)
    prep = prepare(residents, volunteers, frozenset(), Weights())
    full = all_pairs(prep.candidates)
    used = solve_restricted(full, prep.scorer.vt.capacity)
    monkeypatch.setattr(prices, "BY_VALUE", first // 2)
    monkeypatch.setattr(prices, "BY_SCORE", first - first // 2)
    monkeypatch.setattr(solver_module, "ADDED_PER_ROW", 1 if first == 1 else 3)
    monkeypatch.setattr(solver_module, "REGION_MAX_FRACTION", region)
    stats = SolverStats()
    match_v = optimal_assignment(prep.candidates, prep.scorer.vt.capacity, prep.scorer.max_units(), stats)
    chosen = match_v[full.r] == full.v
    assert chosen.sum() == used.sum()  # same number of matched residents
    assert full.s[chosen].sum() == full.s[used].sum()  # same total, in solver units
    if first == 1:
        assert stats.rounds > 1 and stats.added[0] > 0  # the loop really had to add pairs
        assert (stats.region_solves > 0) == (region == 1.0)


def test_same_optimum_as_full_graph_on_a_bigger_city():
    residents, volunteers = _city(31, n_res=3000, n_vol=1200)
    prep = prepare(residents, volunteers, frozenset(), Weights())
    full = all_pairs(prep.candidates)
    used = solve_restricted(full, prep.scorer.vt.capacity)
    match_v = optimal_assignment(prep.candidates, prep.scorer.vt.capacity, prep.scorer.max_units())
    chosen = match_v[full.r] == full.v
    assert (chosen.sum(), full.s[chosen].sum()) == (used.sum(), full.s[used].sum())


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_too_small_repair_falls_back_to_a_full_solve(seed, monkeypatch):
    """With regions cut to the new pairs' own volunteers, repairs often fall short: the dual
    check must notice and the loop must still end on the optimum."""
    residents, volunteers = _city(seed, n_res=400, n_vol=150)
    prep = prepare(residents, volunteers, frozenset(), Weights())
    full = all_pairs(prep.candidates)
    used = solve_restricted(full, prep.scorer.vt.capacity)
    monkeypatch.setattr(prices, "BY_VALUE", 0)
    monkeypatch.setattr(prices, "BY_SCORE", 1)
    monkeypatch.setattr(solver_module, "ADDED_PER_ROW", 1)
    monkeypatch.setattr(solver_module, "REGION_MAX_FRACTION", 1.0)
    monkeypatch.setattr(solver_module, "REGION_REACH", 0.0)
    stats = SolverStats()
    match_v = optimal_assignment(prep.candidates, prep.scorer.vt.capacity, prep.scorer.max_units(), stats)
    chosen = match_v[full.r] == full.v
    assert chosen.sum() == used.sum()
    assert full.s[chosen].sum() == full.s[used].sum()
    assert stats.region_solves > 0 and stats.full_solves > 1  # a repair fell short, was caught


def test_stats_are_reported():
    residents, volunteers = _city(13, n_res=200, n_vol=80)
    result, stats = solve_with_stats(residents, volunteers)
    assert stats.possible_pairs > 0 and stats.solver.rounds >= 1
    assert stats.solver.added[-1] == 0  # the last round found nothing to add: certified
    assert result.matched > 0
