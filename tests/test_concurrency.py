"""Real concurrent requests on one pair or one visit: exactly one wins, the others are told why.

The app runs in gunicorn (two worker processes, several threads) on the test's database, SQLite
or PostgreSQL; the requests leave together from threads held at a barrier.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PARIS, AuditEntry, Match, MatchStatus, OutboxMessage, Visit, VisitStatus
from app.services import matching, pairs, visits
from tests import factories
from tests.live import LiveServer


def _together(n: int, action) -> list:
    """Run ``action(i)`` in ``n`` threads released at the same instant; their results."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # noqa: BLE001  (kept and asserted on)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _release() -> None:
    """End the test's own transaction: outside a request it holds SQLite's write lock."""
    db.session.commit()
    db.session.close()


def _count(model, *where) -> int:
    db.session.rollback()  # see what the server committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def approved(place, agent):
    """A pair approved by an agent, waiting for the volunteer's answer."""
    resident, _ = factories.make_resident(place.nb_a)
    volunteer, _ = factories.make_volunteer(place.nb_a)
    matching.run_matching(place.territory_a)
    match = db.session.scalar(select(Match))
    pairs.approve(match, agent[0])
    db.session.commit()
    return match, resident, volunteer


#: Acceptances sent at once (issue 7: twenty). A proposal is one volunteer's, so they come from
#: twenty sessions of that volunteer (phone, computer, tabs); another volunteer would get a 404.
ACCEPTANCES = 20


def test_twenty_acceptances_of_one_proposal_make_one_pair(database_url, approved):
    match, _, volunteer = approved
    url, page, email = f"/benevole/binome/{match.id}/accepter", f"/benevole/binome/{match.id}", volunteer.email
    _release()
    with LiveServer(database_url) as server:
        tabs = [server.session(email, factories.PASSWORD) for _ in range(ACCEPTANCES)]
        tokens = [tab.token(page) for tab in tabs]
        responses = _together(ACCEPTANCES,
                              lambda i: tabs[i].post(url, data={"csrf_token": tokens[i]}))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [422] * (ACCEPTANCES - 1), statuses
    refusals = [r.text for r in responses if r.status_code == 422]
    assert all("déjà accepté" in text or "a changé entre-temps" in text for text in refusals)
    assert _count(AuditEntry, AuditEntry.action == "match.accept") == 1
    assert _count(OutboxMessage, OutboxMessage.kind == "match_approved") == 1
    assert _count(Match, Match.status == MatchStatus.ACTIVE) == 1


def test_resident_and_volunteer_cancelling_one_visit_cancel_it_once(database_url, approved):
    match, resident, volunteer = approved
    pairs.accept(match, volunteer)
    today = datetime.now(PARIS).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    visit = visits.schedule(match, volunteer, datetime(monday.year, monday.month, monday.day, 10))[0]
    db.session.commit()
    before = _count(OutboxMessage, OutboxMessage.kind == "visit_cancelled")
    emails, visit_id = [resident.email, volunteer.email], visit.id
    pages = [f"/habitant/visites/{visit_id}/annuler", f"/benevole/visites/{visit_id}/annuler"]
    _release()

    with LiveServer(database_url) as server:
        people = [server.session(email, factories.PASSWORD) for email in emails]
        tokens = [p.token(page) for p, page in zip(people, pages, strict=True)]
        responses = _together(2, lambda i: people[i].post(
            pages[i], data={"csrf_token": tokens[i], "reason": "Empêchement"}))

    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]
    assert _count(AuditEntry, AuditEntry.action == "visit.cancel") == 1
    assert _count(OutboxMessage, OutboxMessage.kind == "visit_cancelled") == before + 1
    assert db.session.get(Visit, visit_id).status is VisitStatus.CANCELLED


def test_two_agents_deciding_one_proposal_leave_one_state_and_two_journal_entries(
        database_url, place, agent):
    factories.make_resident(place.nb_a)
    factories.make_volunteer(place.nb_a)
    second, _ = factories.make_staff("agent", place.territory_a)
    matching.run_matching(place.territory_a)
    match = db.session.scalar(select(Match))
    assert match.status is MatchStatus.PROPOSED
    match_id, emails = match.id, [agent[0].email, second.email]
    _release()

    with LiveServer(database_url) as server:
        agents = [server.session(email, factories.PASSWORD) for email in emails]
        token = [a.token("/agent/propositions") for a in agents]
        approve, reject = (f"/agent/propositions/{match_id}/approuver",
                           f"/agent/propositions/{match_id}/refuser")
        responses = _together(2, lambda i: agents[i].post(
            [approve, reject][i],
            data={"csrf_token": token[i], "reason": "Trop loin l'un de l'autre"}))

    assert all(not isinstance(r, Exception) and r.status_code < 500 for r in responses), responses
    final = db.session.get(Match, match_id)
    db.session.refresh(final)
    assert final.status in (MatchStatus.APPROVED, MatchStatus.REJECTED)
    won = "approve" if final.status is MatchStatus.APPROVED else "reject"
    lost = "reject" if won == "approve" else "approve"
    entries = sorted(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_id == str(match_id), AuditEntry.action.like("match.%"))))
    assert entries == sorted([f"match.{won}", f"match.{lost}.refused"]), entries
    proposed = _count(OutboxMessage, OutboxMessage.kind == "match_proposed")
    assert proposed == (1 if won == "approve" else 0)
