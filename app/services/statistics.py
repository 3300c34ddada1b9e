"""Aggregate figures: sign-ups, matches, time to match and visits, per month and per neighbourhood.

Every count is an aggregate query that runs the same on SQLite and PostgreSQL. A row is put in
its month by a CASE over the months' first instants, computed here in Paris time: no date
function of either database is needed, and a month is a Paris calendar month (a visit at
23:30 on 31 March in Pau counts in March, although it is already April in UTC).

Two audiences read these figures:

- agents (:func:`territory_statistics`, :func:`statistics_csv`): their territory, the last
  twelve months including the current one, exact counts (the page is not published);
- anyone (:func:`open_data_rows`, :func:`open_data_csv`): every commune of the service, the
  twelve complete months before the current one, with every count below
  :data:`SMALL_COUNT` suppressed (see :func:`suppress`).
"""

from __future__ import annotations

import csv
import io
import statistics as pystats
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import cached_property

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal_column, select, union_all

from app.extensions import db
from app.models import (
    PARIS,
    Commune,
    Match,
    MatchStatus,
    Neighbourhood,
    RequestStatus,
    ResidentProfile,
    User,
    Visit,
    VisitStatus,
    VolunteerProfile,
    paris_days_since,
    utcnow,
)
from app.services import audit
from app.services.scope import communes_of, residents_in, residents_of, volunteers_in

#: How many months the figures cover.
MONTHS = 12
#: Published counts below this are suppressed (PRODUCT.md §3: "counts < 5 suppressed").
SMALL_COUNT = 5
#: What a suppressed count reads in the public file.
SUPPRESSED = "<5"
#: Pairs that hold a resident and are followed: active ones and those paused by their members.
ONGOING_PAIRS = (MatchStatus.ACTIVE, MatchStatus.PAUSED)
#: A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: The monthly series, in the order of the tables, the charts and the CSV files.
SERIES = ("residents", "volunteers", "matches", "visits")
#: The per-neighbourhood measures.
PLACE_MEASURES = ("waiting", "pairs", "visits")


# Months ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Consecutive Paris calendar months: their first days, and the instants that bound them."""

    months: tuple[date, ...]
    #: First instant of each month in UTC, then the first instant after the last month.
    bounds: tuple[datetime, ...]

    @property
    def start(self) -> datetime:
        """The first instant of the period."""
        return self.bounds[0]

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return self.bounds[-1]

    @cached_property
    def _month_index(self) -> dict[tuple[int, int], int]:
        return {(m.year, m.month): i for i, m in enumerate(self.months)}

    def index_of(self, moment: datetime) -> int | None:
        """The month a moment falls in (0 is the oldest), None outside the period."""
        local = moment.astimezone(PARIS)
        return self._month_index.get((local.year, local.month))

    def bucket(self, column):
        """SQL: the index of the month ``column`` falls in (keep the period's rows with ``within``).

        The indexes are written as literals so PostgreSQL types them as integers.
        """
        whens = [(column < bound, literal_column(str(i)))
                 for i, bound in enumerate(self.bounds[1:-1])]
        last = literal_column(str(len(self.months) - 1))
        return case(*whens, else_=last) if whens else last

    def within(self, column):
        """SQL: ``column`` falls in the period."""
        return and_(column >= self.start, column < self.end)


def _first_instant(day: date) -> datetime:
    return datetime.combine(day, time(0), PARIS).astimezone(timezone.utc)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_months(now: datetime | None = None, count: int = MONTHS, *,
                include_current: bool = True) -> Period:
    """The ``count`` months ending with the current one (or with the one before it)."""
    local = (now or utcnow()).astimezone(PARIS)
    last = _add_months(date(local.year, local.month, 1), 0 if include_current else -1)
    months = tuple(_add_months(last, -i) for i in range(count - 1, -1, -1))
    bounds = tuple(_first_instant(m) for m in (*months, _add_months(last, 1)))
    return Period(months, bounds)


def month_label(month: date, *, short: bool = False) -> str:
    """"novembre 2026", or "nov. 26" for the axis of a chart."""
    return format_date(month, "MMM yy" if short else "LLLL y")


# Counts ----------------------------------------------------------------------------------------

def _scoped(stmt, territory_id: uuid.UUID | None):
    return stmt if territory_id is None else stmt.where(
        Neighbourhood.commune_insee.in_(communes_of(territory_id)))


def _monthly_sources(period: Period):
    """(series, SELECT of commune and month index) for each monthly series."""
    resident_place = Neighbourhood.id == ResidentProfile.neighbourhood_id

    def rows(series: str, column, *joins, where=()):
        stmt = select(literal_column(str(SERIES.index(series))).label("series"),
                      Neighbourhood.commune_insee.label("commune"),
                      period.bucket(column).label("month"))
        for target, on in joins:
            stmt = stmt.join(target, on)
        return stmt.where(period.within(column), *where)

    yield rows("residents", ResidentProfile.created_at,
               (Neighbourhood, resident_place)).select_from(ResidentProfile)
    yield rows("volunteers", VolunteerProfile.created_at,
               (Neighbourhood, Neighbourhood.id == VolunteerProfile.neighbourhood_id)
               ).select_from(VolunteerProfile)
    yield rows("matches", Match.accepted_at,
               (ResidentProfile, ResidentProfile.id == Match.resident_id),
               (Neighbourhood, resident_place)).select_from(Match)
    yield rows("visits", Visit.starts_at,
               (Match, Match.id == Visit.match_id),
               (ResidentProfile, ResidentProfile.id == Match.resident_id),
               (Neighbourhood, resident_place),
               where=(Visit.status == VisitStatus.DONE,)).select_from(Visit)


def monthly_counts(period: Period, territory_id: uuid.UUID | None = None
                   ) -> dict[tuple[str, str, int], int]:
    """{(series, commune INSEE code, month index): count}, in one query; missing means 0."""
    parts = [_scoped(stmt, territory_id) for stmt in _monthly_sources(period)]
    rows = union_all(*parts).subquery()
    stmt = (select(rows.c.series, rows.c.commune, rows.c.month, func.count())
            .group_by(rows.c.series, rows.c.commune, rows.c.month))
    return {(SERIES[int(s)], commune, int(m)): n for s, commune, m, n in db.session.execute(stmt)}


def monthly_totals(period: Period, territory_id: uuid.UUID | None = None
                   ) -> dict[tuple[str, int], int]:
    """{(series, month index): count} of a territory (every one for None), in one query.

    Residents, volunteers and matches: the agents' page needs no commune detail, so each
    series is counted from its own table, scoped by id sets rather than joined row by row.
    The visits come from :func:`visit_counts`.
    """
    def part(series: str, column, *where):
        return (select(literal_column(str(SERIES.index(series))).label("series"),
                       period.bucket(column).label("month"))
                .where(period.within(column), *where))

    scope = territory_id is not None
    parts = [
        part("residents", ResidentProfile.created_at,
             *((residents_in(territory_id),) if scope else ())),
        part("volunteers", VolunteerProfile.created_at,
             *((volunteers_in(territory_id),) if scope else ())),
        part("matches", Match.accepted_at,
             *((Match.resident_id.in_(residents_of(territory_id)),) if scope else ())),
    ]
    rows = union_all(*parts).subquery()
    stmt = (select(rows.c.series, rows.c.month, func.count())
            .group_by(rows.c.series, rows.c.month))
    return {(SERIES[int(s)], int(m)): n for s, m, n in db.session.execute(stmt)}


def match_delays(period: Period, territory_id: uuid.UUID | None = None
                 ) -> dict[int, list[int]]:
    """{month index: days from sign-up to first accepted pair} of residents first matched then.

    The delay runs from the resident's sign-up (``created_at``) to the ``accepted_at`` of their
    first accepted pair, in Paris calendar days. One row per resident first matched in the
    period: the median is computed here, since SQLite has no median aggregate.
    """
    first = (select(Match.resident_id, func.min(Match.accepted_at).label("accepted_at"))
             .where(Match.accepted_at.is_not(None)).group_by(Match.resident_id).subquery())
    stmt = _scoped(
        select(ResidentProfile.created_at, first.c.accepted_at)
        .join(first, first.c.resident_id == ResidentProfile.id)
        .join(Neighbourhood, Neighbourhood.id == ResidentProfile.neighbourhood_id)
        .where(period.within(first.c.accepted_at)), territory_id)
    delays: dict[int, list[int]] = defaultdict(list)
    # One row per resident: plain Core rows on the session's connection (no ORM result
    # processing), and a dictionary lookup for the month (Period.index_of).
    for signed_up, accepted in db.session.connection().execute(stmt):
        index = period.index_of(accepted)
        if index is not None:
            delays[index].append(paris_days_since(signed_up, accepted))
    return delays


def place_counts(period: Period, territory_id: uuid.UUID | None = None
                 ) -> dict[tuple[str, uuid.UUID], int]:
    """{(measure, neighbourhood id): count} in one query, for ``waiting`` and ``pairs``.

    ``waiting``: residents with an open request, no live pair, not erased (as on the
    dashboard); ``pairs``: pairs active or paused now. The third measure, ``visits`` done in
    the period, comes from :func:`visit_counts`.
    """
    live = select(Match.resident_id).where(Match.status.in_(MatchStatus.live()))
    code = {m: literal_column(str(i)).label("measure") for i, m in enumerate(PLACE_MEASURES)}
    place = ResidentProfile.neighbourhood_id.label("place")
    waiting = (select(code["waiting"], place).select_from(ResidentProfile)
               .join(User, User.id == ResidentProfile.user_id)
               .join(Neighbourhood, Neighbourhood.id == ResidentProfile.neighbourhood_id)
               .where(ResidentProfile.status == RequestStatus.OPEN,
                      ResidentProfile.id.not_in(live), User.anonymised_at.is_(None)))
    pairs = (select(code["pairs"], place).select_from(Match)
             .join(ResidentProfile, ResidentProfile.id == Match.resident_id)
             .join(Neighbourhood, Neighbourhood.id == ResidentProfile.neighbourhood_id)
             .where(Match.status.in_(ONGOING_PAIRS)))
    rows = union_all(*[_scoped(s, territory_id) for s in (waiting, pairs)]).subquery()
    stmt = select(rows.c.measure, rows.c.place, func.count()).group_by(rows.c.measure, rows.c.place)
    return {(PLACE_MEASURES[int(m)], place_id): n for m, place_id, n in db.session.execute(stmt)}


def visit_counts(period: Period, territory_id: uuid.UUID | None = None
                 ) -> tuple[Counter, Counter]:
    """(visits done per month index, visits done per neighbourhood id) over the period.

    Both read the visits from the index ``visits (status, starts_at, match_id)``, and never
    look up the pair and the resident of each visit one by one:

    - a territory (one query): each visit is placed through a small table of the territory's
      pairs and where their resident lives, grouped so that SQLite builds it once and probes
      it by an index (PostgreSQL hashes it);
    - every territory (two queries): the months from the index alone (a range count each),
      with no placing at all; the neighbourhoods from each pair's count, placed pair by pair.
    """
    done = (Visit.status == VisitStatus.DONE, period.within(Visit.starts_at))
    by_month: Counter = Counter()
    by_place: Counter = Counter()
    if territory_id is None:
        # One range count of the index per month: no expression to evaluate per visit.
        row = db.session.execute(select(*[
            select(func.count()).where(Visit.status == VisitStatus.DONE, Visit.starts_at >= low,
                                       Visit.starts_at < high).scalar_subquery()
            for low, high in zip(period.bounds, period.bounds[1:], strict=False)])).one()
        by_month.update({index: n for index, n in enumerate(row) if n})
        per_pair = (select(Visit.match_id, func.count().label("n")).where(*done)
                    .group_by(Visit.match_id).subquery("per_pair"))
        by_place.update({place_id: int(n) for place_id, n in db.session.execute(
            select(ResidentProfile.neighbourhood_id, func.sum(per_pair.c.n))
            .select_from(per_pair).join(Match, Match.id == per_pair.c.match_id)
            .join(ResidentProfile, ResidentProfile.id == Match.resident_id)
            .group_by(ResidentProfile.neighbourhood_id))})
        return by_month, by_place
    pairs = (select(Match.id.label("match_id"), ResidentProfile.neighbourhood_id.label("place"))
             .join(ResidentProfile, ResidentProfile.id == Match.resident_id)
             .where(residents_in(territory_id))
             .group_by(Match.id, ResidentProfile.neighbourhood_id).subquery("pairs"))
    rows = (select(pairs.c.place, period.bucket(Visit.starts_at).label("month"))
            .select_from(Visit).join(pairs, pairs.c.match_id == Visit.match_id).where(*done)
            .subquery("placed"))
    for place_id, month, n in db.session.execute(
            select(rows.c.place, rows.c.month, func.count()).group_by(rows.c.place, rows.c.month)):
        by_month[int(month)] += n
        by_place[place_id] += n
    return by_month, by_place


# The agents' page ------------------------------------------------------------------------------

@dataclass
class MonthFigures:
    """One month of the territory."""

    month: date
    residents: int = 0
    volunteers: int = 0
    matches: int = 0
    visits: int = 0
    #: Median days from sign-up to first match of the residents first matched this month.
    median_days: float | None = None
    #: How many residents that median is computed on.
    matched_residents: int = 0


@dataclass
class PlaceFigures:
    """One neighbourhood of the territory."""

    neighbourhood_id: uuid.UUID
    name: str
    commune: str
    waiting: int = 0
    pairs: int = 0
    visits: int = 0

    @property
    def label(self) -> str:
        """The neighbourhood, with its commune unless both have the same name."""
        return self.name if self.name == self.commune else f"{self.name} ({self.commune})"


@dataclass
class Statistics:
    """Everything the statistics page and its CSV file show."""

    period: Period
    months: list[MonthFigures]
    places: list[PlaceFigures]
    #: Median over the whole period, and how many residents it is computed on.
    median_days: float | None
    matched_residents: int
    totals: dict[str, int] = field(default_factory=dict)


def _median(values: list[int]) -> float | None:
    return float(pystats.median(values)) if values else None


def territory_statistics(territory_id: uuid.UUID | None, now: datetime | None = None
                         ) -> Statistics:
    """The figures of a territory (every territory for None) over the last twelve months."""
    period = last_months(now)
    by_month = Counter(monthly_totals(period, territory_id))
    visits_by_month, visits_by_place = visit_counts(period, territory_id)
    for index, n in visits_by_month.items():
        by_month["visits", index] += n
    delays = match_delays(period, territory_id)
    months = [MonthFigures(month, *(by_month[s, i] for s in SERIES),
                           median_days=_median(delays.get(i, [])),
                           matched_residents=len(delays.get(i, [])))
              for i, month in enumerate(period.months)]
    every_delay = [d for values in delays.values() for d in values]
    return Statistics(
        period=period, months=months, places=_places(period, territory_id, visits_by_place),
        median_days=_median(every_delay), matched_residents=len(every_delay),
        totals={s: sum(getattr(m, s) for m in months) for s in SERIES},
    )


def _places(period: Period, territory_id: uuid.UUID | None,
            visits: Counter) -> list[PlaceFigures]:
    counts = place_counts(period, territory_id)
    counts.update({("visits", place_id): n for place_id, n in visits.items()})
    stmt = _scoped(select(Neighbourhood.id, Neighbourhood.name, Commune.name)
                   .join(Commune, Commune.insee_code == Neighbourhood.commune_insee)
                   .order_by(Commune.name, Neighbourhood.name), territory_id)
    return [PlaceFigures(nid, name, commune,
                         *(counts.get((m, nid), 0) for m in PLACE_MEASURES))
            for nid, name, commune in db.session.execute(stmt)]


def chart_data(stats: Statistics) -> dict:
    """The figures the charts draw (a JSON block of the page; the tables say the same)."""
    months = stats.months
    return {
        "months": [month_label(m.month, short=True) for m in months],
        "series": {s: [getattr(m, s) for m in months] for s in SERIES},
        "median_days": [m.median_days for m in months],
        "places": [p.label for p in stats.places],
        "place_series": {m: [getattr(p, m) for p in stats.places] for m in PLACE_MEASURES},
        "labels": {
            "residents": _("Habitants inscrits"), "volunteers": _("Bénévoles inscrits"),
            "matches": _("Mises en relation"), "visits": _("Visites effectuées"),
            "median_days": _("Délai médian (jours)"), "waiting": _("Habitants en attente"),
            "pairs": _("Binômes en cours"), "place_visits": _("Visites effectuées"),
        },
    }


# CSV files -------------------------------------------------------------------------------------

def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula; numbers with a decimal comma."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([[_cell(v) for v in row] for row in rows])
    # The BOM tells spreadsheets the file is UTF-8 (accents), the ";" suits French locales.
    return "\ufeff" + out.getvalue()


def statistics_csv(stats: Statistics, territory_id: uuid.UUID | None, by: User) -> str:
    """The page's figures as CSV: the months, a blank line, then the neighbourhoods; audited."""
    rows: list[list] = [[_("Mois"), _("Habitants inscrits"), _("Bénévoles inscrits"),
                         _("Mises en relation"), _("Délai médian avant mise en relation (jours)"),
                         _("Habitants mis en relation pour la première fois"),
                         _("Visites effectuées")]]
    rows += [[m.month.strftime("%Y-%m"), m.residents, m.volunteers, m.matches, m.median_days,
              m.matched_residents, m.visits] for m in stats.months]
    rows += [[], [_("Quartier"), _("Commune"), _("Habitants en attente"), _("Binômes en cours"),
                  _("Visites effectuées sur les 12 mois")]]
    rows += [[p.name, p.commune, p.waiting, p.pairs, p.visits] for p in stats.places]
    audit.record("export.statistics", "territory", territory_id or "all", actor=by,
                 territory_id=territory_id, months=len(stats.months), places=len(stats.places))
    return _csv(rows)


# Open data -------------------------------------------------------------------------------------

#: Columns of the public file (stable names, for programs that read it).
OPEN_DATA_COLUMNS = ("mois", "commune_insee", "commune", "habitants_inscrits",
                     "benevoles_inscrits", "mises_en_relation", "visites_effectuees")


def suppress(count: int) -> int | str:
    """A count as published: itself from :data:`SMALL_COUNT` on, else :data:`SUPPRESSED`.

    Zero is suppressed too: "<5" then covers 0 to 4, so a cell never tells whether anything
    happened. The file publishes no total (no row, column or overall sum), and each cell is a
    distinct count of a distinct thing: no suppressed cell can be recomputed by subtraction.
    """
    return count if count >= SMALL_COUNT else SUPPRESSED


@dataclass(frozen=True)
class OpenDataRow:
    """One commune in one month, counts already suppressed."""

    month: date
    insee_code: str
    commune: str
    counts: tuple[int | str, ...]


def open_data_rows(now: datetime | None = None) -> tuple[Period, list[OpenDataRow]]:
    """Every commune x each of the twelve complete months before now, with small counts suppressed.

    Every commune gets every month, even when nothing happened there: a missing row would say
    "zero" more precisely than "<5" does.
    """
    period = last_months(now, include_current=False)
    counts = monthly_counts(period)
    communes = db.session.execute(
        select(Commune.insee_code, Commune.name).order_by(Commune.name, Commune.insee_code)).all()
    rows = [OpenDataRow(month, code, name,
                        tuple(suppress(counts.get((s, code, i), 0)) for s in SERIES))
            for i, month in enumerate(period.months) for code, name in communes]
    return period, rows


def open_data_csv(now: datetime | None = None) -> str:
    """The public file: one line per month and commune, French column names."""
    _period, rows = open_data_rows(now)
    return _csv([list(OPEN_DATA_COLUMNS)] + [
        [r.month.strftime("%Y-%m"), r.insee_code, r.commune, *r.counts] for r in rows])
