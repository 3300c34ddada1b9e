"""A good first set of pairs for the exact solver, from approximate volunteer prices.

The optimum rarely gives a resident their best-scoring volunteer: popular volunteers are
wanted by many. What decides is a pair's score minus the volunteer's "price" (the dual value
of their capacity). We estimate those prices cheaply with a tatonnement (raise the price of a
volunteer wanted by more residents than they have places, lower it otherwise) on each
resident's best pairs, then start the solver from each resident's best pairs by score minus
price, plus their best by score. This is only a starting point: solver.py certifies the
result on all pairs and adds whatever is missing, so these heuristics never change the optimum,
only how fast it is found.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .candidates import Candidates
from .score import UNITS_PER_TOTAL

TOP_PER_RESIDENT = 32  # pairs per resident that the price estimate looks at
PRICE_ROUNDS = 45
FIRST_STEP = 0.02 * UNITS_PER_TOTAL  # price move for a volunteer wanted twice over, at first
LAST_STEP = 0.001 * UNITS_PER_TOTAL
BY_VALUE = 8  # first pairs per resident: best by score minus price ...
BY_SCORE = 1  # ... and the best by score alone


def top_table(cands: Candidates, width: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each resident's `width` best pairs: volunteer and integer score, -1 where fewer."""
    n = cands.degree.size
    vols = np.full((n, width), -1, dtype=np.int64)
    units = np.full((n, width), -1, dtype=np.int64)
    for b in cands.blocks:
        k = min(width, b.cols.size)
        if b.cols.size > k:
            top = np.argpartition(-b.units, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(k), (b.rows.size, k))
        s = np.take_along_axis(b.units, top, axis=1)
        vols[b.rows, :k] = np.where(s >= 0, b.cols[top], -1)
        units[b.rows, :k] = s
    return vols, units


def market_prices(
    vols: NDArray[np.int64], units: NDArray[np.int64], capacity: NDArray[np.int64], rounds: int = PRICE_ROUNDS
) -> NDArray[np.float64]:
    """Approximate volunteer prices (in score units) by tatonnement on the table's pairs."""
    width = vols.shape[1]
    valid = vols >= 0
    safe_vols = np.where(valid, vols, 0)
    # float32 halves the memory traffic of the loop; prices only need to be roughly right.
    value = np.where(valid, units, -1e30).astype(np.float32)
    price = np.zeros(capacity.size, dtype=np.float32)
    places = np.maximum(capacity, 1).astype(np.float32)
    has_any = valid.any(axis=1)
    wanted_rows = np.flatnonzero(has_any)
    flat_vols = safe_vols[wanted_rows]
    flat_value = value[wanted_rows]
    offsets = np.arange(wanted_rows.size) * width
    buffer = np.empty(flat_vols.shape, dtype=np.float32)  # reused: fresh 10 MB arrays are slow
    for k in range(rounds):
        np.take(price, flat_vols, out=buffer)
        np.subtract(flat_value, buffer, out=buffer)
        best = np.argmax(buffer, axis=1)
        wanted = np.bincount(flat_vols.ravel()[offsets + best], minlength=capacity.size)
        # A shrinking step lets the prices settle instead of oscillating.
        step = FIRST_STEP + (LAST_STEP - FIRST_STEP) * k / max(rounds - 1, 1)
        price = np.maximum(np.float32(0.0), price + np.float32(step) * (wanted - capacity) / places)
    return price.astype(np.float64)


def first_pairs(
    vols: NDArray[np.int64], units: NDArray[np.int64], price: NDArray[np.float64],
    by_value: int = BY_VALUE, by_score: int = BY_SCORE,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(resident, volunteer, units) of each resident's best pairs by value and by score."""
    valid = vols >= 0
    value = np.where(valid, units - price[np.where(valid, vols, 0)], -np.inf)
    keep = np.zeros(vols.shape, dtype=np.bool_)
    for key, k in ((value, by_value), (np.where(valid, units, -1), by_score)):
        k = min(k, vols.shape[1])
        if k > 0:
            top = np.argpartition(-key, k - 1, axis=1)[:, :k]
            np.put_along_axis(keep, top, True, axis=1)
    i, j = np.nonzero(keep & valid)
    return i.astype(np.int64), vols[i, j], units[i, j]
