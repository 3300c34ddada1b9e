"""The residents list's queries: counts by state and a page of rows, in a fixed number.

The state of a request (waiting, proposed, active, paused, closed) is read from its status and
its live pair (PRODUCT.md §1), in Python for one record (:func:`app.resident.status.state_of`)
and in SQL for the list, both from :data:`app.resident.status.PAIR_STATES`. The counts read the profiles and their live pair alone; a page is cut
from them too (unless the sort or the search needs the names), then its 25 rows get every
column they print in one more query: no relationship is loaded per row.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select

from app.agent.forms import ResidentFilterForm
from app.agent.rows import PersonRow, people_scoped
from app.extensions import db
from app.models import (
    Commune,
    Match,
    MatchStatus,
    Neighbourhood,
    RequestStatus,
    ResidentProfile,
    User,
    utcnow,
)
from app.resident.status import PAIR_STATES, ResidentState, waiting_days

#: Rows on a page of the list.
PAGE_SIZE = 25


#: States in which the person still waits for a volunteer (their waiting time means something).
STILL_WAITING = (ResidentState.WAITING, ResidentState.PROPOSED)
#: Order of the states in the default sort: those still waiting first.
STATE_ORDER = {ResidentState.WAITING: 0, ResidentState.PROPOSED: 0, ResidentState.ACTIVE: 1,
               ResidentState.PAUSED: 2, ResidentState.CLOSED: 3}


def _state_sql(pair_status, value=lambda state: state.value):
    """The rule of :func:`app.resident.status.state_of` as a SQL expression giving ``value(state)``.

    The default gives the state's value; the list's default sort asks for the state's rank
    (one CASE per row rather than a CASE over the state's CASE).
    """
    by_pair = [(pair_status.in_([m for m, s in PAIR_STATES.items() if s is state]), value(state))
               for state in (ResidentState.PROPOSED, ResidentState.ACTIVE)]
    return case(
        (ResidentProfile.status == RequestStatus.CLOSED, value(ResidentState.CLOSED)),
        (ResidentProfile.status == RequestStatus.PAUSED, value(ResidentState.PAUSED)),
        *by_pair,
        else_=value(ResidentState.WAITING),
    )


# The list --------------------------------------------------------------------------------------

#: A search made only of these characters is one phone number, spaces and all.
PHONE_LIKE = re.compile(r"[\d\s.+()-]+")


def search_words(text: str | None) -> tuple[str, ...]:
    """The words of a search (at most 6); a phone number typed with spaces stays one word."""
    text = (text or "").strip()
    if PHONE_LIKE.fullmatch(text) and sum(c.isdigit() for c in text) >= 3:
        return (text,)
    return tuple(text.split()[:6])


@dataclass
class ResidentFilters:
    """What the list shows: search words, state, neighbourhood, least waiting days, sort, page."""

    words: tuple[str, ...] = ()
    state: ResidentState | None = None
    neighbourhood_id: uuid.UUID | None = None
    min_wait: int | None = None
    sort: str = "attente"
    page: int = 1

    @classmethod
    def from_form(cls, form: ResidentFilterForm) -> ResidentFilters:
        """The valid filters of the form; a refused one is left out (its message is shown)."""
        def ok(field):
            return field.data and not field.errors
        return cls(
            words=search_words(form.q.data) if ok(form.q) else (),
            state=ResidentState(form.etat.data) if ok(form.etat) else None,
            neighbourhood_id=uuid.UUID(form.quartier.data) if ok(form.quartier) else None,
            min_wait=int(form.attente.data) if ok(form.attente) else None,
            sort=form.tri.data if ok(form.tri) else "attente",
            page=form.page.data if ok(form.page) else 1,
        )


@dataclass(frozen=True)
class ResidentRow(PersonRow):
    """One line of the list (and of the export)."""

    state: ResidentState
    waiting_since: datetime
    created_at: datetime
    visit_kind: object
    by_agent: bool

    @property
    def waiting_days(self) -> int | None:
        """Days waited so far, for a person still without a volunteer."""
        return waiting_days(self.waiting_since) if self.state in STILL_WAITING else None


def contains(column, word: str):
    """Case-insensitive "contains", escaping LIKE's wildcards.

    ``lower()`` folds every letter on PostgreSQL but only ASCII ones on SQLite, so the word as
    typed is tried as well ("Élise" finds "Élise" on both).
    """
    return or_(func.lower(column).contains(word.lower(), autoescape=True),
               column.contains(word, autoescape=True))


def person_matches(word: str):
    """Condition: the person's name, e-mail or phone contains the word."""
    conditions = [contains(User.first_name, word), contains(User.last_name, word),
                  contains(User.email, word)]
    digits = "".join(c for c in word if c.isdigit())
    if len(digits) >= 3 and PHONE_LIKE.fullmatch(word):
        # Phones are stored as +33612345678: "06 12 34" is searched as "612 34" without the 0.
        conditions.append(User.phone.contains(digits.removeprefix("0"),
                                              autoescape=True))
    return or_(*conditions)


def _resident_select(tid: uuid.UUID | None, filters: ResidentFilters, *columns,
                     places: bool = True):
    """The residents of the territory matching every filter but the state, with their state.

    Returns the statement, the state column and the state's rank in the default sort.

    ``places``: join the neighbourhood, the commune and the user, for the columns that print
    them (the counts need none of them: every resident has a place, and erased accounts are
    left out by their ids).
    """
    live = (select(Match.resident_id, Match.status)
            .where(Match.status.in_(MatchStatus.live())).subquery("live"))
    state = _state_sql(live.c.status).label("state")
    rank = _state_sql(live.c.status, STATE_ORDER.get)
    stmt = people_scoped(select(*columns, state).select_from(ResidentProfile),
                         ResidentProfile.neighbourhood_id, ResidentProfile.user_id, tid,
                         join_users=places or bool(filters.words))
    if places:
        stmt = (stmt.join(Neighbourhood, Neighbourhood.id == ResidentProfile.neighbourhood_id)
                .join(Commune, Commune.insee_code == Neighbourhood.commune_insee))
    stmt = stmt.outerjoin(live, live.c.resident_id == ResidentProfile.id)
    for word in filters.words:
        stmt = stmt.where(person_matches(word))
    if filters.neighbourhood_id:
        stmt = stmt.where(ResidentProfile.neighbourhood_id == filters.neighbourhood_id)
    if filters.min_wait:
        cutoff = utcnow() - timedelta(days=filters.min_wait)
        stmt = stmt.where(state.in_([s.value for s in STILL_WAITING]),
                          ResidentProfile.waiting_since <= cutoff)
    return stmt, state, rank


def state_counts(tid: uuid.UUID | None, filters: ResidentFilters) -> dict[ResidentState, int]:
    """How many residents each state holds, under the other filters (one query)."""
    stmt, state, _rank = _resident_select(tid, filters, func.count().label("n"), places=False)
    counts = {s: 0 for s in ResidentState}
    for n, value in db.session.execute(stmt.group_by(state)).all():
        counts[ResidentState(value)] = n
    return counts


#: What a row prints of a resident, after its id (see :class:`ResidentRow`).
_ROW_COLUMNS = (User.first_name, User.last_name, User.phone, User.email, Commune.name,
                Neighbourhood.name, ResidentProfile.waiting_since, ResidentProfile.created_at,
                ResidentProfile.visit_kind, ResidentProfile.registered_by_id.is_not(None))


def resident_rows(tid: uuid.UUID | None, filters: ResidentFilters,
                  limit: int | None = None) -> list[ResidentRow]:
    """The residents under every filter, sorted; a page of them with ``limit``.

    A page takes two queries: its ids, sorted and cut from the profiles and their live pair
    alone (no user, neighbourhood or commune row read per resident, unless the sort or the
    search needs the names), then what the page's 25 rows print. The export (no ``limit``)
    reads everything in one query.
    """
    by_name = filters.sort == "nom"
    columns = _ROW_COLUMNS if limit is None else ()
    stmt, state, rank = _resident_select(tid, filters, ResidentProfile.id, *columns,
                                         places=limit is None or by_name)
    if filters.state:
        stmt = stmt.where(state == filters.state.value)
    stmt = stmt.order_by(*{
        "nom": (func.lower(User.last_name), func.lower(User.first_name)),
        "recent": (ResidentProfile.created_at.desc(),),
    }.get(filters.sort, (rank, ResidentProfile.waiting_since)), ResidentProfile.id)
    if limit is None:
        return [_row(r[0], r[1:-1], r[-1]) for r in db.session.execute(stmt)]
    page = db.session.execute(stmt.limit(limit).offset((filters.page - 1) * limit)).all()
    if not page:
        return []
    printed = {r[0]: r[1:] for r in db.session.execute(
        select(ResidentProfile.id, *_ROW_COLUMNS)
        .join(User, User.id == ResidentProfile.user_id)
        .join(Neighbourhood, Neighbourhood.id == ResidentProfile.neighbourhood_id)
        .join(Commune, Commune.insee_code == Neighbourhood.commune_insee)
        .where(ResidentProfile.id.in_([resident_id for resident_id, _state in page])))}
    return [_row(resident_id, printed[resident_id], value) for resident_id, value in page]


def _row(resident_id: uuid.UUID, printed, state: str) -> ResidentRow:
    (first_name, last_name, phone, email, commune, neighbourhood, waiting_since, created_at,
     visit_kind, by_agent) = printed
    return ResidentRow(id=resident_id, first_name=first_name, last_name=last_name, phone=phone,
                       email=email, commune=commune, neighbourhood=neighbourhood,
                       waiting_since=waiting_since, created_at=created_at, visit_kind=visit_kind,
                       by_agent=bool(by_agent), state=ResidentState(state))


def neighbourhood_choices(tid: uuid.UUID | None) -> list[tuple[str, str]]:
    """The territory's neighbourhoods, as (id, "Name (Commune)") choices."""
    stmt = (select(Neighbourhood.id, Neighbourhood.name, Commune.name).join(Commune)
            .order_by(Commune.name, Neighbourhood.name))
    if tid is not None:
        stmt = stmt.where(Commune.territory_id == tid)
    return [(str(nid), name if name == commune else f"{name} ({commune})")
            for nid, name, commune in db.session.execute(stmt)]
