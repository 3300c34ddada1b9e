"""The public score formula and the possibility rules 2-5, vectorised over blocks of pairs.

One code path computes every score (solve, rank_candidates, greedy), so the same pair always
gets bit-for-bit the same float, whichever entry point asked for it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .encode import ResidentTable, VolunteerTable
from .model import SHARED_INTERESTS_CAP, SHARED_SLOTS_CAP, WAITING_CAP_DAYS, Weights

# Integer score resolution used by the exact solver: the largest possible score (the sum of the
# weights) is worth this many units, i.e. one unit is 0.0001 point with the default weights.
# Each of the four parts is rounded to the nearest unit, so a pair's integer score is within
# 2 units of its exact score times units_per_point.
UNITS_PER_TOTAL = 1_000_000


def popcount(a: NDArray[np.integer]) -> NDArray[np.uint8]:
    """Number of set bits of each element."""
    return np.bitwise_count(a)


def count_table(weight: float, cap: int) -> NDArray[np.float64]:
    """Score part for 0..64 shared items: weight * min(k, cap) / cap (written as in the formula)."""
    return np.array([weight * min(k, cap) / cap for k in range(65)], dtype=np.float64)


def waiting_part(weights: Weights, days: NDArray[np.int64]) -> NDArray[np.float64]:
    """weights.waiting * min(days, 180) / 180."""
    return weights.waiting * np.minimum(days, WAITING_CAP_DAYS).astype(np.float64) / WAITING_CAP_DAYS


def distance_part(weights: Weights, dist_km: NDArray[np.float64], max_km: NDArray[np.float64]) -> NDArray[np.float64]:
    """weights.distance * (1 - d / max_km); full weight when max_km is 0 (then d is 0 too).

    A volunteer who will travel 0 km only reaches residents on their own point; giving that
    pair the whole distance weight avoids 0/0 and matches the limit of the formula at d = 0.
    """
    safe = np.where(max_km > 0, max_km, 1.0)
    return np.where(max_km > 0, weights.distance * (1.0 - dist_km / safe), float(weights.distance))


def shared_count(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """Number of shared words between bitset rows a (n, W) and b (m, W), as an (n, m) matrix."""
    total = popcount(a[:, 0, None] & b[None, :, 0])
    for w in range(1, a.shape[1]):
        total += popcount(a[:, w, None] & b[None, :, w])
    return total


def share_any(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> NDArray[np.bool_]:
    """Whether bitset rows a (n, W) and b (m, W) share at least one word, as an (n, m) matrix."""
    out = (a[:, 0, None] & b[None, :, 0]) != 0
    for w in range(1, a.shape[1]):
        out |= (a[:, w, None] & b[None, :, w]) != 0
    return out


class Scorer:
    """Scores blocks of pairs (some residents x some volunteers) with fixed weights."""

    def __init__(self, rt: ResidentTable, vt: VolunteerTable, weights: Weights) -> None:
        self.rt, self.vt, self.weights = rt, vt, weights
        self.wait = waiting_part(weights, rt.waiting_days)
        self.slot_table = count_table(weights.slots, SHARED_SLOTS_CAP)
        self.interest_table = count_table(weights.interests, SHARED_INTERESTS_CAP)
        total = weights.total
        # With all weights 0 every score is 0 and any maximum-cardinality set is optimal.
        self.units_per_point = UNITS_PER_TOTAL / total if total > 0 else 0.0
        # Integer parts for the solver: each part is rounded to the nearest unit on its own,
        # so that a block's integer scores are sums of small integers (fast, exact in int32).
        self.wait_units = self._to_units(self.wait)
        self.slot_units = self._to_units(self.slot_table)
        self.interest_units = self._to_units(self.interest_table)
        # 21-bit slot masks fit int32: half the memory traffic of int64 over millions of pairs.
        self.r_slots32, self.v_slots32 = rt.slots.astype(np.int32), vt.slots.astype(np.int32)

    def _to_units(self, part: NDArray[np.float64]) -> NDArray[np.int32]:
        return np.rint(part * self.units_per_point).astype(np.int32)

    def possible(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Rules 3-5 for rows x cols (rule 2, capacity and rule 6 are the caller's)."""
        rt, vt = self.rt, self.vt
        ok = (rt.slots[rows, None] & vt.slots[None, cols]) != 0
        ok &= share_any(rt.languages[rows], vt.languages[cols])
        pref = rt.gender_pref[rows, None]
        ok &= (pref == 0) | (pref == vt.gender[None, cols])
        return ok

    def block_units(
        self, rows: NDArray[np.intp], cols: NDArray[np.intp], dist_km: NDArray[np.float64]
    ) -> NDArray[np.int32]:
        """Integer scores of rows x cols, -1 where rules 3-5 fail or the pair is out of reach.

        `dist_km` is per column (all rows on one point), or per pair with inf out of reach.
        """
        rt, vt = self.rt, self.vt
        reach = np.isfinite(dist_km)
        dist = self._to_units(distance_part(self.weights, np.where(reach, dist_km, 0.0), vt.max_km[cols]))
        shared_slots = self.r_slots32[rows, None] & self.v_slots32[None, cols]
        units = self.slot_units[popcount(shared_slots)]
        units += self.interest_units[shared_count(rt.interests[rows], vt.interests[cols])]
        units += self.wait_units[rows, None]
        units += dist if dist.ndim == 2 else dist[None, :]
        ok = shared_slots != 0
        if dist_km.ndim == 2:
            ok &= reach
        ok &= share_any(rt.languages[rows], vt.languages[cols])
        pref = rt.gender_pref[rows, None]
        ok &= (pref == 0) | (pref == vt.gender[None, cols])
        np.putmask(units, ~ok, -1)
        return units

    def max_units(self) -> int:
        """Largest integer score a pair can get."""
        return int(self.wait_units.max(initial=0)) + int(self._to_units(np.array([self.weights.distance]))[0]) + int(
            self.slot_units[-1]
        ) + int(self.interest_units[-1])
