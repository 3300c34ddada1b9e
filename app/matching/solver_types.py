"""Small shared pieces of the solver: the edge set type and an index helper."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Edges:
    """A set of pairs (resident index, volunteer index, integer score), in a deterministic order."""

    r: NDArray[np.int64]
    v: NDArray[np.int64]
    s: NDArray[np.int64]

    @staticmethod
    def sorted(r: NDArray[np.int64], v: NDArray[np.int64], s: NDArray[np.int64]) -> Edges:
        """Edges in (resident, volunteer) order, so that the solver input is deterministic."""
        order = np.lexsort((v, r))
        return Edges(r[order], v[order], s[order])

    @staticmethod
    def empty() -> Edges:
        """No edge."""
        z = np.zeros(0, dtype=np.int64)
        return Edges(z, z, z)

    def __len__(self) -> int:
        return int(self.r.size)


def ranges(starts: NDArray[np.int64], stops: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of arange(a, z) for each (a, z), without a Python loop."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(total, dtype=np.int64) + shift
