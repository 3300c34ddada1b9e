"""Dual prices that prove a restricted solution optimal, or None when it is not.

For the single objective W = BIG + s (solver.py) the LP dual has a value u_r >= 0 per resident
and a price p_v >= 0 per volunteer with u_r + p_v >= W_rv on every pair. Given a solution
optimal on the pairs E', the smallest such prices are longest alternating paths: p_v is the
largest total gain of a chain of moves ending with one more resident on v, starting either
from nothing (price 0) or from an unmatched resident r0 taking v1 (gain W). A matched
resident r (on v) gives an arc v -> v' of length s(r, v') - s(r, v). Bellman-Ford on these
arcs converges iff there is no improving cycle; we then also check complementary slackness
(a volunteer with a free place has price 0, u >= 0). Any failure means the solution is not
optimal on E', and the caller solves E' again from scratch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .solver_types import Edges, ranges

# Bellman-Ford budget before we call it an improving cycle: rounds, and arcs looked at (in
# multiples of the arcs of E'). On an optimal solution it settles within a few dozen rounds and
# a couple of passes' worth of arcs; a false alarm only costs one extra full solve, never a
# wrong answer.
MAX_PATH_ROUNDS = 500
MAX_PATH_WORK = 10


def assignment(edges: Edges, used: NDArray[np.bool_], n_res: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Volunteer (-1 if none) and integer score of each resident's used edge."""
    match_v = np.full(n_res, -1, dtype=np.int64)
    match_s = np.zeros(n_res, dtype=np.int64)
    match_v[edges.r[used]] = edges.v[used]
    match_s[edges.r[used]] = edges.s[used]
    return match_v, match_s


def dual_prices(
    edges: Edges, used: NDArray[np.bool_], capacity: NDArray[np.int64], n_res: int, big: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """(p, u - BIG) proving `used` optimal on `edges`, or None if it is not optimal there."""
    n_vol = capacity.size
    match_v, match_s = assignment(edges, used, n_res)
    price = np.zeros(n_vol, dtype=np.int64)
    free = match_v[edges.r] < 0
    np.maximum.at(price, edges.v[free], big + edges.s[free])
    arc = (~free) & (~used)
    tail = match_v[edges.r[arc]]
    order = np.argsort(tail, kind="stable")
    tail, head = tail[order], edges.v[arc][order]
    length = (edges.s[arc] - match_s[edges.r[arc]])[order]
    ptr = np.searchsorted(tail, np.arange(n_vol + 1))
    frontier = np.unique(tail)
    work_left = MAX_PATH_WORK * max(tail.size, 1)
    for _ in range(MAX_PATH_ROUNDS):
        idx = ranges(ptr[frontier], ptr[frontier + 1])
        work_left -= idx.size
        if work_left < 0:
            return None
        gain = price[tail[idx]] + length[idx]
        better = gain > price[head[idx]]
        if not better.any():
            break
        heads = head[idx][better]
        np.maximum.at(price, heads, gain[better])
        frontier = np.unique(heads)
    else:
        return None
    u_minus_big = np.full(n_res, -big, dtype=np.int64)
    matched = match_v >= 0
    u_minus_big[matched] = match_s[matched] - price[match_v[matched]]
    load = np.bincount(edges.v[used], minlength=n_vol)
    in_graph = np.zeros(n_vol, dtype=np.bool_)
    in_graph[edges.v] = True
    if np.any(price[in_graph & (load < capacity)] != 0) or np.any(u_minus_big + big < 0):
        return None
    return price, u_minus_big
