"""Settings an administrator may change at run time, with their defaults."""

from __future__ import annotations

from app.extensions import db
from app.models import Setting

#: PRODUCT.md §2 default weights of the score (out of 100).
DEFAULT_WEIGHTS = {"waiting": 40.0, "distance": 25.0, "slots": 20.0, "interests": 15.0}
#: Months after which closed records are anonymised.
DEFAULT_RETENTION_MONTHS = 24


def matching_weights() -> dict[str, float]:
    """The weights in force: the stored ones, else the defaults."""
    row = db.session.get(Setting, "matching_weights")
    return {**DEFAULT_WEIGHTS, **(row.value if row else {})}


def retention_months() -> int:
    """How long closed records are kept before anonymisation."""
    row = db.session.get(Setting, "retention")
    return int(row.value.get("months", DEFAULT_RETENTION_MONTHS)) if row else DEFAULT_RETENTION_MONTHS
