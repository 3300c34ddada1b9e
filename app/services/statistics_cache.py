"""The statistics page's figures, kept in memory while the data they are computed from stay the same.

Computing a territory's figures reads every visit of twelve months (about 200 ms on SQLite with
200,000 visits). Each view first reads a *data version*: the row count and the latest
``updated_at`` of every table the figures read (of users, the latest ``anonymised_at``: a
login changes ``updated_at``, and the figures read only whether an account is erased), in one
query: each ``max`` is an index lookup and each count a walk of the smallest index. The
counts see deletions, which no ``max`` does; they are the price of the version on PostgreSQL
(measured on the bench data, 200,000 visits: 41 ms for the version against 293 ms for the
figures of every territory; on SQLite 1 ms against 541 ms). The figures are reused while the version, the territory and the month are the same; any insert,
deletion or change the figures can see changes the version, so a view is never stale.

What the version relies on: every change of these rows goes through SQLAlchemy, whose
``onupdate`` stamps ``updated_at`` (ORM and Core statements alike), with the clock of this
machine. A change written by hand in SQL without ``updated_at`` would not be seen until the
next change or a restart.

Each process (each gunicorn worker) keeps its own few entries (:data:`MAX_ENTRIES`, the least
recently used go first). ``STATISTICS_CACHE = False`` in the configuration turns it off.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Commune,
    Match,
    Neighbourhood,
    ResidentProfile,
    User,
    Visit,
    VolunteerProfile,
)
from app.services import statistics

#: Every table the figures read (see :mod:`app.services.statistics`) and the column that
#: changes with each change of a row they read: users change ``updated_at`` at each login,
#: the figures read only whether they are erased.
SOURCES = ((ResidentProfile, ResidentProfile.updated_at),
           (VolunteerProfile, VolunteerProfile.updated_at), (Match, Match.updated_at),
           (Visit, Visit.updated_at), (User, User.anonymised_at),
           (Neighbourhood, Neighbourhood.updated_at), (Commune, Commune.updated_at))
#: Entries kept per process: a few territories, and the whole service.
MAX_ENTRIES = 16

_entries: OrderedDict[tuple, statistics.Statistics] = OrderedDict()
_lock = threading.Lock()


def data_version() -> tuple:
    """(row count, latest change) of every source table, in one query."""
    columns = []
    for model, changed in SOURCES:
        columns.append(select(func.count()).select_from(model).scalar_subquery())
        columns.append(select(func.max(changed)).scalar_subquery())
    return tuple(db.session.execute(select(*columns)).one())


def territory_statistics(territory_id: uuid.UUID | None, now: datetime) -> statistics.Statistics:
    """:func:`statistics.territory_statistics`, reused while the data have not changed.

    The figures returned may be shared with other requests: read them, never change them.
    """
    if not current_app.config.get("STATISTICS_CACHE", True):
        return statistics.territory_statistics(territory_id, now)
    period = statistics.last_months(now)
    key = (str(db.engine.url), territory_id, period.start, data_version())
    with _lock:
        found = _entries.get(key)
        if found is not None:
            _entries.move_to_end(key)
            return found
    figures = statistics.territory_statistics(territory_id, now)
    with _lock:
        _entries[key] = figures
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return figures


def clear() -> None:
    """Forget every entry (tests)."""
    with _lock:
        _entries.clear()
