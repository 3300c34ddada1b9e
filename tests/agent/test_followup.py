"""Follow-up: the attention queue's three rules, a pair's page, concerns and their escalation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.commands.followup import concerns_cli
from app.extensions import db
from app.models import (
    AuditEntry,
    Concern,
    ConcernSource,
    ConcernStatus,
    Mood,
    OutboxMessage,
    Severity,
    utcnow,
)
from app.services import attention, concern_handling, concerns, pairs
from app.services.attention import Reason
from app.services.errors import DomainError, InvalidTransition
from tests import factories
from tests.agent.test_dashboard import login, make_active, measure, past_visit

#: An id that exists nowhere (fixed, so parallel workers collect the same tests).
UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")

C = ConcernStatus


@pytest.fixture
def pair(place, agent):
    """An active pair of territory A: (match, volunteer user)."""
    return make_active(place.nb_a, agent[0])


def _reasons(place, match, now=None) -> tuple[Reason, ...]:
    flag = attention.flags(place.territory_a.id, now).get(match.id)
    return flag.reasons if flag else ()


def _raise(match, volunteer, severity=Severity.MEDIUM, text="Elle ne répond plus au téléphone"):
    concern = concerns.raise_concern(volunteer, ConcernSource.VOLUNTEER, text,
                                     resident=match.resident, match=match, severity=severity)
    db.session.commit()
    return concern


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# The attention rules -----------------------------------------------------------------------

def test_no_done_visit_for_21_days_counts_the_21st_day(place, pair):
    match, volunteer = pair
    now = utcnow()
    visit = past_visit(match, volunteer, 21, now=now)
    assert _reasons(place, match, now) == (Reason.NO_VISIT,)
    visit.starts_at = now - timedelta(days=21) + timedelta(minutes=1)
    db.session.commit()
    assert _reasons(place, match, now) == ()
    # A newer done visit resets the count; a missed one does not.
    visit.starts_at = now - timedelta(days=40)
    db.session.commit()
    past_visit(match, volunteer, 3, done=False, now=now)
    assert Reason.NO_VISIT in _reasons(place, match, now)
    past_visit(match, volunteer, 2, now=now)
    assert _reasons(place, match, now) == ()


def test_a_pair_never_visited_counts_from_its_acceptance(place, pair):
    match, _ = pair
    now = utcnow()
    match.accepted_at = now - timedelta(days=21)
    db.session.commit()
    assert _reasons(place, match, now) == (Reason.NO_VISIT,)
    match.accepted_at = now - timedelta(days=20, hours=23)
    db.session.commit()
    assert _reasons(place, match, now) == ()


def test_a_paused_pair_is_not_counted_as_without_visits(place, pair, agent):
    match, _ = pair
    match.accepted_at = utcnow() - timedelta(days=60)
    db.session.commit()
    pairs.pause(match, agent[0], "hôpital")
    db.session.commit()
    assert _reasons(place, match) == ()


def test_two_missed_visits_in_a_row(place, pair):
    match, volunteer = pair
    past_visit(match, volunteer, 9, done=False)
    assert _reasons(place, match) == ()
    past_visit(match, volunteer, 2, done=False)
    assert _reasons(place, match) == (Reason.MISSED_TWICE,)


def test_missed_done_missed_is_not_two_in_a_row(place, pair):
    match, volunteer = pair
    past_visit(match, volunteer, 9, done=False)
    past_visit(match, volunteer, 5, done=True)
    past_visit(match, volunteer, 2, done=False)
    assert _reasons(place, match) == ()


def test_done_then_two_missed_and_a_visit_still_to_log(place, pair):
    match, volunteer = pair
    past_visit(match, volunteer, 9, done=True)
    past_visit(match, volunteer, 5, done=False)
    past_visit(match, volunteer, 2, done=False)
    past_visit(match, volunteer, 1, log=False)   # not logged: not a "logged visit"
    assert _reasons(place, match) == (Reason.MISSED_TWICE,)


def test_a_worrying_visit_stays_until_a_closed_concern_covers_it(place, pair, agent):
    match, volunteer = pair
    past_visit(match, volunteer, 2, mood=Mood.WORRYING)
    assert _reasons(place, match) == (Reason.WORRYING,)
    # The visit service opened a concern about that visit; closing it covers the log.
    concern = db.session.scalar(select(Concern).where(Concern.match_id == match.id))
    concern_handling.start(concern, agent[0])
    assert _reasons(place, match) == (Reason.WORRYING,)
    concern_handling.close(concern, agent[0], "Appelée : elle va bien, sa fille passe demain.")
    db.session.commit()
    assert _reasons(place, match) == ()


def test_a_worrying_visit_older_than_30_days_leaves_the_queue(place, pair):
    match, volunteer = pair
    visit = past_visit(match, volunteer, 31, mood=Mood.WORRYING)
    past_visit(match, volunteer, 1)
    now = utcnow()
    visit.log.logged_at = now - timedelta(days=30, minutes=1)
    db.session.commit()
    assert _reasons(place, match, now) == ()
    visit.log.logged_at = now - timedelta(days=29)
    db.session.commit()
    assert _reasons(place, match, now) == (Reason.WORRYING,)


def test_a_closed_concern_about_the_pair_before_the_log_does_not_cover_it(place, pair, agent):
    match, volunteer = pair
    old = _raise(match, volunteer)
    concern_handling.start(old, agent[0])
    concern_handling.close(old, agent[0], "réglé")
    old.closed_at = utcnow() - timedelta(days=5)
    db.session.commit()
    past_visit(match, volunteer, 1, mood=Mood.WORRYING)
    assert _reasons(place, match) == (Reason.WORRYING,)


def test_the_queue_is_scoped_to_the_territory(place, pair, other_agent):
    match, volunteer = pair
    past_visit(match, volunteer, 2, done=False)
    past_visit(match, volunteer, 1, done=False)
    assert match.id in attention.flags(place.territory_a.id)
    assert match.id not in attention.flags(place.territory_b.id)
    assert match.id in attention.flags(None)


# The attention page and a pair's page ------------------------------------------------------

def test_attention_page_lists_each_pair_with_its_reasons(client, place, pair, agent):
    match, volunteer = pair
    match.accepted_at = utcnow() - timedelta(days=40)
    past_visit(match, volunteer, 30, done=False)
    past_visit(match, volunteer, 25, done=False)
    login(client, agent)
    _q, html = measure(client, "/agent/suivi")
    assert match.resident.user.full_name in html
    assert "Les deux dernières visites ont été manquées" in html
    assert "Aucune visite faite depuis au moins 21 jours" in html
    assert "jours sans visite" in html
    assert f"/agent/suivi/binome/{match.id}" in html


def test_attention_page_queries_do_not_grow_with_rows(client, place, agent):
    def fading(n):
        for _ in range(n):
            match, _v = make_active(place.nb_a, agent[0])
            match.accepted_at = utcnow() - timedelta(days=30)
        db.session.commit()

    fading(2)
    login(client, agent)
    small, html = measure(client, "/agent/suivi")
    assert "2 binômes" in html
    fading(18)
    big, html = measure(client, "/agent/suivi")
    assert "20 binômes" in html
    assert big.count == small.count, (small.statements, big.statements)


def test_pair_page_shows_visits_and_opens_a_concern(client, place, pair, agent):
    match, volunteer = pair
    past_visit(match, volunteer, 3, mood=Mood.FAIR)
    login(client, agent)
    url = f"/agent/suivi/binome/{match.id}"
    _q, html = measure(client, url)
    assert "Moyen" in html and volunteer.full_name in html
    response = client.post_form(f"{url}/alerte", {"severity": "high", "description": " "}, page=url)
    assert response.status_code == 422 and 'id="description-error"' in response.get_data(as_text=True)
    response = client.post_form(f"{url}/alerte", {"severity": "bogus", "description": "x"}, page=url)
    assert response.status_code == 422 and 'id="severity-error"' in response.get_data(as_text=True)
    response = client.post_form(f"{url}/alerte", {"severity": "high",
                                                  "description": "Je rappelle sa fille."}, page=url)
    concern = db.session.scalar(select(Concern).where(Concern.source == ConcernSource.AGENT))
    assert response.status_code == 302 and response.location.endswith(f"/agent/alertes/{concern.id}")
    assert concern.severity is Severity.HIGH and concern.match_id == match.id
    assert concern.raised_by_id == agent[0].id


def test_follow_up_pages_of_another_territory_are_404(client, place, pair, other_agent, admin):
    match, volunteer = pair
    past_visit(match, volunteer, 2, done=False)
    past_visit(match, volunteer, 1, done=False)
    login(client, other_agent)
    assert match.resident.user.full_name not in client.get("/agent/suivi").get_data(as_text=True)
    url = f"/agent/suivi/binome/{match.id}"
    assert client.get(url).status_code == 404
    assert client.post_form(f"{url}/alerte", {"severity": "low", "description": "x"},
                            page="/agent/suivi").status_code == 404
    client.logout()
    login(client, admin)
    assert match.resident.user.full_name in client.get("/agent/suivi").get_data(as_text=True)
    assert client.get(url).status_code == 200


# Concerns: the list ------------------------------------------------------------------------

def test_concern_list_puts_overdue_first_then_by_due_date_and_closed_last(client, place, pair,
                                                                          agent):
    match, volunteer = pair
    now = utcnow()
    later = _raise(match, volunteer, Severity.LOW, "plus tard")
    soon = _raise(match, volunteer, Severity.HIGH, "bientôt")
    late = _raise(match, volunteer, Severity.LOW, "en retard")
    late.due_at = now - timedelta(hours=1)
    done = _raise(match, volunteer, Severity.HIGH, "fini")
    concern_handling.start(done, agent[0])
    concern_handling.close(done, agent[0], "ok")
    db.session.commit()
    login(client, agent)
    _q, html = measure(client, "/agent/alertes")
    positions = [html.index(f"/agent/alertes/{c.id}") for c in (late, soon, later, done)]
    assert positions == sorted(positions)
    assert html.count("ag-badge-late") == 1
    _q, html = measure(client, "/agent/alertes?etat=overdue")
    assert f"/agent/alertes/{late.id}" in html and f"/agent/alertes/{soon.id}" not in html
    _q, html = measure(client, "/agent/alertes?etat=closed")
    assert f"/agent/alertes/{done.id}" in html and f"/agent/alertes/{late.id}" not in html
    _q, html = measure(client, "/agent/alertes?gravite=high")
    assert f"/agent/alertes/{soon.id}" in html and f"/agent/alertes/{later.id}" not in html


@pytest.mark.parametrize(("query", "status"), [
    ("etat=nope", 422), ("gravite=%00", 422), ("etat=open&gravite=x", 422),
    ("page=-3&etat=open", 200), ("page=99999999999999999999", 200),
])
def test_concern_list_bad_filters_are_explained_not_500(client, place, agent, query, status):
    login(client, agent)
    response = client.get(f"/agent/alertes?{query}")
    assert response.status_code == status
    if status == 422:
        assert "field-error" in response.get_data(as_text=True)


def test_concern_list_queries_do_not_grow_with_rows(client, place, pair, agent):
    match, volunteer = pair
    for _ in range(2):
        _raise(match, volunteer)
    login(client, agent)
    small, _html = measure(client, "/agent/alertes")
    for _ in range(18):
        _raise(match, volunteer)
    big, html = measure(client, "/agent/alertes")
    assert html.count('class="ag-concern-title"') == 20
    assert big.count == small.count, (small.statements, big.statements)


def test_concerns_of_another_territory_are_hidden_and_404(client, place, pair, agent,
                                                          other_agent):
    match, volunteer = pair
    concern = _raise(match, volunteer)
    about_volunteer = concerns.raise_concern(match.resident.user, ConcernSource.RESIDENT,
                                             "En retard", volunteer=match.volunteer, match=match)
    db.session.commit()
    login(client, other_agent)
    html = client.get("/agent/alertes").get_data(as_text=True)
    assert "Aucune alerte ne correspond" in html
    base = f"/agent/alertes/{concern.id}"
    assert client.get(base).status_code == 404
    assert client.get(f"/agent/alertes/{about_volunteer.id}").status_code == 404
    for action, data in (("prendre", {}), ("en-cours", {}), ("note", {"body": "x"}),
                         ("clore", {"note": "x"}), ("confier", {"owner": str(agent[0].id)})):
        assert client.post_form(f"{base}/{action}", data, page="/agent/alertes").status_code == 404
    db.session.refresh(concern)
    assert concern.status is C.OPEN and concern.owner_id is None and not concern.notes


# Concerns: the detail and its actions ------------------------------------------------------

def test_concern_page_shows_what_who_and_the_pair(client, place, pair, agent):
    match, volunteer = pair
    concern = _raise(match, volunteer, text="Elle a chuté la semaine dernière")
    login(client, agent)
    html = client.get(f"/agent/alertes/{concern.id}").get_data(as_text=True)
    assert "Elle a chuté la semaine dernière" in html
    assert volunteer.full_name in html and "bénévole" in html
    assert f"/agent/suivi/binome/{match.id}" in html
    assert "Je la prends en charge" in html and "En retard" not in html


def test_take_start_note_and_close_a_concern(client, place, pair, agent):
    match, volunteer = pair
    concern = _raise(match, volunteer)
    login(client, agent)
    base = f"/agent/alertes/{concern.id}"
    response = client.post_form(f"{base}/prendre", page=base, follow_redirects=True)
    assert "Vous suivez maintenant cette alerte" in response.get_data(as_text=True)
    again = client.post_form(f"{base}/prendre", page=base, follow_redirects=True)
    assert "Vous suivez déjà cette alerte" in again.get_data(as_text=True)
    # Closing an open concern, or without a note, is refused.
    assert client.post_form(f"{base}/clore", {"note": ""}, page=base).status_code == 422
    response = client.post_form(f"{base}/clore", {"note": "Fait"}, page=base,
                                follow_redirects=True)
    assert "Passez d&#39;abord l&#39;alerte « en cours »" in response.get_data(as_text=True)
    response = client.post_form(f"{base}/en-cours", page=base, follow_redirects=True)
    assert "en cours de traitement" in response.get_data(as_text=True)
    response = client.post_form(f"{base}/note", {"body": "  "}, page=base)
    assert response.status_code == 422 and 'id="body-error"' in response.get_data(as_text=True)
    client.post_form(f"{base}/note", {"body": "Appel à sa fille, rappeler lundi."}, page=base)
    response = client.post_form(f"{base}/clore", {"note": ""}, page=base)
    assert response.status_code == 422 and 'id="note-error"' in response.get_data(as_text=True)
    response = client.post_form(f"{base}/clore", {"note": "Sa fille passe chaque jour."},
                                page=base, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "L&#39;alerte est close" in html and "Sa fille passe chaque jour." in html
    db.session.refresh(concern)
    assert concern.status is C.CLOSED and concern.owner_id == agent[0].id and concern.closed_at
    assert [n.body for n in concern.notes] == ["Appel à sa fille, rappeler lundi.",
                                               "Sa fille passe chaque jour."]
    assert {e.action for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "concern"))} >= {"concern.take", "concern.start",
                                                   "concern.note", "concern.close"}
    assert {e.territory_id for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action.in_(["concern.take", "concern.close"])))} == {place.territory_a.id}
    # A closed concern no longer changes.
    for action, data in (("prendre", {}), ("en-cours", {}), ("note", {"body": "x"}),
                         ("clore", {"note": "x"})):
        response = client.post_form(f"{base}/{action}", data, page=base, follow_redirects=True)
        assert response.status_code == 200
        assert "Cette alerte est close" in response.get_data(as_text=True)
    assert len(concern.notes) == 2


def test_assign_to_another_agent_of_the_territory(client, place, pair, agent, other_agent):
    match, volunteer = pair
    colleague, _ = factories.make_staff("agent", place.territory_a, first="Bruno")
    concern = _raise(match, volunteer)
    login(client, agent)
    base = f"/agent/alertes/{concern.id}"
    html = client.get(base).get_data(as_text=True)
    assert colleague.full_name in html and other_agent[0].full_name not in html
    response = client.post_form(f"{base}/confier", {"owner": str(other_agent[0].id)}, page=base)
    assert response.status_code == 422 and 'id="owner-error"' in response.get_data(as_text=True)
    response = client.post_form(f"{base}/confier", {"owner": "pas-un-id"}, page=base)
    assert response.status_code == 422
    response = client.post_form(f"{base}/confier", {"owner": str(colleague.id)}, page=base,
                                follow_redirects=True)
    assert "est confiée à" in response.get_data(as_text=True)
    db.session.refresh(concern)
    assert concern.owner_id == colleague.id
    assert db.session.scalar(select(OutboxMessage.user_id).where(
        OutboxMessage.kind == "concern_assigned")) == colleague.id


def test_assign_service_refuses_foreign_agents(place, pair, agent, other_agent):
    match, volunteer = pair
    concern = _raise(match, volunteer)
    with pytest.raises(DomainError) as refused:
        concern_handling.assign(concern, other_agent[0], agent[0])
    assert refused.value.field == "owner"
    concern_handling.start(concern, agent[0])
    concern_handling.close(concern, agent[0], "ok")
    with pytest.raises(InvalidTransition):
        concern_handling.take(concern, agent[0])


def test_overdue_concern_is_flagged_on_its_page(client, place, pair, agent):
    match, volunteer = pair
    concern = _raise(match, volunteer, Severity.HIGH)
    concern.due_at = utcnow() - timedelta(hours=3)
    db.session.commit()
    login(client, agent)
    html = client.get(f"/agent/alertes/{concern.id}").get_data(as_text=True)
    assert "En retard" in html and "devait être traitée avant le" in html


@pytest.mark.parametrize("url", ["/agent/alertes/123", f"/agent/alertes/{UNKNOWN}",
                                 f"/agent/suivi/binome/{UNKNOWN}"])
def test_unknown_ids_are_404(client, place, agent, url):
    login(client, agent)
    assert client.get(url).status_code == 404


# Escalation ----------------------------------------------------------------------------------

def test_escalate_overdue_concerns_once(runner, place, pair, agent):
    match, volunteer = pair
    colleague, _ = factories.make_staff("agent", place.territory_a, first="Bruno")
    factories.make_staff("agent", place.territory_b, first="Loin")
    owned = _raise(match, volunteer, Severity.HIGH)
    owned.owner_id = colleague.id
    unowned = _raise(match, volunteer, Severity.LOW)
    on_time = _raise(match, volunteer, Severity.LOW)
    closed = _raise(match, volunteer, Severity.LOW)
    for c in (owned, unowned, closed):
        c.due_at = utcnow() - timedelta(hours=1)
    closed.status = C.CLOSED
    db.session.commit()
    result = runner.invoke(concerns_cli, ["escalate"])
    assert result.exit_code == 0, result.output
    assert "2 overdue concern(s) escalated" in result.output
    for c in (owned, unowned, on_time, closed):
        db.session.refresh(c)
    assert owned.escalated_at and unowned.escalated_at
    assert on_time.escalated_at is None and closed.escalated_at is None
    sent = sorted((m.user_id, m.kind) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "concern_overdue")))
    # The owner alone for the owned one; every agent of territory A (not B) for the other.
    assert sorted(sent) == sorted([(colleague.id, "concern_overdue"),
                                   (agent[0].id, "concern_overdue"),
                                   (colleague.id, "concern_overdue")])
    assert len(_audit("concern.escalate")) == 2
    assert {e.actor_role for e in _audit("concern.escalate")} == {"system"}
    # Safe to run twice.
    again = runner.invoke(concerns_cli, ["escalate"])
    assert "0 overdue concern(s) escalated" in again.output
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "concern_overdue")) == 3


def test_escalation_tells_the_territory_when_the_owner_left(place, pair, agent):
    match, volunteer = pair
    gone, _ = factories.make_staff("agent", place.territory_a, first="Partie")
    concern = _raise(match, volunteer)
    concern.owner_id = gone.id
    concern.due_at = utcnow() - timedelta(minutes=5)
    gone.is_enabled = False
    db.session.commit()
    assert [c.id for c in concern_handling.escalate_overdue()] == [concern.id]
    assert db.session.scalar(select(OutboxMessage.user_id).where(
        OutboxMessage.kind == "concern_overdue")) == agent[0].id


def test_escalated_concern_still_shows_in_the_list_as_overdue(client, place, pair, agent):
    match, volunteer = pair
    concern = _raise(match, volunteer)
    concern.due_at = utcnow() - timedelta(days=1)
    db.session.commit()
    concern_handling.escalate_overdue()
    db.session.commit()
    login(client, agent)
    html = client.get("/agent/alertes").get_data(as_text=True)
    assert "ag-badge-late" in html
    detail = client.get(f"/agent/alertes/{concern.id}").get_data(as_text=True)
    assert "Un rappel a été envoyé le" in detail
