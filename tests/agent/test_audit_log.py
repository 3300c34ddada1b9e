"""The audit log page: read-only, scoped by territory, filterable, paginated, constant queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.agent.audit_log import PER_PAGE
from app.extensions import db
from app.models import AuditEntry, utcnow
from app.services import audit
from tests import factories
from tests.agent.test_residents import count_queries

ROW = re.compile(r"<tr>\s*<td data-label=\"Quand\">(.*?)</tr>", re.S)


def entry(action: str, territory, *, actor=None, at: datetime | None = None, object_type="resident",
          object_id=None, **detail) -> AuditEntry:
    """An audit entry written by the service, then dated."""
    made = audit.record(action, object_type, object_id or "42", actor=actor,
                        territory_id=territory.id if territory is not None else None, **detail)
    made.at = at or utcnow()
    db.session.commit()
    return made


def rows(html: str) -> list[str]:
    """The entries of a journal page, as the HTML of each row."""
    return ROW.findall(html)


@pytest.fixture
def entries(place, agent, other_agent, admin):
    """Entries of territory A and B, and one of no territory (an administrator's setting)."""
    return {
        "a": entry("match.approve", place.territory_a, actor=agent[0], object_type="match",
                   object_id="6f1c0a5e-0000-4000-8000-000000000001", to="approved"),
        "b": entry("vetting.approve", place.territory_b, actor=other_agent[0],
                   object_type="volunteer", object_id="6f1c0a5e-0000-4000-8000-000000000002"),
        "none": entry("settings.retention", None, actor=admin[0], object_type="setting",
                      object_id="retention", **{"from": 24, "to": 36}),
    }


def test_agents_read_their_territory_only(client, agent, entries):
    client.login(*agent)
    response = client.get("/agent/journal")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(rows(html)) == 1
    assert "Proposition approuvée" in html and "match.approve" in html  # French label and code
    assert "vetting.approve" not in html and "settings.retention" not in html
    assert agent[0].full_name in html and "Agent" in html
    assert "Paris" in html  # the times are Paris times, and the page says so


def test_other_territory_agents_do_not_see_them(client, other_agent, entries):
    client.login(*other_agent)
    html = client.get("/agent/journal").get_data(as_text=True)
    assert len(rows(html)) == 1 and "vetting.approve" in html and "match.approve" not in html
    # Filtering on another territory's record finds nothing either.
    html = client.get(f"/agent/journal?objet={entries['a'].object_id}").get_data(as_text=True)
    assert rows(html) == []


def test_administrators_read_everything(client, admin, entries):
    client.login(*admin)
    html = client.get("/agent/journal").get_data(as_text=True)
    assert len(rows(html)) == 3
    assert "Durée de conservation modifiée" in html


def test_newest_first_and_in_paris_time(client, agent, place):
    entry("request.pause", place.territory_a,
          at=datetime(2026, 7, 14, 8, 5, 9, tzinfo=UTC))
    entry("request.resume", place.territory_a, at=datetime(2026, 7, 15, 8, 0, tzinfo=UTC))
    client.login(*agent)
    html = client.get("/agent/journal").get_data(as_text=True)
    found = rows(html)
    assert "request.resume" in found[0] and "request.pause" in found[1]
    assert "14/07/2026 10:05:09" in found[1]  # summer time, UTC+2


def test_filters_by_action_actor_record_and_paris_days(client, admin, agent, place):
    entry("visit.log", place.territory_a, actor=agent[0], object_id="rec-1",
          at=datetime(2026, 6, 30, 21, 30, tzinfo=UTC))   # 30 June, 23:30 in Paris
    entry("visit.log", place.territory_a, object_id="rec-2",
          at=datetime(2026, 6, 30, 22, 30, tzinfo=UTC))   # 1 July, 00:30 in Paris
    entry("match.end", place.territory_a, actor=agent[0], object_id="rec-1",
          at=datetime(2026, 7, 2, 9, 0, tzinfo=UTC))
    client.login(*admin)

    def found(query: str) -> list[str]:
        response = client.get("/agent/journal?" + query)
        assert response.status_code == 200, query
        html = response.get_data(as_text=True)
        return [re.search(r"<code class=\"jr-code\">([^<]+)</code>", r).group(1) + ":"
                + re.search(r'objet=([^"]+)"', r).group(1) for r in rows(html)]

    assert found("action=visit.log") == ["visit.log:rec-2", "visit.log:rec-1"]
    assert found(f"acteur={agent[0].id}") == ["match.end:rec-1", "visit.log:rec-1"]
    assert found("objet=rec-1") == ["match.end:rec-1", "visit.log:rec-1"]
    assert found("role=system") == ["visit.log:rec-2"]
    assert found("du=2026-07-01") == ["match.end:rec-1", "visit.log:rec-2"]
    assert found("au=2026-06-30") == ["visit.log:rec-1"]
    assert found("du=01/07/2026&au=01/07/2026") == ["visit.log:rec-2"]
    assert found("action=visit.log&acteur=" + str(agent[0].id)) == ["visit.log:rec-1"]


@pytest.mark.parametrize("query, message", [
    ("du=31/02/2026", "Saisissez une date"),
    ("du=demain", "Saisissez une date"),
    ("du=2026-07-02&au=2026-07-01", "égal ou postérieur"),
    ("acteur=robert", "Choisissez une personne"),
    ("objet=" + "x" * 65, "au plus 64 caractères"),
    ("action=%00", "Choisissez dans la liste."),
    ("action=nothing.here", "Choisissez dans la liste."),
    ("role=%00", "Choisissez dans la liste."),
    ("objet=abc%00", "caractère invisible"),
    ("acteur=%00", "Choisissez une personne"),
    ("page=abc", None),
])
def test_bad_filters_answer_with_a_message_never_500(client, agent, entries, query, message):
    client.login(*agent)
    response = client.get("/agent/journal?" + query)
    html = response.get_data(as_text=True)
    if message is None:
        assert response.status_code in (200, 422)
    else:
        assert response.status_code == 422 and message in html
        assert 'class="error-summary"' in html


def test_fifty_a_page_with_links_that_keep_the_filters(client, agent, place):
    start = utcnow() - timedelta(days=1)
    db.session.add_all([AuditEntry(at=start + timedelta(seconds=i), actor_role="system",
                                   action="visit.log", object_type="visit", object_id=str(i),
                                   territory_id=place.territory_a.id, detail={})
                        for i in range(120)])
    db.session.commit()
    client.login(*agent)
    first = client.get("/agent/journal?action=visit.log").get_data(as_text=True)
    assert len(rows(first)) == PER_PAGE and "objet=119" in rows(first)[0]
    assert "120 actions" in first
    assert 'href="/agent/journal?page=2&amp;action=visit.log"' in first
    last = client.get("/agent/journal?action=visit.log&page=3").get_data(as_text=True)
    assert len(rows(last)) == 20 and "objet=0\"" in rows(last)[-1]
    beyond = client.get("/agent/journal?page=99")
    assert beyond.status_code == 200 and rows(beyond.get_data(as_text=True)) == []


def test_a_record_links_to_its_page_when_the_reader_may_open_it(app, client, agent, admin, place):
    resident, _ = factories.make_resident(place.nb_a)
    profile = resident.resident_profile
    entry("request.pause", place.territory_a, object_type="resident", object_id=str(profile.id))
    agent_entry = entry("agent.disable", place.territory_a, object_type="agent",
                        object_id=str(agent[0].id))
    client.login(*agent)
    html = client.get("/agent/journal").get_data(as_text=True)
    if "agent.resident" in app.view_functions:
        assert f'href="/agent/habitants/{profile.id}"' in html
    # The agent account page is for administrators: an agent gets no link to it.
    assert f'href="/admin/agents/{agent_entry.object_id}"' not in html
    client.logout()
    client.login(*admin)
    html = client.get("/agent/journal").get_data(as_text=True)
    assert f'href="/admin/agents/{agent_entry.object_id}"' in html


def test_reading_the_journal_writes_nothing(client, agent, entries):
    client.login(*agent)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    client.get("/agent/journal")
    client.get("/agent/journal?action=match.approve")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_no_route_changes_the_journal(app, client, agent, entries):
    """Every route whose URL mentions the journal answers GET (and HEAD) only."""
    journal_rules = [r for r in app.url_map.iter_rules() if "journal" in r.rule]
    assert journal_rules, "the journal has a route"
    for rule in journal_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    client.login(*agent)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/agent/journal").status_code in (400, 405)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "match.approve")) == 1


@pytest.mark.parametrize("who", ["resident", "volunteer"])
def test_residents_and_volunteers_cannot_read_it(client, request, who):
    client.login(*request.getfixturevalue(who))
    assert client.get("/agent/journal").status_code == 403


def test_anonymous_is_sent_to_the_login_page(client, place):
    response = client.get("/agent/journal")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_queries_do_not_grow_with_the_rows_shown(client, admin, agent, other_agent, place):
    client.login(*admin)

    def add(n: int) -> None:
        for i in range(n):
            who = (agent, other_agent, admin)[i % 3][0]
            entry("match.approve" if i % 2 else "vetting.step", place.territory_a, actor=who,
                  object_type="match", object_id=f"{i}-{n}")

    def queries() -> tuple[int, int]:
        with count_queries() as counter:
            response = client.get("/agent/journal")
        assert response.status_code == 200
        return counter["selects"], len(rows(response.get_data(as_text=True)))

    add(3)
    few, shown_few = queries()
    add(27)
    many, shown_many = queries()
    assert (shown_few, shown_many) == (3, 30)
    assert many == few
