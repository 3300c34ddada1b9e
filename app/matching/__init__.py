"""Voisinage's matching engine: pure Python + numpy/scipy/OR-Tools, no Flask, no database.

Public API: solve() finds the exact optimum (most residents matched, then the largest total
score) under the public rules of PRODUCT.md section 2; rank_candidates() lists one resident's
possible volunteers, best first. See solver.py for how exactness and speed are obtained.
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
