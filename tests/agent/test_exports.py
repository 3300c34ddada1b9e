"""Agent console, CSV exports: French Excel format, the territory only, the list's filters, no
secret, formulas defused, audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.agent.exports import safe_cell
from app.extensions import db
from app.models import AuditEntry, RequestStatus, VettingKind, VettingStep, paris_today, utcnow
from tests import factories
from tests.agent.test_residents import count_queries, profile_of, waiting_for


def read_csv(response) -> list[dict]:
    """The rows of an exported file, checking its French Excel shape on the way."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def audit(action: str) -> list[AuditEntry]:
    """Audit entries of an action."""
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_residents_export_of_the_territory(client, place, agent):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    waiting_for(user, 45)
    factories.make_resident(place.nb_b, "Bernadette")
    client.login(*agent)
    rows = read_csv(client.get("/agent/export/habitants.csv"))
    assert [r["Prénom"] for r in rows] == ["Odette"]
    row = rows[0]
    assert row["Nom"] == user.last_name and row["Téléphone"] == "06 12 34 56 78"
    assert row["Adresse e-mail"] == user.email and row["Commune"] == "Pau" and row["Quartier"] == "Pau"
    assert row["État de la demande"] == "En attente d'un·e bénévole"
    assert row["Jours d'attente"] == "45"
    assert row["En attente depuis le"] == factories.days_ago(45).strftime("%d/%m/%Y")
    assert row["Inscrit·e par un agent"] == "non"
    [entry] = audit("export.residents")
    assert entry.actor_id == agent[0].id and entry.territory_id == place.territory_a.id
    assert entry.detail["rows"] == 1


def test_residents_export_takes_the_list_filters(client, place, agent):
    factories.make_resident(place.nb_a, "Odette")
    closed, _ = factories.make_resident(place.nb_a, "Clotilde")
    profile_of(closed).status = RequestStatus.CLOSED
    db.session.commit()
    client.login(*agent)
    rows = read_csv(client.get("/agent/export/habitants.csv", query_string={"etat": "closed"}))
    assert [r["Prénom"] for r in rows] == ["Clotilde"]
    assert rows[0]["Jours d'attente"] == ""
    rows = read_csv(client.get("/agent/export/habitants.csv", query_string={"q": "odette"}))
    assert [r["Prénom"] for r in rows] == ["Odette"]
    # The list links to the export with its own filters.
    page = client.get("/agent/habitants", query_string={"etat": "closed"}).get_data(as_text=True)
    assert 'href="/agent/export/habitants.csv?etat=closed"' in page


def test_the_other_agent_and_the_admin(client, place, other_agent, admin):
    factories.make_resident(place.nb_a, "Odette")
    factories.make_resident(place.nb_b, "Bernadette")
    factories.make_volunteer(place.nb_a, first="Valentin")
    client.login(*other_agent)
    assert [r["Prénom"] for r in read_csv(client.get("/agent/export/habitants.csv"))] == ["Bernadette"]
    assert read_csv(client.get("/agent/export/benevoles.csv?file=tous")) == []
    client.logout()
    client.login(*admin)
    names = sorted(r["Prénom"] for r in read_csv(client.get("/agent/export/habitants.csv")))
    assert names == ["Bernadette", "Odette"]
    [entry] = audit("export.residents")[-1:]
    assert entry.territory_id is None and entry.object_id == "all"


def test_volunteers_export(client, place, agent):
    user, _ = factories.make_volunteer(place.nb_a, first="Valentin")
    user.volunteer_profile.calendar_token = "secret-calendar-token-42"
    db.session.add(VettingStep(volunteer_id=user.volunteer_profile.id, kind=VettingKind.CRIMINAL_RECORD,
                               done_on=paris_today() - timedelta(days=400),
                               expires_on=paris_today() - timedelta(days=35), created_at=utcnow()))
    factories.make_volunteer(place.nb_b, first="Bastien")
    db.session.commit()
    client.login(*agent)
    response = client.get("/agent/export/benevoles.csv", query_string={"file": "tous"})
    body = response.get_data(as_text=True)
    rows = read_csv(response)
    assert [r["Prénom"] for r in rows] == ["Valentin"]
    row = rows[0]
    assert row["État de la vérification"] == "Validé·e"
    assert row["Étapes valables (sur 5)"] == "1"  # the charter; the extract has expired
    assert row["Prochaine expiration"] == (paris_today() - timedelta(days=35)).strftime("%d/%m/%Y")
    assert row["Capacité"] == "2" and row["Personnes suivies"] == "0"
    assert row["Distance maximale (km)"] == "10"
    # No secret ever leaves.
    assert "secret-calendar-token-42" not in body
    assert user.password_hash not in body and "argon2" not in body
    [entry] = audit("export.volunteers")
    assert entry.detail == {"rows": 1, "queue": "tous", "search": False}


def test_the_default_volunteer_export_is_the_queue_to_handle(client, place, agent):
    factories.make_volunteer(place.nb_a, approved=False, first="Apolline")
    factories.make_volunteer(place.nb_a, first="Valentin")
    client.login(*agent)
    rows = read_csv(client.get("/agent/export/benevoles.csv"))
    assert [r["Prénom"] for r in rows] == ["Apolline"]


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+33612", "'+33612"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("Jeanne", "Jeanne"), (None, ""), (12, "12"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_formulas_typed_into_names_are_defused(client, place, agent):
    user, _ = factories.make_resident(place.nb_a, "Odette")
    user.last_name = "=cmd|' /C calc'!A0"
    user.first_name = "@Odette"
    db.session.commit()
    client.login(*agent)
    row = read_csv(client.get("/agent/export/habitants.csv"))[0]
    assert row["Nom"] == "'=cmd|' /C calc'!A0" and row["Prénom"] == "'@Odette"


def test_export_costs_the_same_queries_for_few_or_many(client, place, agent):
    client.login(*agent)
    factories.make_resident(place.nb_a, "Odette")
    with count_queries() as few:
        assert len(read_csv(client.get("/agent/export/habitants.csv"))) == 1
    for i in range(30):
        factories.make_resident(place.nb_a, f"Many{i}")
    with count_queries() as many:
        assert len(read_csv(client.get("/agent/export/habitants.csv"))) == 31
    assert few["n"] == many["n"]


def test_bad_filters_never_500(client, place, agent):
    client.login(*agent)
    for args in ({"etat": "x"}, {"page": "y"}, {"quartier": "zz"}):
        assert client.get("/agent/export/habitants.csv", query_string=args).status_code == 200
    assert client.get("/agent/export/benevoles.csv", query_string={"file": "x"}).status_code == 200


def test_other_roles_cannot_export(client, place, resident, volunteer):
    for who in (resident, volunteer):
        client.login(*who)
        assert client.get("/agent/export/habitants.csv").status_code == 403
        assert client.get("/agent/export/benevoles.csv").status_code == 403
        client.logout()
