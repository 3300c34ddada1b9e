"""Everything held about a person, as JSON: a walk of the schema's foreign keys from their row.

The walk is planned from the SQLAlchemy metadata, not from a list of models, so a table added
later is exported without anyone remembering to add it (``tests/privacy/test_export.py`` fails
when a table with a foreign-key path to ``users`` is neither walked nor excluded with a reason).

Two kinds of foreign keys:

- *ownership* (``ON DELETE CASCADE`` or ``RESTRICT``): the child row belongs to the parent
  (a resident's pair, the pair's visits, a visit's log). The walk goes on from the child.
- *mention* (``ON DELETE SET NULL``): the row outlives the person and belongs to someone else
  (the agent who decided a pair, the run that proposed it). The row that mentions the person is
  exported, but the walk stops there: an agent's export must not pull in, through the pairs they
  approved, the visits and notes of every resident of their territory.

Secrets are never exported (:data:`SECRET_COLUMNS`).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, MetaData, Table, select

from app.extensions import db
from app.models import Base, User, utcnow

ROOT = "users"
#: Columns never exported, with the reason: secrets give the person nothing and help an attacker.
SECRET_COLUMNS: dict[tuple[str, str], str] = {
    ("users", "password_hash"): "argon2id hash of the password",
    ("user_sessions", "id"): "SHA-256 of the session token",
    ("password_reset_tokens", "token_hash"): "SHA-256 of the reset token",
    ("volunteer_profiles", "calendar_token"): "secret of the private calendar feed",
}
#: Words written about the person by someone else, and third parties' contact details, are kept
#: out of the self-service export unless the person wrote them: PRODUCT.md §3 keeps visit notes
#: and concerns from residents, and what a volunteer or a relative wrote may harm them if read by
#: whoever shares the resident's computer. The service hands them over on a written request,
#: once it has checked nobody else is harmed (RGPD art. 15(4)). Column -> the column naming its
#: author (None: never the person's own words).
WITHHELD: dict[tuple[str, str], str | None] = {
    ("visit_logs", "note"): "logged_by_id",
    ("concerns", "description"): "raised_by_id",
    ("concern_notes", "body"): "author_id",
    ("campaign_calls", "note"): "called_by_id",
    ("visits", "cancel_reason"): "cancelled_by_id",
    ("matches", "status_reason"): "closed_by_role",
    ("referrals", "reason"): None,
    ("referrals", "referrer_name"): None,
    ("referrals", "referrer_phone"): None,
    ("referrals", "referrer_email"): None,
    ("referrals", "outcome_note"): "handled_by_id",
}
#: What stands in the export for a withheld value.
WITHHELD_MARK = "[withheld: ask the service in writing]"
#: Tables with a foreign-key path to ``users`` that are not exported, with the reason.
#: Empty: every such table is walked, its secret columns left out.
EXCLUDED_TABLES: dict[str, str] = {}
#: Ids given to one ``IN (...)`` at most (SQLite's limit on bound parameters is far above).
CHUNK = 500


@dataclass(frozen=True)
class Edge:
    """A foreign key from ``child.column`` to a walked ``parent`` table."""

    child: str
    column: str
    parent: str
    #: The parent's column the key points at (its primary key, as a rule).
    target: str
    owned: bool


def is_owned(fk: ForeignKey) -> bool:
    """An ownership link: the child row lives and dies with its parent (see the module's doc)."""
    return (fk.ondelete or "").upper() != "SET NULL"


def plan(metadata: MetaData | None = None) -> list[Edge]:
    """Every edge the walk follows, from ``users`` outwards, in a breadth-first order."""
    metadata = metadata or Base.metadata
    descended, edges, queue = {ROOT}, [], [ROOT]
    while queue:
        parent = queue.pop(0)
        for table in metadata.sorted_tables:
            if table.name in EXCLUDED_TABLES:
                continue
            for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
                if fk.column.table.name != parent:
                    continue
                edge = Edge(table.name, fk.parent.name, parent, fk.column.name, is_owned(fk))
                edges.append(edge)
                if edge.owned and table.name not in descended:
                    descended.add(table.name)
                    queue.append(table.name)
    return edges


def planned_tables(metadata: MetaData | None = None) -> set[str]:
    """The tables the walk reads, ``users`` included."""
    return {ROOT} | {edge.child for edge in plan(metadata)}


def collect(user: User, metadata: MetaData | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every row linked to ``user``, by table, secrets left out."""
    metadata = metadata or Base.metadata
    tables = metadata.tables
    users = tables[ROOT]
    me = [dict(row) for row in
          db.session.execute(select(users).where(users.c.id == user.id)).mappings()]
    rows: dict[str, dict[Any, dict[str, Any]]] = {ROOT: {(row["id"],): row for row in me}}
    #: Rows the walk goes on from: the person's own, and those they own (see the module's doc).
    owned: dict[str, list[dict[str, Any]]] = {ROOT: me}
    asked: dict[Edge, set] = {}
    edges = plan(metadata)
    grew = True
    while grew:  # a table may gain owned rows from a parent walked after it: go round again
        grew = False
        for edge in edges:
            values = {row[edge.target] for row in owned.get(edge.parent, [])} - {None}
            values -= asked.setdefault(edge, set())
            asked[edge] |= values
            grew |= _follow(tables[edge.child], edge, values, rows, owned)
    return {name: [_plain_row(name, row, user) for row in found.values()]
            for name, found in sorted(rows.items())}


def _follow(child: Table, edge: Edge, values: set, rows: dict, owned: dict) -> bool:
    """Read the rows of ``child`` whose key is among ``values``; True when new owned rows came."""
    found = rows.setdefault(edge.child, {})
    grew = False
    for chunk in _chunks(sorted(values, key=str)):
        for row in db.session.execute(select(child).where(child.c[edge.column].in_(chunk))):
            mapping = dict(row._mapping)
            key = tuple(mapping[c.name] for c in child.primary_key.columns)
            if key in found:
                continue
            found[key] = mapping
            if edge.owned:
                owned.setdefault(edge.child, []).append(mapping)
                grew = True
    return grew


def export(user: User) -> dict[str, Any]:
    """The JSON document a person downloads from "Mes données"."""
    tables = collect(user)
    return {
        "format": "voisinage-export-1",
        "generated_at": utcnow().isoformat(),
        "person": str(user.id),
        "secrets_left_out": sorted(f"{t}.{c}" for t, c in SECRET_COLUMNS),
        "withheld_unless_yours": sorted(f"{t}.{c}" for t, c in WITHHELD),
        "tables": tables,
        "audit_entries_about_you": _audit_about(user, tables),
    }


def _audit_about(user: User, tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Audit entries whose object is the person or their profile (a text id, not a foreign key):
    who registered, vetted or changed their record, and when."""
    ids = [str(user.id)] + [row["id"] for name in ("resident_profiles", "volunteer_profiles")
                            for row in tables.get(name, []) if row.get("user_id") == str(user.id)]
    audit = Base.metadata.tables["audit_entries"]
    rows = db.session.execute(select(audit).where(audit.c.object_id.in_(ids))
                              .order_by(audit.c.at, audit.c.id))
    return [_plain_row("audit_entries", dict(row._mapping), user) for row in rows]


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _plain_row(table: str, row: dict[str, Any], user: User) -> dict[str, Any]:
    return {name: WITHHELD_MARK if _withheld(table, name, row, user) else _plain(value)
            for name, value in row.items() if (table, name) not in SECRET_COLUMNS}


def _withheld(table: str, column: str, row: dict[str, Any], user: User) -> bool:
    """Whether a value is someone else's words about the person (see :data:`WITHHELD`)."""
    if (table, column) not in WITHHELD or row[column] is None:
        return False
    author = WITHHELD[(table, column)]
    if author is None:
        return True
    if author == "closed_by_role":
        return row[author] != user.role.value
    return row[author] != user.id


def _plain(value: Any) -> Any:
    """A value JSON can hold."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value

