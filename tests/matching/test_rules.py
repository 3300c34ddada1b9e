"""Possibility rules, score formula, distances, unmatched reasons, determinism, capacities."""

from __future__ import annotations

import random

import numpy as np
import pytest

from app.matching import (
    SLOTS,
    InvalidProblem,
    Resident,
    ScoreParts,
    Unmatched,
    Volunteer,
    Weights,
    rank_candidates,
    solve,
)
from app.matching.geo import haversine_km

from .oracle import great_circle_km

PAU = (43.32002, -0.35034)
BILLERE = (43.30453, -0.39349)


def res(rid="r1", at=PAU, slots=("mon-am",), langs=("fr",), interests=(), gender=None, waiting=0) -> Resident:
    return Resident(rid, at[0], at[1], frozenset(slots), frozenset(langs), frozenset(interests), gender, waiting)


def vol(vid="v1", at=PAU, slots=("mon-am",), langs=("fr",), interests=(), gender="f", cap=1, km=5.0) -> Volunteer:
    return Volunteer(vid, at[0], at[1], frozenset(slots), frozenset(langs), frozenset(interests), gender, cap, km)


def pairs_of(result) -> set[tuple[str, str]]:
    return {(p.resident, p.volunteer) for p in result.pairs}


# --- distances ---------------------------------------------------------------------------

def test_haversine_pau_billere():
    d = float(haversine_km(*PAU, *BILLERE))
    assert d == pytest.approx(3.8930, abs=5e-4)  # about 3.9 km between the two town halls
    # Cross-check with the spherical law of cosines (another formula, same sphere).
    p1, p2 = np.radians(PAU[0]), np.radians(BILLERE[0])
    dl = np.radians(BILLERE[1] - PAU[1])
    cosines = 6371.0088 * np.arccos(np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl))
    assert d == pytest.approx(cosines, rel=1e-6)
    assert d == pytest.approx(great_circle_km(*PAU, *BILLERE), rel=1e-12)


def test_haversine_vectorised_and_symmetric():
    lat = np.array([PAU[0], BILLERE[0], 0.0, 89.9])
    lon = np.array([PAU[1], BILLERE[1], 179.9, -10.0])
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    assert d.shape == (4, 4)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)
    antipode = float(haversine_km(0.0, 0.0, 0.0, 180.0))
    assert antipode == pytest.approx(np.pi * 6371.0088)


# --- possibility rules ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "resident, volunteer",
    [
        (res(at=PAU), vol(at=BILLERE, km=3.0)),  # rule 2: 3.89 km > 3 km
        (res(slots=("mon-am",)), vol(slots=("mon-pm",))),  # rule 3: no shared slot
        (res(langs=("fr",)), vol(langs=("es", "en"))),  # rule 4: no shared language
        (res(gender="f"), vol(gender="m")),  # rule 5
        (res(gender="m"), vol(gender=None)),  # rule 5: a wish is not met by "not given"
        (res(), vol(cap=0)),  # no free place
    ],
)
def test_impossible_pairs(resident, volunteer):
    result = solve([resident], [volunteer])
    assert result.pairs == [] and result.unmatched == [Unmatched(resident.id, "no_candidate")]
    assert rank_candidates(resident, [volunteer]) == []


def test_rule_6_excluded_pair():
    r = res()
    result = solve([r], [vol("v1"), vol("v2")], excluded_pairs={("r1", "v1")})
    assert pairs_of(result) == {("r1", "v2")}
    assert solve([r], [vol("v1")], excluded_pairs={("r1", "v1")}).unmatched == [Unmatched("r1", "no_candidate")]
    # Pairs naming unknown people are ignored, not errors.
    assert pairs_of(solve([r], [vol("v1")], excluded_pairs={("rX", "v1"), ("r1", "vX")})) == {("r1", "v1")}


def test_gender_wish_met_and_no_wish():
    assert pairs_of(solve([res(gender="f")], [vol(gender="f")])) == {("r1", "v1")}
    assert pairs_of(solve([res(gender=None)], [vol(gender=None)])) == {("r1", "v1")}
    assert pairs_of(solve([res(gender=None)], [vol(gender="m")])) == {("r1", "v1")}


def test_distance_boundary_is_inclusive():
    d = float(haversine_km(*PAU, *BILLERE))
    r = res(at=PAU)
    assert pairs_of(solve([r], [vol(at=BILLERE, km=d)])) == {("r1", "v1")}
    just_below = float(np.nextafter(d, 0.0))
    assert solve([r], [vol(at=BILLERE, km=just_below)]).matched == 0
    ranked = rank_candidates(r, [vol(at=BILLERE, km=d)])
    assert len(ranked) == 1 and ranked[0].parts.distance == 0.0


def test_zero_max_km_reaches_only_the_same_point_with_full_distance_weight():
    r = res(at=PAU, waiting=0)
    result = solve([r], [vol("v1", at=PAU, km=0.0), vol("v2", at=BILLERE, km=0.0)])
    assert pairs_of(result) == {("r1", "v1")}
    assert result.pairs[0].parts.distance == 25.0


# --- score ---------------------------------------------------------------------------------

def test_score_hand_computed():
    r = res(at=PAU, slots=("mon-am", "tue-pm", "wed-eve"), interests=("jeux", "lecture", "rugby", "tricot"), waiting=90)
    v = vol(at=BILLERE, slots=("mon-am", "wed-eve", "sun-am"), interests=("jeux", "lecture", "rugby", "tricot"), km=10.0)
    [p] = rank_candidates(r, [v])
    d = float(haversine_km(*PAU, *BILLERE))
    assert p.distance_km == d
    assert p.parts == ScoreParts(20.0, 25 * (1 - d / 10.0), 20 * 2 / 3, 15.0)
    assert p.score == pytest.approx(20 + 25 * (1 - 0.38929634876) + 13.3333333333 + 15, abs=1e-6)
    assert p.shared_slots == ("mon-am", "wed-eve")  # calendar order
    assert p.shared_interests == ("jeux", "lecture", "rugby", "tricot")  # sorted
    assert solve([r], [v]).total_score == p.score


def test_score_caps():
    many_slots = SLOTS[:6]
    r = res(slots=many_slots, interests=tuple("abcdef"), waiting=500)
    v = vol(slots=many_slots, interests=tuple("abcdef"))
    [p] = rank_candidates(r, [v])
    assert p.parts == ScoreParts(40.0, 25.0, 20.0, 15.0) and p.score == 100.0
    [p180] = rank_candidates(res(waiting=180), [vol()])
    assert p180.parts.waiting == 40.0
    [p0] = rank_candidates(res(waiting=0), [vol()])
    assert p0.parts == ScoreParts(0.0, 25.0, 20 / 3, 0.0)


def test_score_with_other_weights():
    w = Weights(waiting=10, distance=0, slots=30, interests=60)
    r = res(slots=("mon-am", "mon-pm"), interests=("a", "b"), waiting=45)
    v = vol(at=BILLERE, slots=("mon-am", "mon-pm"), interests=("a",), km=8.0)
    [p] = rank_candidates(r, [v], weights=w)
    assert p.parts == ScoreParts(2.5, 0.0, 20.0, 20.0)
    assert p.score == pytest.approx(42.5)


def test_negative_weight_rejected():
    with pytest.raises(InvalidProblem, match='"distance"'):
        Weights(distance=-1)


# --- objective, reasons, capacity, determinism ----------------------------------------------

def test_more_matches_beat_a_higher_score():
    # r1 prefers v1 by far, but only r1 -> v2 and r2 -> v1 matches both residents.
    r1 = res("r1", slots=("mon-am", "tue-am", "wed-am"), interests=("a", "b", "c"), waiting=180)
    r2 = res("r2", slots=("mon-am",), waiting=0)
    v1 = vol("v1", slots=("mon-am", "tue-am", "wed-am"), interests=("a", "b", "c"))
    v2 = vol("v2", at=BILLERE, slots=("tue-am",), km=4.0)
    result = solve([r1, r2], [v1, v2])
    assert pairs_of(result) == {("r1", "v2"), ("r2", "v1")}
    assert result.matched == 2 and result.unmatched == []


def test_higher_total_score_among_equal_counts():
    r1 = res("r1", slots=("mon-am",), interests=("a",))
    r2 = res("r2", slots=("mon-am",), interests=("b",))
    v1 = vol("v1", interests=("a",))
    v2 = vol("v2", interests=("b",))
    assert pairs_of(solve([r1, r2], [v1, v2])) == {("r1", "v1"), ("r2", "v2")}


def test_unmatched_reasons():
    r1, r2, r3 = res("r1", waiting=10), res("r2", waiting=5), res("r3", langs=("eu",))
    result = solve([r1, r2, r3], [vol("v1", cap=1)])
    assert result.matched == 1
    assert result.pairs[0].resident == "r1"  # same pair score otherwise: the longer wait wins
    assert result.unmatched == [Unmatched("r2", "all_taken"), Unmatched("r3", "no_candidate")]


def test_capacity_above_one():
    residents = [res(f"r{i}", waiting=i) for i in range(5)]
    result = solve(residents, [vol("v1", cap=3)])
    assert result.matched == 3
    assert {p.resident for p in result.pairs} == {"r2", "r3", "r4"}
    assert [u.reason for u in result.unmatched] == ["all_taken", "all_taken"]
    two = solve(residents, [vol("v1", cap=2), vol("v2", cap=2)])
    assert two.matched == 4
    assert max(sum(p.volunteer == v for p in two.pairs) for v in ("v1", "v2")) == 2


def _city(seed: int, n_res: int = 60, n_vol: int = 30) -> tuple[list[Resident], list[Volunteer]]:
    rng = random.Random(seed)
    points = [(43.30 + rng.uniform(-0.05, 0.05), -0.37 + rng.uniform(-0.07, 0.07)) for _ in range(8)]
    slots = SLOTS[:6]
    residents = [
        res(f"r{i}", at=rng.choice(points), slots=rng.sample(slots, 2), langs=rng.choice([("fr",), ("fr", "es"), ("es",)]),
            interests=rng.sample("abcdef", 2), gender=rng.choice([None, None, "f"]), waiting=rng.randrange(300))
        for i in range(n_res)
    ]
    volunteers = [
        vol(f"v{j}", at=rng.choice(points), slots=rng.sample(slots, 3), langs=rng.choice([("fr",), ("fr", "es")]),
            interests=rng.sample("abcdef", 2), gender=rng.choice(["f", "m", None]), cap=rng.randrange(4),
            km=rng.choice([2.0, 5.0, 8.0]))
        for j in range(n_vol)
    ]
    return residents, volunteers


def test_deterministic_and_independent_of_input_order():
    residents, volunteers = _city(1)
    first = solve(residents, volunteers)
    assert solve(residents, volunteers) == first
    rng = random.Random(2)
    for _ in range(3):
        r, v = residents[:], volunteers[:]
        rng.shuffle(r)
        rng.shuffle(v)
        assert solve(r, v) == first
    assert [p.resident for p in first.pairs] == sorted(p.resident for p in first.pairs)


def test_result_totals_are_consistent():
    residents, volunteers = _city(3)
    result = solve(residents, volunteers)
    assert result.matched == len(result.pairs)
    assert len(result.pairs) + len(result.unmatched) == len(residents)
    assert result.total_score == pytest.approx(sum(p.score for p in result.pairs))
    for p in result.pairs:
        assert p.score == pytest.approx(sum(vars(p.parts).values()))


# --- rank_candidates -----------------------------------------------------------------------

def test_rank_candidates_order_and_content():
    r = res(slots=("mon-am", "tue-am"), interests=("a", "b"), waiting=36)
    volunteers = [
        vol("v3", slots=("mon-am",)),  # 8 + 25 + 6.67
        vol("v1", slots=("mon-am",)),  # same score as v3: id order breaks the tie
        vol("v2", slots=("mon-am", "tue-am"), interests=("a",)),  # best
        vol("v4", slots=("sun-eve",)),  # impossible: no shared slot
        vol("v5", cap=0),  # impossible: full
        vol("v6", at=BILLERE, slots=("mon-am",), km=5.0),  # possible, farther
    ]
    ranked = rank_candidates(r, volunteers, excluded_pairs={("r1", "v7"), ("r2", "v6")})
    assert [p.volunteer for p in ranked] == ["v2", "v1", "v3", "v6"]
    assert all(p.resident == "r1" for p in ranked)
    assert ranked[0].parts == ScoreParts(8.0, 25.0, 40 / 3, 5.0)
    assert ranked[0].shared_slots == ("mon-am", "tue-am") and ranked[0].shared_interests == ("a",)
    assert ranked[1].score == ranked[2].score > ranked[3].score
    assert [p.volunteer for p in rank_candidates(r, volunteers, excluded_pairs={("r1", "v2")})] == ["v1", "v3", "v6"]


def test_rank_scores_equal_solve_scores():
    residents, volunteers = _city(4)
    result = solve(residents, volunteers)
    for p in result.pairs[:10]:
        r = next(x for x in residents if x.id == p.resident)
        ranked = {q.volunteer: q for q in rank_candidates(r, volunteers)}
        assert ranked[p.volunteer] == p


# --- bad values given to the API -----------------------------------------------------------

@pytest.mark.parametrize(
    "residents, volunteers, message",
    [
        ([res("r1"), res("r1")], [], 'residents[1] (id "r1"): field "id": duplicate id "r1"'),
        ([res(slots=("mon-night",))], [], 'field "slots": unknown slot "mon-night"'),
        ([res(at=(91.0, 0.0))], [], 'field "lat"'),
        ([], [vol(at=(0.0, -180.5))], 'volunteers[0] (id "v1"): field "lon"'),
        ([], [vol(cap=-1)], 'field "capacity": must be >= 0'),
        ([], [vol(km=-0.5)], 'field "max_km"'),
        ([], [vol(km=float("inf"))], 'field "max_km"'),
        ([res(waiting=-3)], [], 'field "waiting_days"'),
        ([res(gender="x")], [], 'field "volunteer_gender"'),
    ],
)
def test_solve_rejects_bad_values(residents, volunteers, message):
    with pytest.raises(InvalidProblem) as err:
        solve(residents, volunteers)
    assert message in str(err.value)
