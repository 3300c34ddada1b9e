"""Value rules on residents and volunteers, checked in bulk; errors name the item and field."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .encode import column
from .model import GENDERS, SLOTS, InvalidProblem, Resident, Volunteer

_SLOT_SET = frozenset(SLOTS)
_GENDER_VALUES = frozenset((None, *GENDERS))


def item_label(kind: str, index: int, item_id: Any) -> str:
    """How an error names an item, e.g. `residents[3] (id "r7")`."""
    return f"{kind}[{index}] (id {json.dumps(str(item_id))})"


def fail(kind: str, index: int, item_id: Any, field: str, message: str) -> InvalidProblem:
    """The InvalidProblem for one field of one item."""
    return InvalidProblem(f'{item_label(kind, index, item_id)}: field "{field}": {message}')


def _first(items: Sequence[Any], bad: Callable[[Any], bool]) -> int:
    return next(i for i, item in enumerate(items) if bad(item))


def _check_ids(kind: str, items: Sequence[Resident] | Sequence[Volunteer]) -> None:
    ids = [item.id for item in items]
    if len(set(ids)) == len(ids):
        return
    seen: set[str] = set()
    for i, item_id in enumerate(ids):
        if item_id in seen:
            raise fail(kind, i, item_id, "id", f"duplicate id {json.dumps(item_id)}")
        seen.add(item_id)


def _check_slots(kind: str, items: Sequence[Resident] | Sequence[Volunteer]) -> None:
    unknown = set().union(*(item.slots for item in items)) - _SLOT_SET if items else set()
    if unknown:
        i = _first(items, lambda item: not item.slots <= _SLOT_SET)
        slot = min(items[i].slots - _SLOT_SET, key=str)
        raise fail(kind, i, items[i].id, "slots", f"unknown slot {json.dumps(slot)}")


def _check_range(kind: str, items: Sequence[Any], field: str, low: float, high: float, rule: str) -> None:
    values = column(items, field, np.float64)
    bad = ~((values >= low) & (values <= high))  # also catches NaN
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise fail(kind, i, items[i].id, field, f"{rule}, got {getattr(items[i], field)!r}")


def _check_gender(kind: str, items: Sequence[Any], field: str) -> None:
    values = {getattr(item, field) for item in items}
    if not values <= _GENDER_VALUES:
        i = _first(items, lambda item: getattr(item, field) not in _GENDER_VALUES)
        value = getattr(items[i], field)
        raise fail(kind, i, items[i].id, field, f'must be "f", "m" or null, got {value!r}')


def validate_people(residents: Sequence[Resident], volunteers: Sequence[Volunteer]) -> None:
    """Raise InvalidProblem for the first item breaking a value rule; return None if all hold."""
    top = float(np.finfo(np.float64).max)  # finite: an infinite reach is a mistake, not a choice
    for kind, items in (("residents", residents), ("volunteers", volunteers)):
        _check_ids(kind, items)
        _check_range(kind, items, "lat", -90.0, 90.0, "latitude must be between -90 and 90")
        _check_range(kind, items, "lon", -180.0, 180.0, "longitude must be between -180 and 180")
        _check_slots(kind, items)
    _check_gender("residents", residents, "volunteer_gender")
    _check_gender("volunteers", volunteers, "gender")
    _check_range("residents", residents, "waiting_days", 0, top, "must be >= 0")
    _check_range("volunteers", volunteers, "capacity", 0, top, "must be >= 0")
    _check_range("volunteers", volunteers, "max_km", 0, top, "must be a finite number >= 0")
