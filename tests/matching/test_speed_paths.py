"""The paths added for speed: Z-order node numbering, the GC pause, fast columns and points.

Each one must leave the answer unchanged; these tests compare it with the plain path. About
1.5 s in all. (The certify-and-repair loop itself is tested in test_solver.py.)
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from app.matching.candidates import point_ids
from app.matching.engine import gc_paused, prepare, solve_with_stats
from app.matching.geo import spatial_key
from app.matching.model import Weights
from app.matching.solver import solve_restricted

from .test_rules import _city
from .test_solver import all_pairs


def test_spatial_key_keeps_neighbours_close():
    lat = np.array([43.3012, 43.3018, 43.3012, 43.9012, -89.99, 89.99])
    lon = np.array([-0.3655, -0.3651, -0.3555, -0.3655, -179.99, 179.99])
    key = spatial_key(lat, lon)
    assert key[0] == key[1]  # same 0.01 degree cell
    assert abs(int(key[2]) - int(key[0])) < abs(int(key[3]) - int(key[0]))  # 0.8 km vs 66 km away
    assert key.min() >= 0 and key[5] > key[4]  # the whole globe fits, no overflow


@pytest.mark.parametrize("seed", [41, 42, 43])
def test_node_numbering_changes_nothing_but_speed(seed):
    residents, volunteers = _city(seed, n_res=300, n_vol=120)
    prep = prepare(residents, volunteers, frozenset(), Weights())
    full = all_pairs(prep.candidates)
    capacity = prep.scorer.vt.capacity
    plain = solve_restricted(full, capacity)
    keys = (prep.candidates.res_key, prep.candidates.vol_key)
    ordered = solve_restricted(full, capacity, keys)
    # Scrambled keys: any numbering is allowed, the optimum is the same.
    rng = np.random.default_rng(seed)
    scrambled = solve_restricted(full, capacity, (rng.permutation(keys[0]), rng.permutation(keys[1])))
    for used in (ordered, scrambled):
        assert used.sum() == plain.sum()
        assert full.s[used].sum() == full.s[plain].sum()
        assert np.all(np.bincount(full.v[used], minlength=capacity.size) <= capacity)
        assert np.unique(full.r[used]).size == used.sum()  # each resident at most once


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()


def test_solve_reports_wall_and_cpu_times():
    residents, volunteers = _city(45, n_res=100, n_vol=40)
    _, stats = solve_with_stats(residents, volunteers)
    assert stats.candidates_cpu_s > 0 and stats.solve_cpu_s > 0
    assert stats.candidates_s > 0 and stats.solve_s > 0
    solver = stats.solver
    assert set(solver.cpu_seconds) == set(solver.seconds) >= {"prices", "first solve", "certify"}
    assert all(t >= 0 for t in solver.cpu_seconds.values())


def test_point_ids_match_numpy_unique():
    rng = np.random.default_rng(46)
    for n in (1, 2, 7, 500):
        lat = np.round(rng.uniform(43.0, 43.5, n), 1)
        lon = np.round(rng.uniform(-0.5, 0.0, n), 1)
        index, points = point_ids(lat, lon)
        expected_points, expected_index = np.unique(np.column_stack([lat, lon]), axis=0, return_inverse=True)
        assert np.array_equal(points, expected_points)
        assert np.array_equal(index, expected_index.reshape(-1))
    index, points = point_ids(np.zeros(0), np.zeros(0))
    assert index.size == 0 and points.shape == (0, 2)
