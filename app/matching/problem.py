"""JSON problem -> dataclasses (with checks that name the bad item and field), result -> JSON.

Input rules, beyond the field types:
- every listed field of a resident or volunteer is required (use null for "no gender");
  fields not listed are ignored, so callers may send extra information;
- ids may be strings or integers; they are kept as strings (1 and "1" are the same id);
- the top level accepts only "weights", "residents", "volunteers" and "excluded_pairs"
  ("weights" and "excluded_pairs" are optional); "weights" accepts only the four weight names;
- an excluded pair naming an id that is not in the problem is ignored (the history of
  declined or ended pairs may name people who are no longer waiting or available).
Value rules (slots, ranges, duplicates, genders) are in validate.py, shared with solve().
"""

from __future__ import annotations

import json
import math
from typing import Any

from .model import InvalidProblem, MatchResult, Resident, Volunteer, Weights
from .validate import item_label, validate_people

_RESIDENT_FIELDS = ("id", "lat", "lon", "slots", "languages", "interests", "volunteer_gender", "waiting_days")
_VOLUNTEER_FIELDS = ("id", "lat", "lon", "slots", "languages", "interests", "gender", "capacity", "max_km")
_TOP_LEVEL = ("weights", "residents", "volunteers", "excluded_pairs")
_WEIGHT_NAMES = ("waiting", "distance", "slots", "interests")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)  # JSON true is not a number


def _is_number(x: Any) -> bool:
    return (_is_int(x) or isinstance(x, float)) and math.isfinite(x)


class _Item:
    """Reads the fields of one resident or volunteer, raising with its label on error."""

    def __init__(self, kind: str, index: int, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise InvalidProblem(f"{kind}[{index}]: expected an object, got {type(raw).__name__}")
        self.kind, self.index, self.raw = kind, index, raw
        self.label = f"{kind}[{index}]"
        self.id = self.ident(raw.get("id"), "id") if "id" in raw else None
        if self.id is None:
            raise self.error("id", "missing")
        self.label = item_label(kind, index, self.id)

    def error(self, field: str, message: str) -> InvalidProblem:
        """The error for one field of this item."""
        return InvalidProblem(f'{self.label}: field "{field}": {message}')

    def get(self, field: str) -> Any:
        """A required field's raw value."""
        if field not in self.raw:
            raise self.error(field, "missing")
        return self.raw[field]

    def ident(self, value: Any, field: str) -> str:
        """An id: a non-empty string, or an integer turned into a string."""
        if isinstance(value, str) and value:
            return value
        if _is_int(value):
            return str(value)
        raise self.error(field, f"expected a non-empty string or an integer, got {json.dumps(value)}")

    def number(self, field: str) -> float:
        """A finite number (not a boolean)."""
        value = self.get(field)
        if not _is_number(value):
            raise self.error(field, f"expected a number, got {json.dumps(value)}")
        return float(value)

    def integer(self, field: str) -> int:
        """An integer (not a boolean, not 2.0)."""
        value = self.get(field)
        if not _is_int(value):
            raise self.error(field, f"expected an integer, got {json.dumps(value)}")
        return value

    def strings(self, field: str) -> frozenset[str]:
        """A list of strings, as a set."""
        value = self.get(field)
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise self.error(field, f"expected a list of strings, got {json.dumps(value)}")
        return frozenset(value)

    def gender(self, field: str) -> str | None:
        """"f", "m" or null."""
        value = self.get(field)
        if value not in (None, "f", "m"):
            raise self.error(field, f'expected "f", "m" or null, got {json.dumps(value)}')
        return value


def _resident(index: int, raw: Any) -> Resident:
    item = _Item("residents", index, raw)
    return Resident(
        id=item.id, lat=item.number("lat"), lon=item.number("lon"), slots=item.strings("slots"),
        languages=item.strings("languages"), interests=item.strings("interests"),
        volunteer_gender=item.gender("volunteer_gender"), waiting_days=item.integer("waiting_days"),
    )


def _volunteer(index: int, raw: Any) -> Volunteer:
    item = _Item("volunteers", index, raw)
    return Volunteer(
        id=item.id, lat=item.number("lat"), lon=item.number("lon"), slots=item.strings("slots"),
        languages=item.strings("languages"), interests=item.strings("interests"),
        gender=item.gender("gender"), capacity=item.integer("capacity"), max_km=item.number("max_km"),
    )


def _weights(raw: Any) -> Weights:
    if not isinstance(raw, dict):
        raise InvalidProblem(f"weights: expected an object, got {json.dumps(raw)}")
    for name in raw:
        if name not in _WEIGHT_NAMES:
            raise InvalidProblem(f'weights: field {json.dumps(name)}: unknown weight (known: {", ".join(_WEIGHT_NAMES)})')
    for name, value in raw.items():
        if not _is_number(value):
            raise InvalidProblem(f'weights: field "{name}": expected a number, got {json.dumps(value)}')
    return Weights(**{name: float(value) for name, value in raw.items()})


def _excluded(raw: Any) -> frozenset[tuple[str, str]]:
    if not isinstance(raw, list):
        raise InvalidProblem(f"excluded_pairs: expected a list, got {json.dumps(raw)}")
    out = set()
    for k, pair in enumerate(raw):
        ok = isinstance(pair, list) and len(pair) == 2 and all(
            (isinstance(x, str) and x) or _is_int(x) for x in pair
        )
        if not ok:
            raise InvalidProblem(f"excluded_pairs[{k}]: expected [resident id, volunteer id], got {json.dumps(pair)}")
        out.add((str(pair[0]), str(pair[1])))
    return frozenset(out)


def parse_problem(data: Any) -> tuple[list[Resident], list[Volunteer], frozenset[tuple[str, str]], Weights]:
    """Checked (residents, volunteers, excluded_pairs, weights) from decoded JSON."""
    if not isinstance(data, dict):
        raise InvalidProblem(f"problem: expected an object, got {type(data).__name__}")
    for key in data:
        if key not in _TOP_LEVEL:
            raise InvalidProblem(f"problem: unknown field {json.dumps(key)} (known: {', '.join(_TOP_LEVEL)})")
    lists = {}
    for key in ("residents", "volunteers"):
        if key not in data:
            raise InvalidProblem(f'problem: field "{key}": missing')
        if not isinstance(data[key], list):
            raise InvalidProblem(f'problem: field "{key}": expected a list')
        lists[key] = data[key]
    residents = [_resident(i, raw) for i, raw in enumerate(lists["residents"])]
    volunteers = [_volunteer(j, raw) for j, raw in enumerate(lists["volunteers"])]
    validate_people(residents, volunteers)
    weights = _weights(data["weights"]) if "weights" in data else Weights()
    excluded = _excluded(data["excluded_pairs"]) if "excluded_pairs" in data else frozenset()
    return residents, volunteers, excluded, weights


def result_to_json(result: MatchResult) -> dict[str, Any]:
    """The result as plain JSON data; scores and parts rounded to 2 decimals, km to 3."""
    return {
        "pairs": [
            {
                "resident": p.resident,
                "volunteer": p.volunteer,
                "score": round(p.score, 2),
                "parts": {
                    "waiting": round(p.parts.waiting, 2),
                    "distance": round(p.parts.distance, 2),
                    "slots": round(p.parts.slots, 2),
                    "interests": round(p.parts.interests, 2),
                },
                "distance_km": round(p.distance_km, 3),
                "shared_slots": list(p.shared_slots),
                "shared_interests": list(p.shared_interests),
            }
            for p in result.pairs
        ],
        "unmatched": [{"resident": u.resident, "reason": u.reason} for u in result.unmatched],
        "matched": result.matched,
        "total_score": round(result.total_score, 2),
    }
