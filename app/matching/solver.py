"""Exact optimum: most residents matched, then the largest total score.

Model. Residents (supply 1) and volunteers (demand up to their free capacity) are the nodes of
a bipartite flow network; every possible pair is an arc of capacity 1 and cost -s, where s is
the pair's score in integer units (score.UNITS_PER_TOTAL units for the largest possible score,
i.e. 0.0001 point with the default weights). OR-Tools' `SimpleMinCostFlow.
solve_max_flow_with_min_cost` first computes the maximum flow (= the largest number of matched
residents, each at most once, each volunteer at most `capacity` times) and then, among the
flows of that value, one of minimum cost (= the largest total score). That is the lexicographic
objective itself, so no weight has to dominate another inside the solver; the solver is exact
on integers (cost scaling ends at epsilon = 1 after multiplying costs by n + 1).

Rounding. Scores are rounded to the nearest unit before solving, so the result is the exact
optimum for the rounded scores. Its true total is then within k / units_per_point of the true
optimum for k matched residents (each rounding error is at most half a unit, on both sides);
with the default weights, 100,000 pairs could lose at most 10 points in total, and in practice
only ties closer than 0.0001 point are decided by the rounding.

Speed (sparsify, then certify). A city of 100,000 residents has tens of millions of possible
pairs, far too many for any general solver in a few seconds. We solve on a small subset E' of
the pairs (each resident's best few), then prove or disprove optimality on all pairs with LP
duality: the assignment LP is totally unimodular, and for the equivalent single objective
W = BIG + s (BIG = (n + 1) * (max s + 1), so one more match always beats any score) a solution
optimal on E' is optimal on all pairs iff some dual prices u (residents) and p (volunteers),
optimal for E', satisfy u_r + p_v >= W_rv on every possible pair. We compute the smallest such
p for E' (longest alternating paths, a Bellman-Ford on E'), scan every pair, add the violated
ones to E' and solve again; a round that finds no violation ends with a certified optimum.
Every round adds at least one pair, so this terminates, and it never relies on E' being "good
enough": the answer is the optimum of the full problem whatever the first E' was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from .candidates import Candidates

# Pairs per resident in the first restricted problem (the best-scoring ones).
FIRST_EDGES_PER_RESIDENT = 8


@dataclass
class SolverStats:
    """What the solver did, for the benchmark."""

    rounds: int = 0
    edges: list[int] = field(default_factory=list)  # size of E' in each round
    added: list[int] = field(default_factory=list)  # violated pairs added after each round


@dataclass(frozen=True)
class Edges:
    """A set of pairs (resident index, volunteer index, integer score), sorted by (r, v)."""

    r: NDArray[np.int64]
    v: NDArray[np.int64]
    s: NDArray[np.int64]

    @staticmethod
    def sorted(r: NDArray[np.int64], v: NDArray[np.int64], s: NDArray[np.int64]) -> Edges:
        """Edges in (resident, volunteer) order, so that the solver input is deterministic."""
        order = np.lexsort((v, r))
        return Edges(r[order], v[order], s[order])

    def __len__(self) -> int:
        return int(self.r.size)


def first_edges(cands: Candidates, k: int) -> Edges:
    """Each resident's k best pairs (all of them if fewer)."""
    rs, vs, ss = [], [], []
    for b in cands.blocks:
        if b.cols.size > k:
            # A partition is enough: E' only has to be a deterministic start, not a ranking.
            top = np.argpartition(-b.units, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(b.cols.size), (b.rows.size, b.cols.size))
        units = np.take_along_axis(b.units, top, axis=1)
        i, j = np.nonzero(units >= 0)
        rs.append(b.rows[i])
        vs.append(b.cols[top[i, j]])
        ss.append(units[i, j])
    return _concat(rs, vs, ss)


def _concat(rs: list, vs: list, ss: list) -> Edges:
    if not rs:
        z = np.zeros(0, dtype=np.int64)
        return Edges(z, z, z)
    return Edges.sorted(
        np.concatenate(rs).astype(np.int64), np.concatenate(vs).astype(np.int64), np.concatenate(ss).astype(np.int64)
    )


def solve_restricted(edges: Edges, capacity: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Max-cardinality, then max-score b-matching on `edges` with OR-Tools; which edges are used."""
    if len(edges) == 0:
        return np.zeros(0, dtype=np.bool_)
    res_nodes, r_local = np.unique(edges.r, return_inverse=True)
    vol_nodes, v_local = np.unique(edges.v, return_inverse=True)
    n_r = res_nodes.size
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        r_local.astype(np.int32),
        (n_r + v_local).astype(np.int32),
        np.ones(len(edges), dtype=np.int64),
        -edges.s,
    )
    # No explicit source or sink: the solver links supplies and demands to its own.
    supplies = np.concatenate([np.ones(n_r, dtype=np.int64), -capacity[vol_nodes]])
    flow.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min cost flow failed with status {status}")
    return flow.flows(np.arange(len(edges), dtype=np.int32)) > 0


def _ranges(starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of arange(s, e) for each (s, e)."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(total, dtype=np.int64) + shift


def dual_prices(
    edges: Edges, used: NDArray[np.bool_], capacity: NDArray[np.int64], n_res: int, big: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Smallest optimal volunteer prices p for E', and resident values u - BIG.

    p_v is the longest alternating path ending at v, starting either at any volunteer with
    price 0 or with an edge (r0, v1) of weight W from an unmatched r0; a matched resident r
    (on v) contributes an arc v -> v' of length s(r, v') - s(r, v). Optimality of the
    restricted solution means there is no positive cycle, so Bellman-Ford converges.
    """
    n_vol = capacity.size
    match_v = np.full(n_res, -1, dtype=np.int64)
    match_s = np.zeros(n_res, dtype=np.int64)
    match_v[edges.r[used]] = edges.v[used]
    match_s[edges.r[used]] = edges.s[used]
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
    for _ in range(n_vol + 2):
        idx = _ranges(ptr[frontier], ptr[frontier + 1])
        cand = price[tail[idx]] + length[idx]
        better = cand > price[head[idx]]
        if not better.any():
            break
        np.maximum.at(price, head[idx][better], cand[better])
        frontier = np.unique(head[idx][better])
    else:
        raise RuntimeError("positive alternating cycle: the restricted solution is not optimal")
    u_minus_big = np.full(n_res, -big, dtype=np.int64)
    matched = match_v >= 0
    u_minus_big[matched] = match_s[matched] - price[match_v[matched]]
    _check_complementary_slackness(edges, used, capacity, price, u_minus_big, big)
    return price, u_minus_big


def _check_complementary_slackness(
    edges: Edges, used: NDArray[np.bool_], capacity: NDArray[np.int64],
    price: NDArray[np.int64], u_minus_big: NDArray[np.int64], big: int,
) -> None:
    """Guard: the prices must prove the restricted solution optimal (else a solver bug)."""
    load = np.bincount(edges.v[used], minlength=capacity.size)
    in_graph = np.zeros(capacity.size, dtype=np.bool_)
    in_graph[edges.v] = True
    if np.any(price[in_graph & (load < capacity)] != 0) or np.any(u_minus_big + big < 0):
        raise RuntimeError("dual prices do not certify the restricted solution")


def violated_pairs(cands: Candidates, price: NDArray[np.int64], u_minus_big: NDArray[np.int64]) -> Edges:
    """Every possible pair with u_r + p_v < W_rv, i.e. s_rv > (u_r - BIG) + p_v."""
    rs, vs, ss = [], [], []
    for b in cands.blocks:
        u = u_minus_big[b.rows]
        # p >= 0, so a row whose u - BIG already reaches its best score cannot be violated.
        check = (u < b.row_max) & (b.row_max >= 0)
        if not check.any():
            continue
        units = b.units[check]
        bad = (units >= 0) & (units > u[check, None] + price[b.cols][None, :])
        i, j = np.nonzero(bad)
        rs.append(b.rows[check][i])
        vs.append(b.cols[j])
        ss.append(units[i, j])
    return _concat(rs, vs, ss)


def optimal_assignment(
    cands: Candidates, capacity: NDArray[np.int64], max_units: int, stats: SolverStats | None = None
) -> NDArray[np.int64]:
    """Volunteer index chosen for each resident (-1 if unmatched) in a certified optimum."""
    n_res = cands.degree.size
    stats = stats if stats is not None else SolverStats()
    big = (n_res + 1) * (max_units + 1)
    edges = first_edges(cands, FIRST_EDGES_PER_RESIDENT)
    while True:
        stats.rounds += 1
        stats.edges.append(len(edges))
        used = solve_restricted(edges, capacity)
        price, u_minus_big = dual_prices(edges, used, capacity, n_res, big)
        extra = violated_pairs(cands, price, u_minus_big)
        stats.added.append(len(extra))
        if len(extra) == 0:
            break
        edges = Edges.sorted(
            np.concatenate([edges.r, extra.r]), np.concatenate([edges.v, extra.v]), np.concatenate([edges.s, extra.s])
        )
    match_v = np.full(n_res, -1, dtype=np.int64)
    match_v[edges.r[used]] = edges.v[used]
    return match_v
