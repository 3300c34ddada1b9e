"""The engine's optimum against a brute force, an independent solver, and the greedy baseline.

Tolerance: the engine optimises integer scores in which each of the four parts is rounded to
1/UNITS_PER_TOTAL of the largest possible score (solver.py), so a pair's integer score is
within 2 units of its exact score, and the engine's true total can trail the true optimum by
at most 4 units per matched resident, i.e. k * 4 * weights.total / UNITS_PER_TOTAL points;
we allow that plus float noise. The number of matched residents must be equal exactly.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.matching import SLOTS, Resident, Volunteer, Weights, prices, solve
from app.matching import solver as solver_module
from app.matching.greedy import greedy_match
from app.matching.score import UNITS_PER_TOTAL

from .oracle import assignment_optimum, brute_force, possible, score

# A few neighbourhood points 0.5-9 km apart, so that people share points as in real data.
POINTS = [(43.3200, -0.3503), (43.3045, -0.3935), (43.2951, -0.3708), (43.3300, -0.3200), (43.2700, -0.4100)]
FEW_SLOTS = SLOTS[:5]  # few slots, so that overlaps (and conflicts) are frequent
IDS = st.integers(0, 10**6)


def residents_st(max_size: int):
    person = st.builds(
        lambda at, slots, langs, interests, gender, waiting: (at, slots, langs, interests, gender, waiting),
        st.sampled_from(POINTS),
        st.frozensets(st.sampled_from(FEW_SLOTS), max_size=4),
        st.frozensets(st.sampled_from(["fr", "es", "oc"]), min_size=1, max_size=2),
        st.frozensets(st.sampled_from("abcde"), max_size=4),
        st.sampled_from([None, None, "f", "m"]),
        st.integers(0, 400),
    )
    return st.lists(person, max_size=max_size).map(
        lambda rows: [Resident(f"r{i}", at[0], at[1], *rest) for i, (at, *rest) in enumerate(rows)]
    )


def volunteers_st(max_size: int):
    person = st.builds(
        lambda at, slots, langs, interests, gender, cap, km: (at, slots, langs, interests, gender, cap, km),
        st.sampled_from(POINTS),
        st.frozensets(st.sampled_from(FEW_SLOTS), max_size=4),
        st.frozensets(st.sampled_from(["fr", "es", "oc"]), min_size=1, max_size=2),
        st.frozensets(st.sampled_from("abcde"), max_size=4),
        st.sampled_from([None, "f", "m"]),
        st.integers(0, 3),
        st.sampled_from([0.0, 1.0, 3.0, 6.0, 12.0]),
    )
    return st.lists(person, max_size=max_size).map(
        lambda rows: [Volunteer(f"v{j}", at[0], at[1], *rest) for j, (at, *rest) in enumerate(rows)]
    )


weights_st = st.one_of(
    st.just(Weights()),
    st.builds(Weights, *(st.sampled_from([0.0, 1.0, 7.5, 40.0]) for _ in range(4))),
)


@st.composite
def problems(draw, max_res: int, max_vol: int):
    residents = draw(residents_st(max_res))
    volunteers = draw(volunteers_st(max_vol))
    pairs = [(r.id, v.id) for r in residents for v in volunteers]
    excluded = frozenset(draw(st.lists(st.sampled_from(pairs), max_size=3))) if pairs else frozenset()
    return residents, volunteers, excluded, draw(weights_st)


def tolerance(matched: int, weights: Weights) -> float:
    return matched * 4 * weights.total / UNITS_PER_TOTAL + 1e-9


def check_result(result, residents, volunteers, excluded, weights) -> None:
    """Every pair possible, scored right, within capacities; reasons right."""
    by_r = {r.id: r for r in residents}
    by_v = {v.id: v for v in volunteers}
    load: dict[str, int] = {}
    for p in result.pairs:
        r, v = by_r[p.resident], by_v[p.volunteer]
        assert possible(r, v, excluded)
        assert p.score == pytest.approx(score(r, v, weights), abs=1e-9)
        load[v.id] = load.get(v.id, 0) + 1
    assert all(load[v] <= by_v[v].capacity for v in load)
    assert len({p.resident for p in result.pairs}) == result.matched == len(result.pairs)
    for u in result.unmatched:
        has_any = any(possible(by_r[u.resident], v, excluded) for v in volunteers)
        assert u.reason == ("all_taken" if has_any else "no_candidate")


# Also start from one pair per resident (so that the certify-and-add loop really works), with
# region repairs or with full solves only.
@pytest.fixture(params=["default", "one-pair-region", "one-pair-full"])
def start(request, monkeypatch):
    if request.param != "default":
        monkeypatch.setattr(prices, "BY_VALUE", 0)
        monkeypatch.setattr(prices, "BY_SCORE", 1)
        monkeypatch.setattr(solver_module, "ADDED_PER_ROW", 1)
    if request.param == "one-pair-region":
        monkeypatch.setattr(solver_module, "REGION_MAX_FRACTION", 1.0)
    if request.param == "one-pair-full":
        monkeypatch.setattr(solver_module, "REGION_MAX_FRACTION", 0.0)
    return request.param


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems(max_res=6, max_vol=4))
def test_equals_brute_force(start, problem):
    residents, volunteers, excluded, weights = problem
    result = solve(residents, volunteers, excluded, weights)
    check_result(result, residents, volunteers, excluded, weights)
    matched, total = brute_force(residents, volunteers, excluded, weights)
    assert result.matched == matched
    assert result.total_score == pytest.approx(total, abs=tolerance(matched, weights))


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems(max_res=12, max_vol=7))
def test_equals_independent_solver_and_beats_greedy(start, problem):
    residents, volunteers, excluded, weights = problem
    result = solve(residents, volunteers, excluded, weights)
    check_result(result, residents, volunteers, excluded, weights)
    matched, total = assignment_optimum(residents, volunteers, excluded, weights)
    assert result.matched == matched
    assert result.total_score == pytest.approx(total, abs=tolerance(matched, weights))
    greedy = greedy_match(residents, volunteers, excluded, weights)
    check_result(greedy, residents, volunteers, excluded, weights)
    assert result.matched >= greedy.matched
    if result.matched == greedy.matched:
        assert result.total_score >= greedy.total_score - tolerance(matched, weights)
