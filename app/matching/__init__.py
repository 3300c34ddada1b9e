"""Voisinage's matching engine: pure Python + numpy/scipy/OR-Tools, no Flask, no database.

Public API: solve() finds the exact optimum (most residents matched, then the largest total
score) under the public rules of PRODUCT.md section 2; rank_candidates() lists one resident's
possible volunteers, best first. `python -m app.matching solve PROBLEM.json` does the same from
a JSON file (format in problem.py).

How (one module per step): validate.py checks the input; encode.py turns people into numpy
columns; candidates.py builds every possible pair, one dense block per neighbourhood point
(geo.py, score.py); prices.py picks a small first set of pairs; solver.py solves it with
OR-Tools' min cost flow and proves the result optimal on all pairs with dual prices (duals.py,
certify.py), adding pairs and repairing until the proof holds; pairs.py explains the chosen
pairs. greedy.py is the baseline that bench/matching.py compares against.
"""

from .engine import solve
from .model import (
    SLOTS,
    InvalidProblem,
    MatchResult,
    Pair,
    Resident,
    ScoreParts,
    Unmatched,
    Volunteer,
    Weights,
)
from .rank import rank_candidates

__all__ = [
    "SLOTS",
    "InvalidProblem",
    "MatchResult",
    "Pair",
    "Resident",
    "ScoreParts",
    "Unmatched",
    "Volunteer",
    "Weights",
    "rank_candidates",
    "solve",
]
