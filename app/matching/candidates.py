"""Build every possible pair (rules 2-6 and capacity > 0) as dense blocks of residents x volunteers.

Residents and volunteers sit on neighbourhood points, so many share coordinates. Distances are
computed once per (resident point, volunteer point) pair found by a k-d tree over the points,
never per person pair. The residents of one point then face the same list of volunteers in
range, and rules 3-5 and the score are evaluated for that whole block with numpy broadcasting.
Points with few residents (people given their own coordinates) are grouped with their
neighbours into one block, so that the per-block overhead stays small.
Each block keeps its integer scores (solver units, -1 where the pair is impossible), which is
what the solver needs both to pick its first edges and to check optimality on all pairs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .encode import ResidentTable, VolunteerTable
from .geo import chord_for_km, haversine_km, spatial_key, unit_vectors
from .score import Scorer


@dataclass(frozen=True)
class Block:
    """Residents of one point against the volunteers within reach of that point."""

    rows: NDArray[np.intp]  # resident indices, ascending
    cols: NDArray[np.intp]  # volunteer indices, ascending
    units: NDArray[np.int32]  # (len(rows), len(cols)) integer score, -1 if impossible
    row_max: NDArray[np.int32]  # best integer score of each row, -1 if the row has no pair


@dataclass(frozen=True)
class Candidates:
    """All possible pairs of a problem, grouped in blocks."""

    blocks: list[Block]
    degree: NDArray[np.int64]  # number of possible volunteers of each resident
    res_key: NDArray[np.int64]  # spatial_key of each resident (solver node order only)
    vol_key: NDArray[np.int64]  # spatial_key of each volunteer

    @property
    def n_pairs(self) -> int:
        """Total number of possible pairs."""
        return int(self.degree.sum())


def point_ids(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Index of each person's point among the distinct (lat, lon), and the points' coordinates.

    Points come in (lat, lon) order, as np.unique(axis=0) would give them (a lexsort is
    several times faster than unique on rows).
    """
    if lat.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros((0, 2))
    order = np.lexsort((lon, lat))
    la, lo = lat[order], lon[order]
    new_point = np.empty(lat.size, dtype=np.bool_)
    new_point[0] = True
    np.not_equal(la[1:], la[:-1], out=new_point[1:])
    new_point[1:] |= lo[1:] != lo[:-1]
    inverse = np.empty(lat.size, dtype=np.intp)
    inverse[order] = np.cumsum(new_point) - 1
    return inverse, np.column_stack([la[new_point], lo[new_point]])


def reach_pairs(
    rt: ResidentTable, vt: VolunteerTable, active: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64], NDArray[np.intp], NDArray[np.float64]]:
    """Rule 2 at point level: (resident point, volunteer, distance) for every volunteer in reach.

    Returns the arrays sorted by resident point then volunteer, plus each resident's point and
    the points' coordinates.
    `active` lists the volunteers that may be used at all (capacity > 0).
    """
    r_point, r_coords = point_ids(rt.lat, rt.lon)
    empty = (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0), r_point, r_coords)
    if active.size == 0 or len(rt) == 0:
        return empty
    v_point, v_coords = point_ids(vt.lat[active], vt.lon[active])
    # Search radius of a volunteer point: the longest travel distance of anyone living there.
    radius = np.zeros(len(v_coords))
    np.maximum.at(radius, v_point, vt.max_km[active])
    tree = cKDTree(unit_vectors(r_coords[:, 0], r_coords[:, 1]))
    hits = tree.query_ball_point(
        unit_vectors(v_coords[:, 0], v_coords[:, 1]), chord_for_km(radius), return_sorted=False
    )
    counts = np.fromiter((len(h) for h in hits), dtype=np.intp, count=len(hits))
    if counts.sum() == 0:
        return empty
    pair_b = np.repeat(np.arange(len(v_coords)), counts)
    pair_a = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.intp, count=int(counts.sum()))
    pair_d = haversine_km(r_coords[pair_a, 0], r_coords[pair_a, 1], v_coords[pair_b, 0], v_coords[pair_b, 1])
    # Expand each point pair to the volunteers living on the volunteer point, keep those in reach.
    by_point = np.argsort(v_point, kind="stable")
    starts = np.searchsorted(v_point[by_point], np.arange(len(v_coords)))
    sizes = np.bincount(v_point, minlength=len(v_coords))
    n_each = sizes[pair_b]
    owner = np.repeat(np.arange(len(pair_b)), n_each)
    offset = np.arange(int(n_each.sum())) - np.repeat(np.cumsum(n_each) - n_each, n_each)
    vol = active[by_point[starts[pair_b[owner]] + offset]]
    dist = pair_d[owner]
    keep = dist <= vt.max_km[vol]  # inclusive: a resident exactly at max_km is in reach
    a, vol, dist = pair_a[owner][keep], vol[keep], dist[keep]
    order = np.lexsort((vol, a))
    return a[order], vol[order], dist[order], r_point, r_coords


MIN_BLOCK_ROWS = 32  # points with fewer residents are grouped with their neighbours


def point_groups(r_coords: NDArray[np.float64], rows_per_point: NDArray[np.intp], in_reach: NDArray[np.bool_]):
    """Lists of nearby resident points holding at least MIN_BLOCK_ROWS residents each.

    Points are visited cell by cell on a grid of about 2 km, so a group's points are close
    and share most of their volunteers in reach. A point with many residents is its own group.
    """
    cell = np.floor(r_coords / np.array([0.02, 0.03]))
    order = np.lexsort((r_coords[:, 1], r_coords[:, 0], cell[:, 1], cell[:, 0]))
    group: list[int] = []
    size = 0
    for point in order.tolist():
        if not in_reach[point]:
            continue
        group.append(point)
        size += int(rows_per_point[point])
        if size >= MIN_BLOCK_ROWS:
            yield group
            group, size = [], 0
    if group:
        yield group


def build_candidates(
    rt: ResidentTable,
    vt: VolunteerTable,
    scorer: Scorer,
    excluded: Iterable[tuple[int, int]] = (),
) -> Candidates:
    """All possible pairs as blocks; `excluded` holds (resident index, volunteer index) pairs."""
    active = np.flatnonzero(vt.capacity > 0)
    pa, pv, pd, r_point, r_coords = reach_pairs(rt, vt, active)
    n_points = r_coords.shape[0]
    # Column ranges of each resident point in (pa, pv, pd), and the residents of each point.
    col_start = np.searchsorted(pa, np.arange(n_points + 1))
    res_order = np.argsort(r_point, kind="stable")
    row_start = np.searchsorted(r_point[res_order], np.arange(n_points + 1))
    banned: dict[int, list[int]] = {}
    for r, v in excluded:
        banned.setdefault(r, []).append(v)
    blocks: list[Block] = []
    degree = np.zeros(len(rt), dtype=np.int64)
    for group in point_groups(r_coords, np.diff(row_start), np.diff(col_start) > 0):
        rows = np.concatenate([res_order[row_start[p] : row_start[p + 1]] for p in group])
        if len(group) == 1:
            c0, c1 = col_start[group[0]], col_start[group[0] + 1]
            cols, dist = pv[c0:c1], pd[c0:c1]
        else:
            cols = np.unique(np.concatenate([pv[col_start[p] : col_start[p + 1]] for p in group]))
            by_point = np.full((len(group), cols.size), np.inf)
            for i, p in enumerate(group):
                c0, c1 = col_start[p], col_start[p + 1]
                by_point[i, np.searchsorted(cols, pv[c0:c1])] = pd[c0:c1]
            dist = by_point[np.repeat(np.arange(len(group)), [row_start[p + 1] - row_start[p] for p in group])]
        units = scorer.block_units(rows, cols, dist)
        if banned:
            for i, r in enumerate(rows.tolist()):
                for v in banned.get(r, ()):
                    j = np.searchsorted(cols, v)
                    if j < cols.size and cols[j] == v:
                        units[i, j] = -1
        degree[rows] = (units >= 0).sum(axis=1)
        blocks.append(Block(rows, cols, units, units.max(axis=1)))
    return Candidates(blocks, degree, spatial_key(rt.lat, rt.lon), spatial_key(vt.lat, vt.lon))
