"""Exact optimum: most residents matched, then the largest total score.

Model. Residents (supply 1) and volunteers (demand up to their free capacity) are the nodes of
a bipartite flow network; every possible pair is an arc of capacity 1 and cost -s, where s is
the pair's score in integer units (score.UNITS_PER_TOTAL units for the largest possible score,
i.e. 0.0001 point with the default weights). OR-Tools' `SimpleMinCostFlow.
solve_max_flow_with_min_cost` first computes the maximum flow (= the largest number of matched
residents, each at most once, each volunteer at most `capacity` times) and then, among the
flows of that value, one of minimum cost (= the largest total score). That is the lexicographic
objective itself, so no weight has to dominate another inside the solver, and the solver is
exact on integers (cost scaling ends at epsilon = 1 after multiplying costs by n + 1).

Rounding. The solver sees integer scores: each of the four score parts is rounded to the
nearest unit, so a pair's integer score is within 2 units of its exact score. The result is
the exact optimum for those integer scores; its true total is within 4k units of the true
optimum for k matched residents (at most 2 units of error per pair on each side of the
comparison): with the default weights, 0.0004 point per pair, and in practice only ties
closer than that are decided by the rounding. The cardinality (first objective) is exact.

Certificate. For the proof we use the equivalent single objective: per-pair weight
W = BIG + s with BIG = (n + 1) * (S + 1), n residents, S the largest integer score. It is
exact: a set of k + 1 pairs weighs at least (k + 1) * BIG, a set of k pairs at most
k * (BIG + S) < (k + 1) * BIG since BIG > n * S >= k * S; so a heavier set never has fewer
pairs, and among sets of equal size the weight order is the score order. (BIG is about 1e11
for 100,000 residents, far inside int64 even summed over every resident.) The assignment LP is totally unimodular; a solution optimal on a subset E' of the pairs is
optimal on all pairs iff dual values u (residents) and p (volunteers), optimal on E', satisfy
u_r + p_v >= W_rv on every possible pair (duals.py computes them, certify.py checks the pairs).

Speed (sparsify, certify, repair). A city of 100,000 residents has tens of millions of possible
pairs, too many for any general solver in a few seconds. We solve on a small E' (each
resident's best pairs by score minus an estimated price, prices.py), check every pair against
the duals, add the most violated pairs of each row, and repair: when the added pairs can only
change a region of the solution (volunteers within reach, in reduced cost, of the new pairs),
only that region is solved again, everything else kept; otherwise E' is solved from scratch.
A repair that was not enough is caught by duals.py and followed by a full solve. Every round
adds at least one pair to E', so this ends, and it ends only with a certificate: the answer
is the optimum of the whole problem whatever the heuristics chose.

Measured and dropped (100,000 residents, bench/matching.py): splitting into connected
components (the first E' is one component of ~156,000 of the ~160,000 nodes); collapsing
interchangeable volunteers or residents (no two generated profiles are identical, and real
availability grids rarely are); solving spatial tiles first (4x faster first solve, but the
repairs across tile borders then cost more than they saved); scipy's
min_weight_full_bipartite_matching (22 s on the first E' alone); warm-starting OR-Tools by
reduced costs (within noise). OR-Tools does not release the GIL, so threads do not help either.

Kept: numbering the nodes along a Z-order curve of their points (solve_restricted), a third
less CPU in OR-Tools for the same optimum; profiling shows its time in Discharge and Relabel
(no global price update is exposed to Python), so memory locality is what node order buys.
Measured again and dropped (CPU seconds, loaded machine, first E' of 803,000 pairs, 2.6-3 s):
a warm start with the exact optimal duals as node potentials on an explicit source and sink
network (no gain: every cost-scaling phase re-saturates the admissible arcs); costs divided by
100 (no gain); 4x4 spatial tiles (1.2-1.8 s for the 16, but the ~5,300 violated pairs across
borders give a repair region of nearly every volunteer, i.e. a full solve) and shifted-window
passes with the rest fixed (three passes still 0.008 % below the optimum, not certifiable);
keeping per volunteer only its best 2-3 x capacity pairs by s - u_r (first solve 2.2-2.5 s,
but 200 to 36,000 violations to repair); a first E' of 2-6 pairs per resident, a 16-24 wide
price table or fewer price rounds (each saves a little on prices or on the first solve and
loses more on repairs); reverse Cuthill-McKee numbering (slower than Z-order). OR-Tools'
linear_sum_assignment crashes on sides of unequal size (version 9.15), so it was not tried.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from . import prices
from .candidates import Candidates
from .certify import Certifier
from .duals import assignment, dual_prices
from .solver_types import Edges

NodeKeys = tuple[NDArray[np.int64], NDArray[np.int64]]  # spatial keys of residents, volunteers

ADDED_PER_ROW = 3  # violated pairs added per resident and round (the most violated ones)
REGION_MAX_FRACTION = 0.75  # a larger region is solved as a whole instead
REGION_REACH = 1.0  # search this many times the largest violation (exchanges may chain)


Clock = tuple[float, float]  # (wall, process CPU) seconds


def clock_now() -> Clock:
    """Wall time and this process's CPU time: on a shared machine the second is the steadier."""
    return time.perf_counter(), time.process_time()


@dataclass
class SolverStats:
    """What the solver did, for the benchmark and the tests."""

    rounds: int = 0
    edges: list[int] = field(default_factory=list)  # size of E' in each round
    added: list[int] = field(default_factory=list)  # violated pairs added after each round
    full_solves: int = 0
    region_solves: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # process CPU time per phase

    def timed(self, phase: str, start: Clock) -> Clock:
        """Add the wall and CPU time since `start` to `phase`; returns the current clock."""
        now = clock_now()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now[0] - start[0]
        self.cpu_seconds[phase] = self.cpu_seconds.get(phase, 0.0) + now[1] - start[1]
        return now


def solve_restricted(edges: Edges, capacity: NDArray[np.int64], keys: NodeKeys | None = None) -> NDArray[np.bool_]:
    """Max-cardinality, then max-score b-matching on `edges` with OR-Tools; which edges are used.

    `keys` (spatial keys of residents and volunteers) only number the nodes: OR-Tools' push-
    relabel runs about a third faster when neighbours have close numbers (memory locality).
    """
    if len(edges) == 0:
        return np.zeros(0, dtype=np.bool_)
    res_nodes, r_local = np.unique(edges.r, return_inverse=True)
    vol_nodes, v_local = np.unique(edges.v, return_inverse=True)
    n_r = res_nodes.size
    node = np.arange(n_r + vol_nodes.size)
    if keys is not None:
        order = np.argsort(np.concatenate([keys[0][res_nodes], keys[1][vol_nodes]]), kind="stable")
        node[order] = np.arange(order.size)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        node[r_local].astype(np.int32), node[n_r + v_local].astype(np.int32), np.ones(len(edges), dtype=np.int64),
        -edges.s,
    )
    # No explicit source or sink: the solver links supplies and demands to its own.
    supplies = np.empty(node.size, dtype=np.int64)
    supplies[node[:n_r]] = 1
    supplies[node[n_r:]] = -capacity[vol_nodes]
    flow.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min cost flow failed with status {status}")
    return flow.flows(np.arange(len(edges), dtype=np.int32)) > 0


def _region(old: Edges, used: NDArray[np.bool_], extra: Edges, price: NDArray[np.int64], n_res: int) -> NDArray[np.bool_]:
    """Volunteers that an improving exchange through the new pairs can plausibly touch.

    Arcs v -> v' (a resident on v moves to v') have reduced cost p_v' - p_v - gain >= 0 on E'.
    An improving exchange through a new pair (r moves from v to v', violation delta) costs
    less than delta in reduced cost: a chain from v' that ends on a free place, and a chain
    that refills v (it may start anywhere a resident can leave). So its volunteers lie within
    delta after v' or within delta before v: two Dijkstra searches, forward and backward,
    from a super-source. Exchanges through several new pairs can reach further; solver.py
    then notices that the repair was not enough and solves everything.
    """
    n_vol = price.size
    match_v, match_s = assignment(old, used, n_res)
    arc = (match_v[old.r] >= 0) & ~used
    tail, head = match_v[old.r[arc]], old.v[arc]
    reduced = (price[head] - price[tail] - (old.s[arc] - match_s[old.r[arc]])).astype(np.float64)
    matched = match_v[extra.r] >= 0
    delta = np.where(
        matched,
        extra.s - match_s[extra.r] - (price[extra.v] - price[np.maximum(match_v[extra.r], 0)]),
        0,
    ).astype(np.float64)
    limit = REGION_REACH * float(delta.max()) if matched.any() else 0.0
    # An unmatched resident's violation is worth about BIG; search as far as the others.
    budget = np.where(matched, REGION_REACH * delta, limit)
    region = np.zeros(n_vol, dtype=np.bool_)
    region[extra.v] = True
    region[match_v[extra.r][matched]] = True
    for starts, sources_budget, forward in (
        (extra.v, budget, True),
        (match_v[extra.r][matched], budget[matched], False),
    ):
        t, h = (tail, head) if forward else (head, tail)
        graph = _graph(t, h, reduced, starts, limit - sources_budget, n_vol)
        dist = dijkstra(graph, indices=n_vol, limit=limit + 1.0)
        region |= np.isfinite(dist[:n_vol])
    return region


def _graph(tail, head, cost, src_heads, src_cost, n_vol) -> csr_matrix:
    """Graph of the volunteers plus a super-source (node n_vol), for csgraph's Dijkstra.

    Built directly in CSR form, so parallel arcs stay separate (a COO conversion would add
    their costs up) and Dijkstra simply uses the cheapest. Every arc costs one unit more than
    its reduced cost: csgraph ignores explicit zeros, and the extra unit keeps the search from
    wandering along long chains of ties.
    """
    t = np.concatenate([tail, np.full(src_heads.size, n_vol)])
    h = np.concatenate([head, src_heads])
    c = np.concatenate([cost, np.asarray(src_cost, dtype=np.float64)]) + 1.0
    order = np.argsort(t, kind="stable")
    indptr = np.searchsorted(t[order], np.arange(n_vol + 2))
    return csr_matrix((c[order], h[order], indptr), shape=(n_vol + 1, n_vol + 1))


def _repair(
    edges: Edges, used: NDArray[np.bool_], is_new: NDArray[np.bool_], extra: Edges,
    price: NDArray[np.int64], capacity: NDArray[np.int64], n_res: int, stats: SolverStats, keys: NodeKeys,
) -> NDArray[np.bool_]:
    """Solve again only the region the new pairs can change, if it is small enough."""
    old = Edges(edges.r[~is_new], edges.v[~is_new], edges.s[~is_new])
    region = _region(old, used[~is_new], extra, price, n_res)
    if region.sum() > REGION_MAX_FRACTION * np.unique(edges.v).size:
        stats.full_solves += 1
        return solve_restricted(edges, capacity, keys)
    stats.region_solves += 1
    match_v, _ = assignment(edges, used, n_res)
    in_region = np.zeros(n_res, dtype=np.bool_)
    in_region[extra.r] = True
    in_region[(match_v >= 0) & region[np.maximum(match_v, 0)]] = True
    # Unmatched residents next to the region may take a place it frees.
    unmatched_edge = (match_v[edges.r] < 0) & region[edges.v]
    in_region[edges.r[unmatched_edge]] = True
    # Residents of the region are matched inside it (or not at all), so capacities stay whole.
    sub = in_region[edges.r] & region[edges.v]
    new_used = used.copy()
    new_used[in_region[edges.r]] = False
    new_used[np.flatnonzero(sub)] = solve_restricted(
        Edges(edges.r[sub], edges.v[sub], edges.s[sub]), capacity, keys
    )
    return new_used


def _merge(edges: Edges, used: NDArray[np.bool_], extra: Edges) -> tuple[Edges, NDArray[np.bool_], NDArray[np.bool_]]:
    """E' plus the new pairs (appended, so the order stays deterministic), with flags."""
    merged = Edges(np.concatenate([edges.r, extra.r]), np.concatenate([edges.v, extra.v]), np.concatenate([edges.s, extra.s]))
    is_new = np.concatenate([np.zeros(len(edges), np.bool_), np.ones(len(extra), np.bool_)])
    return merged, np.concatenate([used, np.zeros(len(extra), np.bool_)]), is_new


def optimal_assignment(
    cands: Candidates, capacity: NDArray[np.int64], max_units: int, stats: SolverStats | None = None
) -> NDArray[np.int64]:
    """Volunteer index chosen for each resident (-1 if unmatched) in a certified optimum."""
    n_res = cands.degree.size
    stats = stats if stats is not None else SolverStats()
    big = (n_res + 1) * (max_units + 1)
    if cands.n_pairs == 0:
        return np.full(n_res, -1, dtype=np.int64)
    clock = clock_now()
    vols, units = prices.top_table(cands, prices.TOP_PER_RESIDENT)
    # Module constants are read here (not as default arguments) so that tests can change them.
    market = prices.market_prices(vols, units, capacity, prices.PRICE_ROUNDS)
    edges = Edges(*prices.first_pairs(vols, units, market, prices.BY_VALUE, prices.BY_SCORE))
    del vols, units
    certifier = Certifier(cands, capacity.size, ADDED_PER_ROW)
    clock = stats.timed("prices", clock)
    keys = (cands.res_key, cands.vol_key)
    used = solve_restricted(edges, capacity, keys)
    stats.full_solves += 1
    clock = stats.timed("first solve", clock)
    while True:
        stats.rounds += 1
        stats.edges.append(len(edges))
        duals = dual_prices(edges, used, capacity, n_res, big)
        if duals is None:  # the region repair was not enough: solve E' as a whole
            used = solve_restricted(edges, capacity, keys)
            stats.full_solves += 1
            duals = dual_prices(edges, used, capacity, n_res, big)
            if duals is None:
                raise RuntimeError("no dual certificate for an optimal restricted solution")
        price, u_minus_big = duals
        extra = certifier.scan(price, u_minus_big)
        stats.added.append(len(extra))
        clock = stats.timed("certify", clock)
        if len(extra) == 0:
            break
        edges, used, is_new = _merge(edges, used, extra)
        used = _repair(edges, used, is_new, extra, price, capacity, n_res, stats, keys)
        clock = stats.timed("repair", clock)
    match_v, _ = assignment(edges, used, n_res)
    return match_v
