"""Weekly availability: 7 days x morning / afternoon / evening, stored as a 21-bit mask.

Slot ``d * 3 + p`` is day ``d`` (0 = Monday) and period ``p`` (0 = morning); its name is the
matching engine's ``"mon-am"`` form. A mask is compact, indexable and fast to intersect.
"""

from __future__ import annotations

from collections.abc import Iterable

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PERIODS = ("am", "pm", "eve")
SLOTS = tuple(f"{day}-{period}" for day in DAYS for period in PERIODS)
FULL_MASK = (1 << len(SLOTS)) - 1
_INDEX = {name: i for i, name in enumerate(SLOTS)}


def mask_from_slots(slots: Iterable[str]) -> int:
    """Turn slot names into a mask; an unknown name raises ``KeyError``."""
    mask = 0
    for name in slots:
        mask |= 1 << _INDEX[name]
    return mask


def slots_from_mask(mask: int) -> list[str]:
    """Turn a mask into slot names, in week order."""
    return [name for i, name in enumerate(SLOTS) if mask >> i & 1]


def slot_count(mask: int) -> int:
    """How many slots a mask holds."""
    return bin(mask & FULL_MASK).count("1")
