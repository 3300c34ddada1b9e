"""Proposals: run the matching, review (approve, reject with a reason), choose another candidate."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    Match,
    MatchingRun,
    MatchStatus,
    OutboxMessage,
    RequestStatus,
    VolunteerStatus,
)
from app.services import pairs
from tests import factories
from tests.agent.test_dashboard import login, make_active, make_proposals, measure

#: An id that exists nowhere (fixed, so parallel workers collect the same tests).
UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")

S = MatchStatus


def _page(client, url="/agent/propositions") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return " ".join(response.get_data(as_text=True).split())


def _actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# Running the matching ----------------------------------------------------------------------

def test_run_matching_on_the_agents_territory(client, place, agent):
    factories.make_resident(place.nb_a, with_login=False)
    factories.make_volunteer(place.nb_a)
    factories.make_resident(place.nb_b, with_login=False)
    factories.make_volunteer(place.nb_b)
    login(client, agent)
    response = client.post_form("/agent/propositions/lancer", page="/agent/propositions",
                                follow_redirects=True)
    html = " ".join(response.get_data(as_text=True).split())
    assert "1 nouvelle(s) proposition(s), pour 1 personne(s) en attente et 1 bénévole(s)" in html
    runs = list(db.session.scalars(select(MatchingRun)))
    assert [r.territory_id for r in runs] == [place.territory_a.id]
    assert runs[0].run_by_id == agent[0].id
    assert [e.territory_id for e in _actions("matching.run")] == [place.territory_a.id]
    # Running again finds nothing new: the resident already has a live proposal.
    response = client.post_form("/agent/propositions/lancer", page="/agent/propositions",
                                follow_redirects=True)
    assert "0 nouvelle(s) proposition(s)" in response.get_data(as_text=True)


def test_admin_runs_one_territory_or_all(client, place, admin):
    for nb in (place.nb_a, place.nb_b):
        factories.make_resident(nb, with_login=False)
        factories.make_volunteer(nb)
    login(client, admin)
    page = _page(client)
    assert "Tous les territoires" in page and "Territoire B" in page
    client.post_form("/agent/propositions/lancer", {"territory": str(place.territory_b.id)},
                     page="/agent/propositions")
    assert [r.territory_id for r in db.session.scalars(select(MatchingRun))] == [place.territory_b.id]
    response = client.post_form("/agent/propositions/lancer", {"territory": "all"},
                                page="/agent/propositions", follow_redirects=True)
    assert "1 nouvelle(s) proposition(s)" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Match)) == 2


@pytest.mark.parametrize("value", ["", "nope", str(UNKNOWN)])
def test_admin_run_with_a_bad_territory_is_refused_next_to_the_field(client, place, admin, value):
    login(client, admin)
    response = client.post_form("/agent/propositions/lancer", {"territory": value},
                                page="/agent/propositions")
    assert response.status_code == 422
    assert 'id="territory-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MatchingRun)) == 0


# The list ----------------------------------------------------------------------------------

def test_list_shows_each_proposal_with_its_explanation(client, place, agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    resident = match.resident.user
    login(client, agent)
    html = _page(client)
    assert f"{resident.first_name} {resident.last_name[0]}." in html
    assert resident.last_name not in html  # a last name initial only
    assert match.volunteer.user.first_name in html
    assert "Attend depuis</dt><dd>0 jour" in html
    assert "Temps d'attente de la personne" in html and "Proximité" in html
    assert "Lundi matin" in html          # the shared slot, in words
    assert "Lecture" in html              # the shared interest, in words
    assert "0 km" in html
    assert f"/agent/propositions/{match.id}/approuver" in html
    assert f"/agent/propositions/habitant/{match.resident_id}" in html


def test_list_is_oldest_first_and_paginated(client, place, agent):
    from datetime import timedelta

    made = make_proposals(place.territory_a, place.nb_a, 22)
    for i, match in enumerate(made):
        match.created_at = match.created_at - timedelta(minutes=100 - i)
    db.session.commit()
    login(client, agent)
    first = _page(client)
    assert "Page 1 sur 2" in first
    assert first.index(f"proposition-{made[0].id}") < first.index(f"proposition-{made[1].id}")
    assert f"proposition-{made[21].id}" not in first
    assert f"proposition-{made[21].id}" in _page(client, "/agent/propositions?page=2")
    assert "Page 1 sur 2" in _page(client, "/agent/propositions?page=abc")


def test_list_runs_the_same_queries_for_2_or_20_proposals(client, place, agent):
    make_proposals(place.territory_a, place.nb_a, 2)
    (waiting,) = make_proposals(place.territory_a, place.nb_a, 1)
    pairs.approve(waiting, agent[0])   # and one approved waits for an answer
    db.session.commit()
    login(client, agent)
    small, html = measure(client, "/agent/propositions")
    assert html.count('class="ag-card ag-proposal"') == 2
    make_proposals(place.territory_a, place.nb_a, 23)
    for match in db.session.scalars(select(Match).where(Match.status == S.PROPOSED).limit(5)):
        pairs.approve(match, agent[0])
    db.session.commit()
    big, html = measure(client, "/agent/propositions")
    assert html.count('class="ag-card ag-proposal"') == 20 and "(6)" in html
    assert big.count == small.count, (small.statements, big.statements)


def test_approved_ones_wait_for_the_volunteers_answer(client, place, agent):
    from datetime import timedelta

    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    pairs.approve(match, agent[0])
    match.decided_at = match.decided_at - timedelta(days=9)
    db.session.commit()
    login(client, agent)
    html = _page(client)
    section = html.split("en attente de la réponse du bénévole")[-1]
    assert match.volunteer.user.full_name in section and "9 jours" in section
    assert "Aucune proposition à examiner" in html


# Approve -----------------------------------------------------------------------------------

def test_approve_tells_the_volunteer_and_twice_says_so(client, place, agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    login(client, agent)
    url = f"/agent/propositions/{match.id}/approuver"
    response = client.post_form(url, page="/agent/propositions", follow_redirects=True)
    assert "Proposition approuvée" in response.get_data(as_text=True)
    db.session.refresh(match)
    assert match.status is S.APPROVED and match.decided_by_id == agent[0].id
    assert db.session.scalar(select(OutboxMessage.user_id).where(
        OutboxMessage.kind == "match_proposed")) == match.volunteer.user_id
    assert [e.territory_id for e in _actions("match.approve")] == [place.territory_a.id]
    again = client.post_form(url, page="/agent/propositions", follow_redirects=True)
    assert again.status_code == 200
    assert "déjà approuvée" in again.get_data(as_text=True)
    assert len(_actions("match.approve")) == 1


def test_approve_a_proposal_whose_volunteer_was_suspended(client, place, agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    match.volunteer.status = VolunteerStatus.SUSPENDED
    db.session.commit()
    login(client, agent)
    response = client.post_form(f"/agent/propositions/{match.id}/approuver",
                                page="/agent/propositions", follow_redirects=True)
    assert "n&#39;est plus validé" in response.get_data(as_text=True)
    db.session.refresh(match)
    assert match.status is S.PROPOSED


# Reject ------------------------------------------------------------------------------------

def test_reject_needs_a_reason_and_excludes_the_pair_for_ever(client, place, agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    login(client, agent)
    url = f"/agent/propositions/{match.id}/refuser"
    assert "Ce binôme ne sera plus jamais proposé" in _page(client, url)
    response = client.post_form(url, {"reason": "   "})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    too_long = client.post_form(url, {"reason": "x" * 501})
    assert too_long.status_code == 422
    response = client.post_form(url, {"reason": "Ils se connaissent déjà"}, follow_redirects=True)
    assert "Proposition refusée" in response.get_data(as_text=True)
    db.session.refresh(match)
    assert match.status is S.REJECTED and match.status_reason == "Ils se connaissent déjà"
    assert len(_actions("match.reject")) == 1
    # The same pair is never proposed again.
    client.post_form("/agent/propositions/lancer", page="/agent/propositions")
    assert db.session.scalar(select(func.count()).select_from(Match)) == 1
    # Rejecting again says it is done already.
    response = client.get(url, follow_redirects=True)
    assert "déjà été refusée" in response.get_data(as_text=True)
    response = client.post_form(url, {"reason": "encore"}, page="/agent/propositions",
                                follow_redirects=True)
    assert "déjà été refusée" in response.get_data(as_text=True)


# Other candidates --------------------------------------------------------------------------

def test_candidates_are_ranked_with_their_explanation(client, place, agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    other, _ = factories.make_volunteer(place.nb_a, first="Zoé")
    far, _ = factories.make_volunteer(place.nb_b, first="Lescarienne")
    login(client, agent)
    html = _page(client, f"/agent/propositions/habitant/{match.resident_id}")
    assert match.volunteer.user.full_name in html and other.full_name in html
    assert far.full_name not in html                  # another territory's volunteer
    assert "Proposé·e en ce moment" in html
    assert "2 bénévoles possibles" in html
    assert html.count('data-label="Proximité (sur 25)"') == 2 and "Moments :" in html
    assert f"/choisir/{other.volunteer_profile.id}" in html
    # The current proposal is approved from here, not chosen again.
    assert f"/choisir/{match.volunteer_id}" not in html
    assert f"/agent/propositions/{match.id}/approuver" in html


def test_choose_another_candidate(client, place, agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    other, _ = factories.make_volunteer(place.nb_a, first="Zoé")
    login(client, agent)
    page = f"/agent/propositions/habitant/{match.resident_id}"
    response = client.post_form(f"{page}/choisir/{other.volunteer_profile.id}", page=page,
                                follow_redirects=True)
    assert "la proposition est approuvée" in response.get_data(as_text=True)
    db.session.refresh(match)
    assert match.status is S.WITHDRAWN
    chosen = db.session.scalar(select(Match).where(Match.volunteer_id == other.volunteer_profile.id))
    assert chosen.status is S.APPROVED and chosen.decided_by_id == agent[0].id
    assert len(_actions("match.choose")) == 1


def test_choose_an_impossible_candidate_says_why(client, place, agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    applicant, _ = factories.make_volunteer(place.nb_a, approved=False, first="Nouveau")
    login(client, agent)
    page = f"/agent/propositions/habitant/{match.resident_id}"
    response = client.post_form(f"{page}/choisir/{applicant.volunteer_profile.id}", page=page,
                                follow_redirects=True)
    assert "ne peut pas être proposé à cette personne" in response.get_data(as_text=True)
    db.session.refresh(match)
    assert match.status is S.PROPOSED


def test_no_choice_for_a_resident_who_has_a_volunteer_or_paused(client, place, agent):
    active, _ = make_active(place.nb_a, agent[0])
    spare, _ = factories.make_volunteer(place.nb_a, first="Zoé")
    login(client, agent)
    page = f"/agent/propositions/habitant/{active.resident_id}"
    assert "a déjà un ou une bénévole" in _page(client, page)
    response = client.post_form(f"{page}/choisir/{spare.volunteer_profile.id}", page=page,
                                follow_redirects=True)
    assert "a déjà un ou une bénévole" in response.get_data(as_text=True)
    paused, _ = factories.make_resident(place.nb_a, with_login=False)
    paused.resident_profile.status = RequestStatus.PAUSED
    db.session.commit()
    page = f"/agent/propositions/habitant/{paused.resident_profile.id}"
    response = client.post_form(f"{page}/choisir/{spare.volunteer_profile.id}", page=page,
                                follow_redirects=True)
    assert "en pause" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Match)) == 1


def test_candidates_page_runs_the_same_queries_for_2_or_12_candidates(client, place, agent):
    resident, _ = factories.make_resident(place.nb_a, with_login=False)
    for _ in range(2):
        factories.make_volunteer(place.nb_a)
    login(client, agent)
    url = f"/agent/propositions/habitant/{resident.resident_profile.id}"
    small, html = measure(client, url)
    assert "2 bénévoles possibles" in html
    for _ in range(10):
        factories.make_volunteer(place.nb_a)
    big, html = measure(client, url)
    assert "12 bénévoles possibles" in html
    assert big.count == small.count, (small.statements, big.statements)


# Territory scoping -------------------------------------------------------------------------

def test_another_territory_gets_404_and_sees_nothing(client, place, agent, other_agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    volunteer_b, _ = factories.make_volunteer(place.nb_b)
    login(client, other_agent)
    html = _page(client)
    assert match.resident.user.first_name not in html and "Aucune proposition" in html
    base = "/agent/propositions"
    for url in (f"{base}/{match.id}/refuser", f"{base}/habitant/{match.resident_id}"):
        assert client.get(url).status_code == 404
    for url, data in ((f"{base}/{match.id}/approuver", {}),
                      (f"{base}/{match.id}/refuser", {"reason": "non"}),
                      (f"{base}/habitant/{match.resident_id}/choisir/{volunteer_b.volunteer_profile.id}", {})):
        assert client.post_form(url, data, page=base).status_code == 404
    db.session.refresh(match)
    assert match.status is S.PROPOSED
    client.post_form(f"{base}/lancer", page=base)
    assert db.session.scalar(select(MatchingRun.territory_id).where(
        MatchingRun.run_by_id == other_agent[0].id)) == place.territory_b.id


def test_an_agent_cannot_choose_a_volunteer_of_another_territory(client, place, agent):
    (match,) = make_proposals(place.territory_a, place.nb_a, 1)
    volunteer_b, _ = factories.make_volunteer(place.nb_b)
    login(client, agent)
    page = f"/agent/propositions/habitant/{match.resident_id}"
    response = client.post_form(f"{page}/choisir/{volunteer_b.volunteer_profile.id}", page=page)
    assert response.status_code == 404


def test_admin_sees_every_territory(client, place, agent, admin):
    (match_a,) = make_proposals(place.territory_a, place.nb_a, 1)
    (match_b,) = make_proposals(place.territory_b, place.nb_b, 1)
    login(client, admin)
    html = _page(client)
    assert f"proposition-{match_a.id}" in html and f"proposition-{match_b.id}" in html
    assert client.get(f"/agent/propositions/habitant/{match_b.resident_id}").status_code == 200


@pytest.mark.parametrize("url", [
    "/agent/propositions/not-a-uuid/approuver", "/agent/propositions/habitant/123",
    f"/agent/propositions/{UNKNOWN}/refuser", f"/agent/propositions/habitant/{UNKNOWN}",
])
def test_bad_ids_are_404_not_500(client, place, agent, url):
    login(client, agent)
    assert client.get(url).status_code in (404, 405)
    assert client.post_form(url, page="/agent/propositions").status_code in (404, 405)
