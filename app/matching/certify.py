"""Check dual prices against every possible pair; after the first full scan, only what changed.

A pair (r, v) is "violated" when u_r + p_v < W_rv, i.e. s_rv > (u_r - BIG) + p_v. If no pair
is violated the restricted solution is optimal for the whole problem (LP duality, see
solver.py). Between two rounds, a pair already checked can only become violated if u_r or p_v
went down, so later scans look only at those rows and columns, plus the rows that still had
violations which were not added yet.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .candidates import Candidates
from .solver_types import Edges, ranges

FULL_SCAN_FRACTION = 0.25  # when more rows or columns than this changed, scan everything


class Certifier:
    """Scans the candidate blocks for pairs that the current dual prices do not cover."""

    def __init__(self, cands: Candidates, n_vol: int, per_row: int) -> None:
        self.blocks = cands.blocks
        self.per_row = per_row
        n_res = cands.degree.size
        self.row_block = np.full(n_res, -1, dtype=np.int64)
        self.row_pos = np.zeros(n_res, dtype=np.int64)
        for i, b in enumerate(self.blocks):
            self.row_block[b.rows] = i
            self.row_pos[b.rows] = np.arange(b.rows.size)
        # Where each volunteer appears: (block, column) pairs grouped by volunteer.
        occ_v = np.concatenate([b.cols for b in self.blocks]) if self.blocks else np.zeros(0, np.int64)
        occ_b = np.repeat(np.arange(len(self.blocks)), [b.cols.size for b in self.blocks])
        occ_j = np.concatenate([np.arange(b.cols.size) for b in self.blocks]) if self.blocks else occ_v
        order = np.argsort(occ_v, kind="stable")
        self.occ_b, self.occ_j = occ_b[order], occ_j[order]
        self.occ_ptr = np.searchsorted(occ_v[order], np.arange(n_vol + 1))
        self.prev: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None
        self.dirty = np.zeros(n_res, dtype=np.bool_)
        self.full_scans = 0

    def scan(self, price: NDArray[np.int64], u_minus_big: NDArray[np.int64]) -> Edges:
        """Up to `per_row` most violated pairs of each row (empty: the prices certify all)."""
        found: list[tuple[NDArray, ...]] = []
        if self.prev is None:
            self._full(price, u_minus_big, found)
        else:
            rows = np.flatnonzero((u_minus_big < self.prev[1]) | self.dirty)
            cols = np.flatnonzero(price < self.prev[0])
            if rows.size > FULL_SCAN_FRACTION * self.row_block.size or cols.size > FULL_SCAN_FRACTION * price.size:
                self._full(price, u_minus_big, found)
            else:
                self._rows(rows, price, u_minus_big, found)
                self._cols(cols, price, u_minus_big, found)
        self.prev = (price.copy(), u_minus_big.copy())
        return self._select(found)

    def _check(self, b_i: int, rows_sel, cols_sel, price, u_minus_big, found) -> None:
        """Append the violated pairs among rows_sel x cols_sel of block b_i (positions)."""
        b = self.blocks[b_i]
        units = b.units[np.ix_(rows_sel, cols_sel)] if not isinstance(cols_sel, slice) else b.units[rows_sel]
        r = b.rows[rows_sel]
        v = b.cols[cols_sel]
        gap = units - (u_minus_big[r][:, None] + price[v][None, :])
        i, j = np.nonzero((gap > 0) & (units >= 0))
        if i.size:
            found.append((r[i], v[j], units[i, j].astype(np.int64), gap[i, j]))

    def _full(self, price, u_minus_big, found) -> None:
        """Check every block."""
        self.full_scans += 1
        for b_i, b in enumerate(self.blocks):
            # p >= 0, so a row whose u - BIG already reaches its best score is never violated.
            check = np.flatnonzero((u_minus_big[b.rows] < b.row_max) & (b.row_max >= 0))
            if check.size:
                self._check(b_i, check, slice(None), price, u_minus_big, found)

    def _rows(self, rows, price, u_minus_big, found) -> None:
        """Check whole rows (resident indices), block by block."""
        rows = rows[self.row_block[rows] >= 0]
        order = np.argsort(self.row_block[rows], kind="stable")
        rows = rows[order]
        blocks = self.row_block[rows]
        for b_i, start, stop in _groups(blocks):
            self._check(int(b_i), self.row_pos[rows[start:stop]], slice(None), price, u_minus_big, found)

    def _cols(self, cols, price, u_minus_big, found) -> None:
        """Check whole columns (volunteer indices) in every block where they appear."""
        if cols.size == 0:
            return
        idx = ranges(self.occ_ptr[cols], self.occ_ptr[cols + 1])
        if idx.size == 0:
            return
        blocks, js = self.occ_b[idx], self.occ_j[idx]
        order = np.argsort(blocks, kind="stable")
        blocks, js = blocks[order], js[order]
        for b_i, start, stop in _groups(blocks):
            n_rows = self.blocks[int(b_i)].rows.size
            self._check(int(b_i), np.arange(n_rows), js[start:stop], price, u_minus_big, found)

    def _select(self, found) -> Edges:
        """The `per_row` most violated pairs of each row; remembers which rows had any."""
        self.dirty[:] = False
        if not found:
            return Edges.empty()
        r, v, s, gap = (np.concatenate(x) for x in zip(*found, strict=True))
        # The same pair may come from a row check and a column check: keep it once.
        key = r * (int(v.max()) + 1) + v
        _, first = np.unique(key, return_index=True)
        r, v, s, gap = r[first], v[first], s[first], gap[first]
        order = np.lexsort((v, -gap, r))
        r, v, s = r[order], v[order], s[order]
        rank = np.arange(r.size) - np.searchsorted(r, r)
        self.dirty[r] = True  # rows with violations are checked again next round
        keep = rank < self.per_row
        return Edges.sorted(r[keep], v[keep], s[keep])


def _groups(sorted_keys: NDArray[np.int64]):
    """(key, start, stop) of each run of equal keys in a sorted array."""
    if sorted_keys.size == 0:
        return []
    cut = np.flatnonzero(np.diff(sorted_keys)) + 1
    starts = np.concatenate([[0], cut])
    stops = np.concatenate([cut, [sorted_keys.size]])
    return zip(sorted_keys[starts].tolist(), starts.tolist(), stops.tolist(), strict=True)
