"""Statistics: the figures of the service, the page (charts and tables), the CSV file, the scoping.

Dates are built from the months of :func:`statistics.last_months`, so the tests hold whatever
day they run on; the month a row falls in is a Paris calendar month.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Match, MatchStatus, Visit, VisitStatus, utcnow
from app.services import statistics, statistics_cache
from app.services.statistics import PARIS
from tests import factories
from tests.agent.test_residents import count_queries

# --- Helpers ----------------------------------------------------------------------------------

def in_month(index: int, day: int = 10, hour: int = 12) -> datetime:
    """A moment in the index-th month of the current period (11 is the current month)."""
    month = statistics.last_months().months[index]
    moment = datetime(month.year, month.month, day, hour, tzinfo=PARIS).astimezone(UTC)
    return min(moment, utcnow() - timedelta(minutes=1))


def resident_at(neighbourhood, created_at: datetime, first: str = "Jeanne"):
    """A resident whose request was made at ``created_at``."""
    user, _ = factories.make_resident(neighbourhood, first=first)
    user.resident_profile.created_at = created_at
    user.resident_profile.waiting_since = created_at
    db.session.commit()
    return user.resident_profile


def pair(resident, volunteer, accepted_at: datetime | None, status=MatchStatus.ACTIVE) -> Match:
    """A pair accepted at ``accepted_at``."""
    match = Match(resident_id=resident.id, volunteer_id=volunteer.id, status=status,
                  accepted_at=accepted_at, decided_at=accepted_at,
                  ended_at=accepted_at + timedelta(days=1) if status is MatchStatus.ENDED else None)
    db.session.add(match)
    db.session.commit()
    return match


def visit(match: Match, starts_at: datetime, status=VisitStatus.DONE) -> Visit:
    """A visit of the pair at ``starts_at``."""
    v = Visit(match_id=match.id, starts_at=starts_at, status=status)
    db.session.add(v)
    db.session.commit()
    return v


@pytest.fixture
def world(place, volunteer):
    """Territory A: residents in several months, two pairs, visits; territory B: one of each."""
    vol_a = volunteer[0].volunteer_profile
    vol_a.created_at = in_month(4)
    r1 = resident_at(place.nb_a, in_month(2))              # waits 2 months, then matched
    r2 = resident_at(place.nb_a, in_month(9, day=1))       # matched the same month
    r3 = resident_at(place.nb_a, in_month(11, day=1))      # still waiting
    m1 = pair(r1, vol_a, in_month(4, day=20))
    m2 = pair(r2, vol_a, in_month(9, day=21))
    for day in (2, 9, 16):
        visit(m1, in_month(10, day=day))
    visit(m1, in_month(10, day=23), VisitStatus.MISSED)    # missed: not a visit done
    visit(m2, in_month(10, day=5))
    vol_b = factories.make_volunteer(place.nb_b)[0].volunteer_profile
    rb = resident_at(place.nb_b, in_month(9), first="Berthe")
    mb = pair(rb, vol_b, in_month(10))
    visit(mb, in_month(10, day=12))
    db.session.commit()
    return {"r1": r1, "r2": r2, "r3": r3, "m1": m1, "m2": m2, "rb": rb}


def table_after(html: str, caption: str) -> list[list[str]]:
    """The rows (cells as text) of the table with this caption."""
    start = html.index(caption)
    body = html[start:html.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in cells.findall(r)] for r in rows]


# --- Months -----------------------------------------------------------------------------------

def test_twelve_paris_months_ending_with_the_current_one():
    # 31 March 2026 at 23:30 UTC is already 1 April in Paris (summer time, UTC+2).
    period = statistics.last_months(datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    assert period.months[0] == date(2025, 5, 1) and period.months[-1] == date(2026, 4, 1)
    assert len(period.months) == 12 and len(period.bounds) == 13
    assert period.start == datetime(2025, 4, 30, 22, 0, tzinfo=UTC)  # 1 May, 00:00 Paris
    assert period.end == datetime(2026, 4, 30, 22, 0, tzinfo=UTC)
    assert period.bounds[6] == datetime(2025, 10, 31, 23, 0, tzinfo=UTC)  # winter time
    complete = statistics.last_months(datetime(2026, 1, 15, tzinfo=UTC),
                                      include_current=False)
    assert complete.months[0] == date(2025, 1, 1) and complete.months[-1] == date(2025, 12, 1)


def test_a_row_counts_in_its_paris_month_not_its_utc_month(place, volunteer):
    period = statistics.last_months()
    # The first instant of the current Paris month is still the previous month in UTC.
    first = period.bounds[11]
    assert first.astimezone(UTC).day != 1
    resident_at(place.nb_a, first)
    resident_at(place.nb_a, first - timedelta(seconds=1))
    figures = statistics.territory_statistics(place.territory_a.id)
    assert [m.residents for m in figures.months][-2:] == [1, 1]


# --- The figures -------------------------------------------------------------------------------

def test_monthly_figures_of_a_territory(world, place):
    figures = statistics.territory_statistics(place.territory_a.id)
    months = figures.months
    assert [m.residents for m in months] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1]
    assert months[4].volunteers == 1 and sum(m.volunteers for m in months) == 1
    assert [m.matches for m in months] == [0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]
    assert months[10].visits == 4 and sum(m.visits for m in months) == 4
    assert figures.totals == {"residents": 3, "volunteers": 1, "matches": 2, "visits": 4}


def test_time_to_match_is_from_sign_up_to_the_first_accepted_pair(world, place, volunteer):
    figures = statistics.territory_statistics(place.territory_a.id)
    r1, r2 = world["r1"], world["r2"]
    days_1 = (world["m1"].accepted_at.astimezone(PARIS).date()
              - r1.created_at.astimezone(PARIS).date()).days
    days_2 = (world["m2"].accepted_at.astimezone(PARIS).date()
              - r2.created_at.astimezone(PARIS).date()).days
    assert figures.months[4].median_days == days_1 and figures.months[4].matched_residents == 1
    assert figures.months[9].median_days == days_2 == 20
    assert figures.median_days == (days_1 + days_2) / 2 and figures.matched_residents == 2
    # A second pair of the same resident is a match made, not a first match.
    world["m2"].status, world["m2"].ended_at = MatchStatus.ENDED, in_month(10)
    db.session.commit()
    pair(r2, volunteer[0].volunteer_profile, in_month(11))
    again = statistics.territory_statistics(place.territory_a.id)
    assert again.months[11].matches == 1 and again.months[11].matched_residents == 0
    assert again.months[9].median_days == 20


def test_per_neighbourhood_now_and_over_the_period(world, place):
    figures = statistics.territory_statistics(place.territory_a.id)
    assert [(p.label, p.waiting, p.pairs, p.visits) for p in figures.places] == [("Pau", 1, 2, 4)]


def test_an_administrator_sees_every_territory(world, place):
    figures = statistics.territory_statistics(None)
    assert figures.totals == {"residents": 4, "volunteers": 2, "matches": 3, "visits": 5}
    assert {p.label: p.visits for p in figures.places} == {"Lescar": 1, "Pau": 4}


def test_rows_older_than_twelve_months_are_left_out(place):
    old = statistics.last_months().start - timedelta(days=3)
    resident_at(place.nb_a, old)
    figures = statistics.territory_statistics(place.territory_a.id)
    assert figures.totals["residents"] == 0


# --- The page -------------------------------------------------------------------------------

def test_the_page_draws_charts_and_gives_the_same_figures_as_tables(client, world, agent):
    client.login(*agent)
    response = client.get("/agent/statistiques")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Charts: decorative containers, filled by our script from a JSON data block (never run).
    assert html.count('aria-hidden="true"></div>') >= 5
    assert 'src="/static/vendor/uplot/uPlot.iife.min.js"' in html
    assert 'src="/static/js/stats.js"' in html
    data = json.loads(re.search(r'<script type="application/json" id="st-data">(.*?)</script>',
                                html, re.S).group(1))
    assert data["series"]["residents"] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1]
    assert data["place_series"] == {"waiting": [1], "pairs": [2], "visits": [4]}
    assert "<script>" not in html and " style=" not in html  # nothing inline for the CSP
    # Tables: a caption, column and row headers.
    rows = table_after(html, "Inscriptions d'habitants et de bénévoles par mois")
    assert rows[0] == ["Mois", "Habitants", "Bénévoles"] and len(rows) == 13
    assert [r[1] for r in rows[1:]] == ["0", "0", "1", "0", "0", "0", "0", "0", "0", "1", "0", "1"]
    assert '<th scope="col">' in html and '<th scope="row">' in html
    assert "première mise en relation" in html  # the delay is defined on the page


def test_agents_see_their_territory_only(client, world, agent, other_agent):
    client.login(*other_agent)
    html = client.get("/agent/statistiques").get_data(as_text=True)
    rows = table_after(html, "Visites effectuées par mois")
    assert sum(int(r[1]) for r in rows[1:]) == 1  # territory B's single visit
    assert ">Pau<" not in html and "Lescar" in html


def test_an_agent_without_territory_sees_nothing(client, place):
    user, password = factories.make_staff("agent", None)
    client.login(user, password)
    assert client.get("/agent/statistiques").status_code == 403
    assert client.get("/agent/statistiques.csv").status_code == 403


@pytest.mark.parametrize("who", ["resident", "volunteer"])
def test_residents_and_volunteers_get_403(client, request, who):
    client.login(*request.getfixturevalue(who))
    assert client.get("/agent/statistiques").status_code == 403
    assert client.get("/agent/statistiques.csv").status_code == 403


def test_anonymous_is_sent_to_the_login_page(client, place):
    response = client.get("/agent/statistiques.csv")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


# --- The CSV file -----------------------------------------------------------------------------

def test_csv_export_has_the_same_figures_and_is_audited(client, world, agent, place):
    client.login(*agent)
    response = client.get("/agent/statistiques.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Mois", "Habitants inscrits", "Bénévoles inscrits", "Mises en relation"]
    months = rows[1:13]
    assert [r[1] for r in months] == ["0", "0", "1", "0", "0", "0", "0", "0", "0", "1", "0", "1"]
    assert months[9][4] == "20" and months[0][4] == ""
    assert rows[13] == [] and rows[14][0] == "Quartier"
    assert rows[15] == ["Pau", "Pau", "1", "2", "4"]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "export.statistics")).one()
    assert entry.territory_id == place.territory_a.id and entry.actor_id == agent[0].id


def test_csv_cells_never_start_a_formula(client, admin, place):
    place.nb_a.name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    client.login(*admin)
    text = client.get("/agent/statistiques.csv").get_data().decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(text), delimiter=";") if row]
    assert "'=HYPERLINK(\"http://x\")" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


@pytest.mark.parametrize("who", ["admin", "agent"])
def test_the_figures_cost_a_few_queries_whatever_the_data(request, client, place, volunteer, who):
    client.login(*request.getfixturevalue(who))

    def queries() -> int:
        statistics_cache.clear()  # the figures computed, not read from memory
        with count_queries() as counter:
            assert client.get("/agent/statistiques").status_code == 200
        return counter["selects"]

    before = queries()
    for i in range(8):
        r = resident_at(place.nb_a if i % 2 else place.nb_b, in_month(i + 3), first=f"P{i}")
        if i % 2:
            visit(pair(r, volunteer[0].volunteer_profile, in_month(i + 3, day=12),
                       MatchStatus.ENDED), in_month(i + 3, day=13))
    assert queries() == before


# --- The cache --------------------------------------------------------------------------------

def visits_shown(client) -> int:
    html = client.get("/agent/statistiques").get_data(as_text=True)
    return sum(int(r[1]) for r in table_after(html, "Visites effectuées par mois")[1:])


def test_a_second_view_reuses_the_figures_and_any_change_is_seen(client, world, agent,
                                                                 monkeypatch):
    statistics_cache.clear()
    client.login(*agent)
    computed = []
    real = statistics.territory_statistics
    monkeypatch.setattr(statistics, "territory_statistics",
                        lambda *args: computed.append(args) or real(*args))
    assert visits_shown(client) == 4
    assert visits_shown(client) == 4 and len(computed) == 1  # the second view reuses them
    # A visit logged, a visit changed, a pair moved out: each is seen on the next view.
    visit(world["m2"], in_month(8, day=3))
    assert visits_shown(client) == 5 and len(computed) == 2
    first = db.session.scalars(select(Visit).where(Visit.match_id == world["m1"].id,
                                                   Visit.status == VisitStatus.DONE)).first()
    first.status = VisitStatus.MISSED
    db.session.commit()
    assert visits_shown(client) == 4
    db.session.delete(first)
    db.session.commit()
    assert visits_shown(client) == 4 and len(computed) == 4  # deleted: the count changed
    # A login changes the user's updated_at, not the figures; an erasure changes them.
    client.logout()
    client.login(*agent)
    visits_shown(client)
    assert len(computed) == 4
    world["r3"].user.anonymised_at = utcnow()
    db.session.commit()
    visits_shown(client)
    assert len(computed) == 5


def test_the_cache_can_be_turned_off(app, client, world, agent, monkeypatch):
    statistics_cache.clear()
    monkeypatch.setitem(app.config, "STATISTICS_CACHE", False)
    client.login(*agent)
    computed = []
    real = statistics.territory_statistics
    monkeypatch.setattr(statistics, "territory_statistics",
                        lambda *args: computed.append(args) or real(*args))
    visits_shown(client)
    visits_shown(client)
    assert len(computed) == 2
