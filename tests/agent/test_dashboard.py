"""The agent's dashboard: counts scoped to the territory, linking to their queues, in a few queries.

Also holds the helpers the other console tests share (pairs, past visits, a query counter).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import (
    Match,
    MatchStatus,
    Mood,
    Referral,
    Severity,
    Visit,
    utcnow,
)
from app.services import concerns, matching, pairs, visits
from tests import factories

# Shared helpers ------------------------------------------------------------------------------

class Queries:
    """Counts the SQL statements run inside a ``with`` block."""

    def __init__(self):
        self.statements: list[str] = []

    def _count(self, conn, cursor, statement, *args):
        # Transaction control depends on what the test did just before, not on the page.
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
                                                        "RELEASE"):
            self.statements.append(statement)

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        """How many statements ran."""
        return len(self.statements)


def measure(client, url: str) -> tuple[Queries, str]:
    """The statements of one GET of ``url``, after a first GET.

    The test shares its session with the requests: the first GET reloads what the test's
    last commit expired, so the second one counts only what the page itself asks for.
    """
    assert client.get(url).status_code == 200
    with Queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries, " ".join(response.get_data(as_text=True).split())


def login(client, who):
    """Log a (user, password) fixture in; returns the user."""
    user, password = who
    client.login(user, password)
    return user


def make_proposals(territory, neighbourhood, n: int) -> list[Match]:
    """``n`` residents (registered at the desk, no login) and volunteers enough; the engine's proposals."""
    volunteers = []
    for _ in range((n + 4) // 5):
        user, _pw = factories.make_volunteer(neighbourhood)
        user.volunteer_profile.capacity = 5
        volunteers.append(user)
    for _ in range(n):
        factories.make_resident(neighbourhood, with_login=False)
    db.session.commit()
    run = matching.run_matching(territory)
    db.session.commit()
    return list(db.session.scalars(select(Match).where(Match.run_id == run.id)))


def make_active(neighbourhood, agent_user):
    """An active pair of that neighbourhood; returns (match, volunteer user).

    They share Monday morning (resident: mon-am, wed-pm; volunteer: mon-am, fri-pm).
    """
    resident, _pw = factories.make_resident(neighbourhood, with_login=False)
    volunteer, _pw = factories.make_volunteer(neighbourhood)
    # Picked by hand rather than by a run, so earlier volunteers with free places don't interfere.
    match = pairs.choose_candidate(resident.resident_profile, volunteer.volunteer_profile.id,
                                   agent_user)
    pairs.accept(match, volunteer)
    db.session.commit()
    return match, volunteer


def next_monday_morning() -> datetime:
    """Next Monday at 10:00, Paris time (naive: the visit service reads it as Paris time)."""
    day = (utcnow() + timedelta(days=1)).date()
    day += timedelta(days=(0 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 10, 0)


def past_visit(match, volunteer, days_ago: float, *, done: bool = True,
               mood: Mood | None = Mood.GOOD, now: datetime | None = None,
               log: bool = True) -> Visit:
    """A visit planned through the service, moved ``days_ago`` into the past, then logged."""
    (visit,) = visits.schedule(match, volunteer, next_monday_morning())
    visit.starts_at = (now or utcnow()) - timedelta(days=days_ago)
    db.session.commit()
    if log:
        visits.log(visit, volunteer, done=done, mood=mood if done else None, note=None)
        db.session.commit()
    return visit


# The dashboard -------------------------------------------------------------------------------

def _numbers(html: str) -> str:
    return " ".join(html.split())


def counts(html: str) -> dict[str, int]:
    """The dashboard's counts by the first word of their label ("propositions" -> 2)."""
    found = re.findall(r'<span class="ag-count">(\d+)</span> <span class="ag-queue-label">(\w+)',
                       _numbers(html))
    return {label.rstrip("s"): int(n) for n, label in found}


def test_dashboard_counts_link_to_their_queues(client, place, agent, other_agent):
    me = agent[0]
    make_proposals(place.territory_a, place.nb_a, 2)          # 2 proposals in A
    factories.make_resident(place.nb_a, with_login=False)     # 1 more waiting in A, no volunteer left
    factories.make_resident(place.nb_b, with_login=False)     # 1 waiting in B
    factories.make_volunteer(place.nb_a, approved=False)      # 1 to vet in A
    db.session.add(Referral(first_name="Marcel", last_name="X", phone="+33612345678",
                            commune_insee="64445", reason="seul", person_agreed=True,
                            referrer_name="Sa fille", referrer_relation="fille"))
    db.session.commit()
    login(client, agent)
    page = client.get("/agent/")
    html = _numbers(page.get_data(as_text=True))
    assert page.status_code == 200
    # The 2 residents with a proposal are not waiting any more; the third one is.
    assert counts(html) == {"alerte": 0, "binôme": 0, "proposition": 2, "personne": 1,
                            "signalement": 1, "bénévole": 1}
    assert "La plus ancienne attend depuis 0 jour" in html
    assert 'href="/agent/habitants?etat=waiting"' in html
    assert 'href="/agent/signalements"' in html and 'href="/agent/benevoles"' in html
    assert 'href="/agent/propositions"' in html and 'href="/agent/suivi"' in html
    assert me.first_name in html


def test_dashboard_of_another_territory_counts_nothing_of_a(client, place, agent, other_agent):
    match, volunteer = make_active(place.nb_a, agent[0])
    past_visit(match, volunteer, 30)
    concerns.raise_concern(volunteer, concerns.ConcernSource.VOLUNTEER, "Inquiet",
                           resident=match.resident, match=match)
    make_proposals(place.territory_a, place.nb_a, 1)
    db.session.commit()
    login(client, other_agent)
    html = _numbers(client.get("/agent/").get_data(as_text=True))
    assert set(counts(html).values()) == {0}
    assert "Nouvelles personnes inscrites</dt><dd>0</dd>" in html


def test_dashboard_flags_overdue_concerns_and_counts_the_month(client, place, agent, admin):
    match, volunteer = make_active(place.nb_a, agent[0])
    past_visit(match, volunteer, 0.1)
    late = concerns.raise_concern(volunteer, concerns.ConcernSource.VOLUNTEER, "Rien de neuf",
                                  resident=match.resident, match=match, severity=Severity.HIGH)
    late.due_at = utcnow() - timedelta(hours=2)
    concerns.raise_concern(volunteer, concerns.ConcernSource.VOLUNTEER, "Autre",
                           resident=match.resident, match=match, severity=Severity.LOW)
    db.session.commit()
    login(client, agent)
    html = _numbers(client.get("/agent/").get_data(as_text=True))
    assert counts(html)["alerte"] == 2 and counts(html)["binôme"] == 0
    assert "1 en retard" in html and 'href="/agent/alertes?etat=overdue"' in html
    # The overdue one is listed first among the most urgent, flagged.
    urgent = html.split("Alertes les plus urgentes")[1]
    assert urgent.index("En retard") < urgent.index("Gravité : faible")
    assert "Nouveaux binômes</dt><dd>1</dd>" in html
    assert "Visites faites</dt><dd>1</dd>" in html
    client.logout()
    login(client, admin)
    html = _numbers(client.get("/agent/").get_data(as_text=True))
    assert "Tous les territoires" in html
    assert counts(html)["alerte"] == 2


def test_dashboard_counts_expired_vetting_steps(client, place, agent):
    from app.models import VettingKind, VettingStep

    volunteer, _ = factories.make_volunteer(place.nb_a)
    profile = volunteer.volunteer_profile
    today = utcnow().date()
    db.session.add(VettingStep(volunteer_id=profile.id, kind=VettingKind.CRIMINAL_RECORD,
                               done_on=today - timedelta(days=400),
                               expires_on=today - timedelta(days=35), created_at=utcnow()))
    renewed, _ = factories.make_volunteer(place.nb_a)
    for done, expires in ((400, -35), (10, 355)):
        db.session.add(VettingStep(volunteer_id=renewed.volunteer_profile.id,
                                   kind=VettingKind.CRIMINAL_RECORD,
                                   done_on=today - timedelta(days=done),
                                   expires_on=today + timedelta(days=expires), created_at=utcnow()))
    db.session.commit()
    login(client, agent)
    html = _numbers(client.get("/agent/").get_data(as_text=True))
    assert "1 bénévole validé·e avec une étape expirée" in html


def _some_of_everything(place, agent_user, n: int) -> None:
    make_proposals(place.territory_a, place.nb_a, n)
    for _ in range(n):
        match, volunteer = make_active(place.nb_a, agent_user)
        past_visit(match, volunteer, 25)
        concerns.raise_concern(volunteer, concerns.ConcernSource.VOLUNTEER, "x",
                               resident=match.resident, match=match)
    db.session.commit()


def test_dashboard_takes_the_same_few_queries_whatever_the_data(client, place, agent):
    _some_of_everything(place, agent[0], 1)
    login(client, agent)
    small, _html = measure(client, "/agent/")
    _some_of_everything(place, agent[0], 6)
    big, _html = measure(client, "/agent/")
    assert big.count == small.count, (small.statements, big.statements)
    # Besides the session and the territory: every count in one query, then the most urgent
    # concerns and the names on them.
    assert small.count <= 5, small.statements


@pytest.mark.parametrize("role", ["resident", "volunteer"])
def test_other_roles_have_no_console(client, place, role, resident, volunteer):
    login(client, resident if role == "resident" else volunteer)
    for url in ("/agent/", "/agent/propositions", "/agent/suivi", "/agent/alertes",
                "/agent/campagnes"):
        assert client.get(url).status_code == 403


def test_waiting_counts_skip_closed_and_erased_requests(client, place, agent):
    from app.models import RequestStatus

    closed, _ = factories.make_resident(place.nb_a, with_login=False)
    closed.resident_profile.status = RequestStatus.CLOSED
    erased, _ = factories.make_resident(place.nb_a, with_login=False)
    erased.anonymised_at = utcnow()
    factories.make_resident(place.nb_a, with_login=False)
    db.session.commit()
    login(client, agent)
    html = _numbers(client.get("/agent/").get_data(as_text=True))
    assert counts(html)["personne"] == 1


def test_helpers_make_what_they_say(place, agent):
    match, volunteer = make_active(place.nb_a, agent[0])
    visit = past_visit(match, volunteer, 3, done=False)
    assert match.status is MatchStatus.ACTIVE and visit.status.value == "missed"
    assert visit.starts_at < utcnow() - timedelta(days=2)
