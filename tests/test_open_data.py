"""Open data: the public file per commune and month, with every count below 5 suppressed."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.models import Commune, Match, MatchStatus, Visit, VisitStatus, utcnow
from app.services import statistics
from app.services.statistics import OPEN_DATA_COLUMNS, PARIS, SUPPRESSED
from tests import factories

COUNT_COLUMNS = OPEN_DATA_COLUMNS[3:]


def complete_month(index: int, day: int = 10) -> datetime:
    """A moment in the index-th of the twelve complete months the file covers (11: last month)."""
    month = statistics.last_months(include_current=False).months[index]
    return datetime(month.year, month.month, day, 11, tzinfo=PARIS).astimezone(timezone.utc)


def residents(neighbourhood, n: int, when: datetime, first: str = "Jeanne") -> list:
    """``n`` residents who signed up at ``when``."""
    made = []
    for _ in range(n):
        user, _ = factories.make_resident(neighbourhood, first=first)
        user.resident_profile.created_at = when
        made.append(user.resident_profile)
    db.session.commit()
    return made


def read(client) -> tuple[list[str], list[dict]]:
    response = client.get("/donnees-ouvertes/statistiques.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";")
    return reader.fieldnames, list(reader)


def assert_no_small_count(rows: list[dict]) -> None:
    for row in rows:
        for column in COUNT_COLUMNS:
            value = row[column]
            assert value == SUPPRESSED or int(value) >= 5, (row, column)


def test_the_page_explains_the_file_to_anyone(client, place):
    response = client.get("/donnees-ouvertes")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/donnees-ouvertes/statistiques.csv" in html
    assert "inférieur à 5" in html and "&lt;5" in html and "aucun total" in html


def test_every_commune_and_month_with_small_counts_suppressed(client, place, volunteer):
    last, earlier = complete_month(11), complete_month(3)
    residents(place.nb_a, 7, last)                   # 7: shown
    residents(place.nb_a, 5, earlier)                # 5: shown, the threshold itself
    residents(place.nb_b, 4, last, first="Berthe")   # 4: suppressed
    residents(place.nb_b, 1, earlier, first="Berthe")  # 1: suppressed
    matched = residents(place.nb_b, 2, complete_month(6), first="Claire")
    vol = volunteer[0].volunteer_profile
    for i, r in enumerate(matched):
        match = Match(resident_id=r.id, volunteer_id=vol.id, status=MatchStatus.ACTIVE,
                      accepted_at=complete_month(7, day=3 + i), decided_at=complete_month(7))
        db.session.add(match)
        db.session.flush()
        db.session.add_all([Visit(match_id=match.id, starts_at=complete_month(8, day=d),
                                  status=VisitStatus.DONE) for d in range(1, 4)])
    db.session.commit()
    columns, rows = read(client)
    assert columns == list(OPEN_DATA_COLUMNS)
    months = statistics.last_months(include_current=False).months
    assert len(rows) == 2 * 12  # both territories' communes, each of the twelve months
    by_key = {(r["mois"], r["commune_insee"]): r for r in rows}
    assert by_key[(f"{months[11]:%Y-%m}", "64445")]["habitants_inscrits"] == "7"
    assert by_key[(f"{months[3]:%Y-%m}", "64445")]["habitants_inscrits"] == "5"
    assert by_key[(f"{months[11]:%Y-%m}", "64335")]["habitants_inscrits"] == SUPPRESSED
    assert by_key[(f"{months[3]:%Y-%m}", "64335")]["habitants_inscrits"] == SUPPRESSED
    # Zero too: "<5" covers 0 to 4, so a cell never tells whether anything happened.
    assert by_key[(f"{months[0]:%Y-%m}", "64445")]["habitants_inscrits"] == SUPPRESSED
    assert_no_small_count(rows)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_no_value_from_1_to_4_is_ever_published(client, place, volunteer, n):
    when = complete_month(10)
    made = residents(place.nb_a, n, when)
    vol = volunteer[0].volunteer_profile
    vol.created_at = when
    for i, r in enumerate(made):
        status = MatchStatus.ACTIVE if i == 0 else MatchStatus.ENDED
        match = Match(resident_id=r.id, volunteer_id=vol.id, status=status,
                      accepted_at=when + timedelta(days=1), decided_at=when,
                      ended_at=None if i == 0 else when + timedelta(days=2))
        db.session.add(match)
        db.session.flush()
        db.session.add_all([Visit(match_id=match.id, starts_at=when + timedelta(days=2, hours=h),
                                  status=VisitStatus.DONE) for h in range(n)])
    db.session.commit()
    _columns, rows = read(client)
    assert_no_small_count(rows)
    text = client.get("/donnees-ouvertes/statistiques.csv").get_data().decode("utf-8-sig")
    for value in ("1", "2", "3", "4"):
        assert f";{value};" not in text and not text.replace("\r\n", "\n").count(f";{value}\n")
    row = next(r for r in rows if r["mois"] == f"{when.astimezone(PARIS):%Y-%m}"
               and r["commune_insee"] == "64445")
    expected = str(n) if n >= 5 else SUPPRESSED
    assert row["habitants_inscrits"] == expected and row["mises_en_relation"] == expected
    assert row["visites_effectuees"] == (str(n * n) if n * n >= 5 else SUPPRESSED)


def test_no_personal_data_and_no_total(client, place, resident, volunteer):
    residents(place.nb_a, 6, complete_month(9))
    text = client.get("/donnees-ouvertes/statistiques.csv").get_data().decode("utf-8-sig")
    user = resident[0]
    for personal in (user.first_name, user.last_name, user.email, "12 rue des Tests", "+336"):
        assert personal not in text
    assert "total" not in text.lower()


def test_the_current_month_is_left_out(client, place):
    residents(place.nb_a, 6, utcnow() - timedelta(minutes=1))
    _columns, rows = read(client)
    current = f"{utcnow().astimezone(PARIS):%Y-%m}"
    assert all(r["mois"] != current for r in rows)
    assert_no_small_count(rows)


def test_a_commune_of_no_territory_is_still_published(client, place):
    db.session.add(Commune(insee_code="64999", name="Sans-Territoire", population=10))
    db.session.commit()
    _columns, rows = read(client)
    assert sum(r["commune_insee"] == "64999" for r in rows) == 12


def test_suppress_rule():
    assert [statistics.suppress(n) for n in range(7)] == ["<5"] * 5 + [5, 6]
