"""Reference data: communes (with postcodes) and neighbourhoods, imported from CSV files.

An import is all or nothing: every row is checked first, and the first bad rows are reported
with their line numbers before anything is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Commune, CommunePostcode, Neighbourhood

COMMUNE_COLUMNS = ("insee_code", "name", "postcodes", "population", "latitude", "longitude")
NEIGHBOURHOOD_COLUMNS = ("commune_insee", "name", "latitude", "longitude")
#: Stop listing errors after this many; a file that bad needs fixing anyway.
MAX_REPORTED = 20


class InvalidFile(ValueError):
    """The file cannot be imported; ``errors`` lists "line N: problem" strings."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class CommuneRow:
    """One checked row of a communes file."""

    insee_code: str
    name: str
    postcodes: tuple[str, ...]
    population: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class NeighbourhoodRow:
    """One checked row of a neighbourhoods file."""

    commune_insee: str
    name: str
    latitude: float
    longitude: float


def _rows(text: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidFile([f"line 1: missing column(s) {', '.join(missing)}"])
        return [(reader.line_num, row) for row in reader]
    except csv.Error as error:  # a lone carriage return, a NUL: not a CSV file we can read
        raise InvalidFile([f"line {reader.line_num or 1}: {error}"]) from None


def _coordinate(row: dict, name: str, limit: float) -> float:
    try:
        value = float((row.get(name) or "").strip())
    except ValueError:
        raise ValueError(f"{name} is not a number: {row.get(name)!r}") from None
    if not -limit <= value <= limit:
        raise ValueError(f"{name} {value} is outside [-{limit:g}, {limit:g}]")
    return value


def _text(row: dict, name: str, max_len: int) -> str:
    value = (row.get(name) or "").strip()
    if not value:
        raise ValueError(f"{name} is empty")
    if len(value) > max_len:
        raise ValueError(f"{name} is longer than {max_len} characters")
    return value


def _check_all(rows, check) -> list:
    checked, errors = [], []
    for line, row in rows:
        try:
            checked.append(check(row))
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            if len(errors) >= MAX_REPORTED:
                break
    if errors:
        raise InvalidFile(errors)
    return checked


def parse_communes(text: str) -> list[CommuneRow]:
    """Check a communes CSV (columns: insee_code, name, postcodes, population, latitude, longitude)."""

    def check(row: dict) -> CommuneRow:
        code = _text(row, "insee_code", 5)
        if len(code) != 5 or not code[:2].isalnum() or not code[2:].isdigit():
            raise ValueError(f"insee_code {code!r} is not an INSEE code")
        # A postcode written twice is the same postcode (a second row would break the key).
        postcodes = tuple(dict.fromkeys((row.get("postcodes") or "").split()))
        if not postcodes or any(len(p) != 5 or not p.isdigit() for p in postcodes):
            raise ValueError(f"postcodes {row.get('postcodes')!r} are not 5-digit postcodes")
        try:
            population = int((row.get("population") or "0").strip() or 0)
        except ValueError:
            raise ValueError(f"population is not a whole number: {row.get('population')!r}") from None
        if population < 0:
            raise ValueError("population is negative")
        return CommuneRow(code, _text(row, "name", 120), postcodes, population,
                          _coordinate(row, "latitude", 90), _coordinate(row, "longitude", 180))

    lines = _rows(text, COMMUNE_COLUMNS)
    rows = _check_all(lines, check)
    _refuse_duplicates(lines, [(r.insee_code,) for r in rows], "insee_code")
    return rows


def parse_neighbourhoods(text: str) -> list[NeighbourhoodRow]:
    """Check a neighbourhoods CSV (columns: commune_insee, name, latitude, longitude)."""
    known = set(db.session.scalars(select(Commune.insee_code)))

    def check(row: dict) -> NeighbourhoodRow:
        code = _text(row, "commune_insee", 5)
        if code not in known:
            raise ValueError(f"commune_insee {code!r} is not a known commune")
        return NeighbourhoodRow(code, _text(row, "name", 120),
                                _coordinate(row, "latitude", 90), _coordinate(row, "longitude", 180))

    lines = _rows(text, NEIGHBOURHOOD_COLUMNS)
    rows = _check_all(lines, check)
    _refuse_duplicates(lines, [(r.commune_insee, r.name.casefold()) for r in rows],
                       "commune_insee, name")
    return rows


def _refuse_duplicates(lines: list[tuple[int, dict]], keys: list[tuple], what: str) -> None:
    """Refuse rows with the same key; ``lines`` gives each row's line in the file.

    Line numbers come from the reader, not from the row's position: blank lines are skipped
    and a quoted field may span several lines.
    """
    seen: dict[tuple, int] = {}
    errors = []
    for (line, _), key in zip(lines, keys):
        if key in seen:
            errors.append(f"line {line}: same {what} as line {seen[key]}")
        seen.setdefault(key, line)
    if errors:
        raise InvalidFile(errors[:MAX_REPORTED])


def save_communes(rows: list[CommuneRow], *, with_neighbourhood: bool = True) -> int:
    """Insert or update communes and their postcodes; optionally one neighbourhood at each point."""
    existing = {c.insee_code: c for c in db.session.scalars(select(Commune))}
    for row in rows:
        commune = existing.get(row.insee_code) or Commune(insee_code=row.insee_code)
        commune.name, commune.population = row.name, row.population
        commune.postcodes = [CommunePostcode(postcode=p, commune_insee=row.insee_code)
                             for p in row.postcodes]
        db.session.add(commune)
        if with_neighbourhood and row.insee_code not in existing:
            db.session.add(Neighbourhood(commune_insee=row.insee_code, name=row.name,
                                         latitude=row.latitude, longitude=row.longitude))
    db.session.flush()
    return len(rows)


def save_neighbourhoods(rows: list[NeighbourhoodRow]) -> tuple[int, int]:
    """Insert new neighbourhoods and move existing ones (same commune and name); (created, updated)."""
    existing = {(n.commune_insee, n.name.casefold()): n
                for n in db.session.scalars(select(Neighbourhood))}
    created = updated = 0
    for row in rows:
        current = existing.get((row.commune_insee, row.name.casefold()))
        if current is None:
            db.session.add(Neighbourhood(commune_insee=row.commune_insee, name=row.name,
                                         latitude=row.latitude, longitude=row.longitude))
            created += 1
        else:
            current.latitude, current.longitude = row.latitude, row.longitude
            updated += 1
    db.session.flush()
    return created, updated


def communes_for_postcode(postcode: str) -> list[Commune]:
    """Communes a postcode covers (several for 64140: Billère and Lons)."""
    return list(db.session.scalars(
        select(Commune).join(CommunePostcode).where(CommunePostcode.postcode == postcode)
        .order_by(Commune.name)
    ))
