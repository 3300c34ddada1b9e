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
    shared_int = rt.interests[r_idx] & vt.interests[v_idx]
    int_keys = shared_int[:, 0].tolist() if shared_int.shape[1] == 1 else list(map(tuple, shared_int.tolist()))
    # Many pairs share the same slot or interest pattern: decode each pattern once.
    slot_names: dict[int, tuple[str, ...]] = {}
    interest_names: dict = {}
    out = []
    columns = zip(
        r_idx.tolist(), v_idx.tolist(), score.tolist(), wait.tolist(), dpart.tolist(), spart.tolist(),
        ipart.tolist(), dist.tolist(), slot_masks.tolist(), int_keys, strict=True,
    )
    for r, v, sc, w, d, sl, it, km, mask, ikey in columns:
        slots = slot_names.get(mask)
        if slots is None:
            slots = slot_names[mask] = tuple(name for i, name in enumerate(SLOTS) if mask >> i & 1)
        names = interest_names.get(ikey)
        if names is None:
            names = interest_names[ikey] = tuple(sorted(residents[r].interests & volunteers[v].interests))
        out.append(Pair(residents[r].id, volunteers[v].id, sc, ScoreParts(w, d, sl, it), km, slots, names))
    return out
