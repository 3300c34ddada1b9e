"""Explained Pair objects (score parts, distance, shared slots and interests) for chosen pairs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .encode import ResidentTable, VolunteerTable
from .geo import haversine_km
from .model import SLOTS, Pair, Resident, ScoreParts, Volunteer
from .score import Scorer, distance_part, popcount


def make_pairs(
    scorer: Scorer,
    residents: Sequence[Resident],
    volunteers: Sequence[Volunteer],
    r_idx: NDArray[np.intp],
    v_idx: NDArray[np.intp],
) -> list[Pair]:
    """Pairs (r_idx[k], v_idx[k]) with full-precision scores, in the order given.

    The arithmetic is the same as in Scorer.block, term by term, so a pair's score here is
    exactly the float the candidates and the ranking saw.
    """
    rt: ResidentTable = scorer.rt
    vt: VolunteerTable = scorer.vt
    if len(r_idx) == 0:
        return []
    dist = haversine_km(rt.lat[r_idx], rt.lon[r_idx], vt.lat[v_idx], vt.lon[v_idx])
    wait = scorer.wait[r_idx]
    dpart = distance_part(scorer.weights, dist, vt.max_km[v_idx])
    slot_masks = rt.slots[r_idx] & vt.slots[v_idx]
    spart = scorer.slot_table[popcount(slot_masks)]
    n_int = popcount(rt.interests[r_idx] & vt.interests[v_idx]).sum(axis=1, dtype=np.int64)
    ipart = scorer.interest_table[n_int]
    score = wait + dpart + spart + ipart
    out = []
    for k, (r, v) in enumerate(zip(r_idx.tolist(), v_idx.tolist())):
        mask = int(slot_masks[k])
        out.append(
            Pair(
                resident=residents[r].id,
                volunteer=volunteers[v].id,
                score=float(score[k]),
                parts=ScoreParts(float(wait[k]), float(dpart[k]), float(spart[k]), float(ipart[k])),
                distance_km=float(dist[k]),
                shared_slots=tuple(s for i, s in enumerate(SLOTS) if mask >> i & 1),
                shared_interests=tuple(sorted(residents[r].interests & volunteers[v].interests)),
            )
        )
    return out
