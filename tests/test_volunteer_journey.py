"""The volunteer's pages through the test client: vetting, proposals, pairs, visits, concerns.

Who sees what (PRODUCT.md §3) is checked on the pages themselves: a proposal shows the first
name and never the address, the phone or the last name; an accepted pair shows the address and
the phone; an ended pair no longer does.
"""

from __future__ import annotations

import html as html_lib
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import (
    Concern,
    ConcernSource,
    Match,
    MatchStatus,
    Severity,
    VettingKind,
    VettingStep,
    Visit,
    VisitLog,
    VisitStatus,
    VolunteerStatus,
    paris_today,
    utcnow,
)
from app.services import matching, pairs, visits
from app.services.visits import PARIS
from tests import factories

S = MatchStatus
ADDRESS = "12 rue des Tests"
PHONES = ("+33612345678", "06 12 34 56 78")


# --- Helpers and fixtures --------------------------------------------------------------------

def paris_day(weekday: int, *, weeks_ahead: int = 0) -> date:
    """The next given weekday (0 = Monday) at least two days from today, in Paris."""
    day = datetime.now(PARIS).date() + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day + timedelta(weeks=weeks_ahead)


def at_paris(day: date, hour: int, minute: int = 0) -> datetime:
    """A Paris wall-clock time as an aware datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def past_visit(match: Match, days_ago: int = 2, **values) -> Visit:
    """A visit that already started (the service plans only visits to come)."""
    visit = Visit(match_id=match.id, starts_at=utcnow() - timedelta(days=days_ago),
                  duration_minutes=60, **values)
    db.session.add(visit)
    db.session.commit()
    return visit


def text(response) -> str:
    """The page, with HTML entities turned back into characters."""
    return html_lib.unescape(response.get_data(as_text=True))


def assert_no_contact(html: str, resident) -> None:
    """Neither the address, the phone nor the last name of the resident is on the page."""
    assert ADDRESS not in html
    for phone in PHONES:
        assert phone not in html
    assert resident.user.last_name not in html


@pytest.fixture
def proposal(place, agent, volunteer):
    """The engine's proposal of the resident Jeanne to the volunteer, approved by an agent."""
    factories.make_resident(place.nb_a)
    matching.run_matching(place.territory_a)
    match = db.session.scalar(select(Match))
    pairs.approve(match, agent[0])
    db.session.commit()
    return match


@pytest.fixture
def active(proposal, volunteer):
    """The same pair, accepted by the volunteer."""
    pairs.accept(proposal, volunteer[0])
    db.session.commit()
    return proposal


@pytest.fixture
def vclient(client, volunteer):
    """The test client, logged in as the volunteer of the pair."""
    client.login(*volunteer)
    return client


# --- Access ----------------------------------------------------------------------------------

def test_anonymous_people_are_sent_to_the_login_page(client, place):
    response = client.get("/benevole/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_a_resident_may_not_enter_the_volunteer_pages(client, resident):
    client.login(*resident)
    assert client.get("/benevole/").status_code == 403


# --- Vetting progress ------------------------------------------------------------------------

def test_an_applicant_sees_each_step_and_what_remains(client, applicant, agent):
    user, password = applicant
    profile = user.volunteer_profile
    today = paris_today()
    db.session.add_all([
        VettingStep(volunteer_id=profile.id, kind=VettingKind.IDENTITY, done_on=today - timedelta(days=3),
                    recorded_by_id=agent[0].id, created_at=utcnow()),
        VettingStep(volunteer_id=profile.id, kind=VettingKind.CRIMINAL_RECORD,
                    done_on=today - timedelta(days=400), expires_on=today - timedelta(days=35),
                    recorded_by_id=agent[0].id, created_at=utcnow()),
    ])
    profile.status = VolunteerStatus.IN_REVIEW
    db.session.commit()
    client.login(user, password)
    html = text(client.get("/benevole/"))
    steps = html[html.index('class="vetting-steps"'):]
    # The charter counts from sign-up, without any step row; identity done; the extract expired.
    assert steps.count("vol-badge-done") == 2
    assert steps.count("vol-badge-error") == 1 and "Expiré" in steps and "à refaire" in steps
    assert steps.count("vol-badge-todo") == 2
    assert "Il reste à faire" in html
    assert "extrait de casier judiciaire (bulletin n°3) vu" in html
    assert "un agent valide votre candidature" in html


@pytest.mark.parametrize("status, reason, expected", [
    (VolunteerStatus.APPLIED, None, "va vous appeler pour convenir d'un entretien"),
    (VolunteerStatus.APPROVED, None, "Votre candidature est validée"),
    (VolunteerStatus.REJECTED, "Pas de disponibilité réelle", "Pas de disponibilité réelle"),
    (VolunteerStatus.SUSPENDED, "Plainte en cours d'examen", "Votre participation est suspendue"),
    (VolunteerStatus.LEFT, None, "Vous avez quitté le service"),
])
def test_each_state_is_explained_in_plain_words(client, applicant, status, reason, expected):
    user, password = applicant
    user.volunteer_profile.status = status
    user.volunteer_profile.status_reason = reason
    db.session.commit()
    client.login(user, password)
    html = text(client.get("/benevole/"))
    assert expected in html
    if status is VolunteerStatus.REJECTED:
        assert "Votre candidature n'a pas été retenue" in html


def test_an_approved_volunteer_is_told_when_a_step_expired(vclient, volunteer, agent):
    profile = volunteer[0].volunteer_profile
    db.session.add(VettingStep(volunteer_id=profile.id, kind=VettingKind.CRIMINAL_RECORD,
                               done_on=paris_today() - timedelta(days=370),
                               expires_on=paris_today() - timedelta(days=5),
                               recorded_by_id=agent[0].id, created_at=utcnow()))
    db.session.commit()
    html = text(vclient.get("/benevole/"))
    assert "À renouveler" in html and "Expiré" in html


# --- Proposals -------------------------------------------------------------------------------

def test_a_proposal_shows_what_helps_decide_and_never_the_contact(vclient, proposal):
    html = text(vclient.get(f"/benevole/binome/{proposal.id}"))
    resident = proposal.resident
    assert resident.user.first_name in html
    assert "Pau" in html  # neighbourhood label
    assert "Discussion à domicile" in html
    assert "Lundi matin" in html  # the one shared slot
    assert "Lecture" in html  # the shared interest
    assert "Pourquoi cette proposition" in html and "Proximité" in html
    assert_no_contact(html, resident)


def test_the_home_lists_the_proposal_without_the_contact(vclient, proposal):
    html = text(vclient.get("/benevole/"))
    assert "Propositions à étudier" in html and "Jeanne" in html and "Lundi matin" in html
    assert_no_contact(html, proposal.resident)


def test_a_proposal_no_agent_approved_is_not_found(vclient, place, volunteer):
    factories.make_resident(place.nb_a)
    matching.run_matching(place.territory_a)
    db.session.commit()
    match = db.session.scalar(select(Match))
    assert match.status is S.PROPOSED
    assert vclient.get(f"/benevole/binome/{match.id}").status_code == 404
    assert "Jeanne" not in text(vclient.get("/benevole/"))


def test_accepting_shows_the_address_and_the_phone(vclient, proposal):
    response = vclient.post_form(f"/benevole/binome/{proposal.id}/accepter",
                                 page=f"/benevole/binome/{proposal.id}")
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.status is S.ACTIVE
    html = text(vclient.get(f"/benevole/binome/{proposal.id}"))
    assert ADDRESS in html and "06 12 34 56 78" in html and 'href="tel:+33612345678"' in html
    assert "Planifier une visite" in html


def test_a_post_without_its_csrf_token_changes_nothing(vclient, proposal):
    response = vclient.post(f"/benevole/binome/{proposal.id}/accepter")
    assert response.status_code == 302  # back to the page, with a message
    db.session.refresh(proposal)
    assert proposal.status is S.APPROVED


def test_accepting_twice_says_so_plainly(vclient, proposal):
    url = f"/benevole/binome/{proposal.id}"
    assert vclient.post_form(f"{url}/accepter", page=url).status_code == 302
    response = vclient.post_form(f"{url}/accepter", page=url)
    assert response.status_code == 422
    assert "Vous avez déjà accepté cette mise en relation" in text(response)


def test_another_volunteers_proposal_is_not_found(client, place, proposal):
    other, password = factories.make_volunteer(place.nb_a, first="Luc")
    client.login(other, password)
    url = f"/benevole/binome/{proposal.id}"
    assert client.get(url).status_code == 404
    assert client.post_form(f"{url}/accepter", page="/benevole/").status_code == 404
    assert client.post_form(f"{url}/decliner", {"reason": "too_far"}, page="/benevole/").status_code == 404
    db.session.refresh(proposal)
    assert proposal.status is S.APPROVED


def test_declining_needs_a_reason_and_keeps_the_input(vclient, proposal):
    url = f"/benevole/binome/{proposal.id}/decliner"
    response = vclient.post_form(url, {"detail": "Je pars en mai"})
    assert response.status_code == 422
    html = text(response)
    assert "Choisissez une raison" in html and "Je pars en mai" in html
    response = vclient.post_form(url, {"reason": "other"})
    assert response.status_code == 422 and "Dites en quelques mots" in text(response)
    assert vclient.post_form(url, {"reason": "too_far", "detail": "20 minutes de bus"}).status_code == 302
    db.session.refresh(proposal)
    assert proposal.status is S.DECLINED
    assert proposal.status_reason == "C'est trop loin de chez moi — 20 minutes de bus"


def test_a_declined_proposal_cannot_be_accepted_afterwards(vclient, proposal):
    vclient.post_form(f"/benevole/binome/{proposal.id}/decliner", {"reason": "schedule"})
    url = f"/benevole/binome/{proposal.id}"
    response = vclient.post_form(f"{url}/accepter", page=url)
    assert response.status_code == 422 and "Vous avez décliné cette proposition" in text(response)


# --- An active pair --------------------------------------------------------------------------

def test_the_home_lists_current_pairs_with_their_next_visit_and_visits_to_log(vclient, active, volunteer):
    monday = paris_day(0)
    visits.schedule(active, volunteer[0], at_paris(monday, 10).replace(tzinfo=None))
    past_visit(active)
    db.session.commit()
    html = text(vclient.get("/benevole/"))
    assert "Mes binômes" in html and "Jeanne" in html
    assert "10:00 – 11:00" in html
    assert "1 visite à noter" in html
    assert ADDRESS not in html  # the home page lists; the pair page gives the contact


def test_the_home_page_runs_the_same_few_queries_however_many_pairs(client, place, agent):
    def queries_for(client) -> int:
        count = 0

        def count_it(*args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", count_it)
        try:
            assert client.get("/benevole/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count_it)
        return count

    user, password = factories.make_volunteer(place.nb_a)
    user.volunteer_profile.capacity = 5
    db.session.commit()
    factories.make_resident(place.nb_a, first="Alice")
    matching.run_matching(place.territory_a)
    for match in db.session.scalars(select(Match)).all():
        pairs.approve(match, agent[0])
        pairs.accept(match, user)
    db.session.commit()
    client.login(user, password)
    one = queries_for(client)
    for first in ("Berthe", "Charles", "Denise"):
        factories.make_resident(place.nb_a, first=first)
    matching.run_matching(place.territory_a)
    for match in db.session.scalars(select(Match).where(Match.status == S.PROPOSED)).all():
        pairs.approve(match, agent[0])
        pairs.accept(match, user)
    db.session.commit()
    for match in db.session.scalars(select(Match)).all():
        visits.schedule(match, user, at_paris(paris_day(0), 10).replace(tzinfo=None))
        past_visit(match)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Match).where(Match.status == S.ACTIVE)) == 4
    assert queries_for(client) == one


def test_scheduling_a_one_off_visit_in_paris_time(vclient, active):
    monday = paris_day(0)
    response = vclient.post_form(f"/benevole/binome/{active.id}/visites/nouvelle", {
        "starts_on": monday.isoformat(), "starts_at": "10:30", "duration": "90", "weeks": "1"})
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.starts_at == at_paris(monday, 10, 30)
    assert visit.duration_minutes == 90 and visit.series_id is None
    html = text(vclient.get(f"/benevole/binome/{active.id}"))
    assert "10:30 – 12:00" in html


def test_scheduling_a_weekly_series(vclient, active):
    monday = paris_day(0)
    response = vclient.post_form(f"/benevole/binome/{active.id}/visites/nouvelle", {
        "starts_on": monday.isoformat(), "starts_at": "09:00", "duration": "60", "weeks": "4"})
    assert response.status_code == 302
    planned = db.session.scalars(select(Visit).order_by(Visit.starts_at)).all()
    assert len(planned) == 4 and len({v.series_id for v in planned}) == 1
    # Every one at 09:00 Paris time, even across a change of daylight saving time.
    assert [v.starts_at.astimezone(PARIS).hour for v in planned] == [9, 9, 9, 9]
    assert [v.starts_at.astimezone(PARIS).date() for v in planned] == [
        monday + timedelta(weeks=n) for n in range(4)]


def test_the_schedule_page_offers_sensible_times_and_the_shared_slots(vclient, active):
    html = text(vclient.get(f"/benevole/binome/{active.id}/visites/nouvelle"))
    assert 'type="date"' in html and "Lundi matin" in html
    for offered in ("09:00", "11:30", "14:00", "17:30", "18:00", "20:00"):
        assert f'value="{offered}"' in html
    for refused in ("08:30", "12:00", "13:30", "20:30"):
        assert f'value="{refused}"' not in html


def test_a_moment_that_is_not_shared_is_refused_and_the_input_kept(vclient, active):
    tuesday = paris_day(1)
    response = vclient.post_form(f"/benevole/binome/{active.id}/visites/nouvelle", {
        "starts_on": tuesday.isoformat(), "starts_at": "10:00", "duration": "120", "weeks": "3"})
    assert response.status_code == 422
    html = text(response)
    assert "n'est pas un moment libre en commun" in html
    assert f'value="{tuesday.isoformat()}"' in html
    assert '<option selected value="10:00">' in html or 'value="10:00" selected' in html
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_date_in_the_past_is_refused_next_to_the_date(vclient, active):
    last_monday = paris_day(0) - timedelta(weeks=2)
    response = vclient.post_form(f"/benevole/binome/{active.id}/visites/nouvelle", {
        "starts_on": last_monday.isoformat(), "starts_at": "10:00", "duration": "60", "weeks": "1"})
    assert response.status_code == 422
    html = text(response)
    assert 'id="starts_on-error"' in html and "Choisissez une date à venir" in html
    assert f'value="{last_monday.isoformat()}"' in html


def test_a_missing_or_malformed_date_is_a_message_not_a_crash(vclient, active):
    url = f"/benevole/binome/{active.id}/visites/nouvelle"
    for bad in ("", "31/02/2030", "demain"):
        response = vclient.post_form(url, {"starts_on": bad, "starts_at": "10:00",
                                           "duration": "60", "weeks": "1"})
        assert response.status_code == 422 and 'id="starts_on-error"' in text(response)
    response = vclient.post_form(url, {"starts_on": paris_day(0).isoformat(), "starts_at": "03:00",
                                       "duration": "45", "weeks": "40"})
    assert response.status_code == 422
    assert all(f'id="{name}-error"' in text(response) for name in ("starts_at", "duration", "weeks"))


def test_a_paused_pair_takes_no_visit(vclient, active, volunteer):
    pairs.pause(active, volunteer[0], "vacances")
    db.session.commit()
    response = vclient.post_form(f"/benevole/binome/{active.id}/visites/nouvelle", {
        "starts_on": paris_day(0).isoformat(), "starts_at": "10:00", "duration": "60", "weeks": "1"})
    assert response.status_code == 422
    assert "seulement avec une mise en relation active" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_proposal_takes_no_visit(vclient, proposal):
    response = vclient.get(f"/benevole/binome/{proposal.id}/visites/nouvelle")
    assert response.status_code == 302
    assert "pas encore accepté" in text(vclient.get(response.headers["Location"]))


# --- Cancelling and noting visits ------------------------------------------------------------

def test_cancelling_a_visit_to_come_needs_a_reason(vclient, active, volunteer):
    visit, = visits.schedule(active, volunteer[0], at_paris(paris_day(0), 10).replace(tzinfo=None))
    db.session.commit()
    url = f"/benevole/visites/{visit.id}/annuler"
    response = vclient.post_form(url, {"reason": ""})
    assert response.status_code == 422 and "Ce champ est obligatoire" in text(response)
    assert vclient.post_form(url, {"reason": "Je suis malade"}).status_code == 302
    db.session.refresh(visit)
    assert visit.status is VisitStatus.CANCELLED and visit.cancel_reason == "Je suis malade"


def test_a_past_visit_cannot_be_cancelled(vclient, active):
    visit = past_visit(active)
    url = f"/benevole/visites/{visit.id}/annuler"
    assert "Cette visite est passée" in text(vclient.get(url))
    response = vclient.post_form(url, {"reason": "oubli"})
    assert response.status_code == 422 and "Cette visite est passée" in text(response)
    db.session.refresh(visit)
    assert visit.status is VisitStatus.SCHEDULED


def test_logging_a_visit_that_took_place(vclient, active):
    visit = past_visit(active)
    html = text(vclient.get(f"/benevole/binome/{active.id}"))
    assert "Visites à noter" in html and f"/benevole/visites/{visit.id}/compte-rendu" in html
    page = text(vclient.get(f"/benevole/visites/{visit.id}/compte-rendu"))
    assert "aucun détail médical" in page and "Seuls les agents" in page
    response = vclient.post_form(f"/benevole/visites/{visit.id}/compte-rendu",
                                 {"outcome": "done", "mood": "good", "note": "Partie de cartes."})
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.status is VisitStatus.DONE
    assert visit.log.mood.value == "good" and visit.log.note == "Partie de cartes."


def test_the_mood_is_required_when_the_visit_took_place(vclient, active):
    visit = past_visit(active)
    response = vclient.post_form(f"/benevole/visites/{visit.id}/compte-rendu",
                                 {"outcome": "done", "note": "Bonne visite"})
    assert response.status_code == 422
    html = text(response)
    assert "Dites comment allait la personne" in html and "Bonne visite" in html
    db.session.refresh(visit)
    assert visit.status is VisitStatus.SCHEDULED


def test_the_mood_is_ignored_when_the_visit_was_missed(vclient, active):
    visit = past_visit(active)
    response = vclient.post_form(f"/benevole/visites/{visit.id}/compte-rendu",
                                 {"outcome": "missed", "mood": "worrying"})
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.status is VisitStatus.MISSED and visit.log.mood is None
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_a_note_is_short(vclient, active):
    visit = past_visit(active)
    response = vclient.post_form(f"/benevole/visites/{visit.id}/compte-rendu",
                                 {"outcome": "done", "mood": "fair", "note": "x" * 1001})
    assert response.status_code == 422 and "au plus 1000 caractères" in text(response)


def test_a_visit_to_come_cannot_be_logged(vclient, active, volunteer):
    visit, = visits.schedule(active, volunteer[0], at_paris(paris_day(0), 10).replace(tzinfo=None))
    db.session.commit()
    url = f"/benevole/visites/{visit.id}/compte-rendu"
    assert "pas encore eu lieu" in text(vclient.get(url))
    response = vclient.post_form(url, {"outcome": "done", "mood": "good"})
    assert response.status_code == 422 and "après avoir eu lieu" in text(response)
    db.session.refresh(visit)
    assert visit.status is VisitStatus.SCHEDULED and visit.log is None


def test_a_worrying_visit_alerts_the_agents_and_says_so(vclient, active):
    visit = past_visit(active)
    response = vclient.post_form(f"/benevole/visites/{visit.id}/compte-rendu",
                                 {"outcome": "done", "mood": "worrying", "note": "Très fatiguée"},
                                 follow_redirects=True)
    assert response.status_code == 200
    assert "Les agents de la collectivité ont été prévenus" in text(response)
    concern = db.session.scalar(select(Concern))
    assert concern.source is ConcernSource.VISIT_LOG and concern.visit_id == visit.id


def test_a_visit_already_logged_is_not_logged_twice(vclient, active):
    visit = past_visit(active)
    url = f"/benevole/visites/{visit.id}/compte-rendu"
    assert vclient.post_form(url, {"outcome": "missed"}).status_code == 302
    response = vclient.get(url)
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(VisitLog)) == 1


def test_another_volunteers_visits_are_not_found(client, place, active):
    visit = past_visit(active)
    other, password = factories.make_volunteer(place.nb_a, first="Luc")
    client.login(other, password)
    assert client.get(f"/benevole/visites/{visit.id}/compte-rendu").status_code == 404
    assert client.get(f"/benevole/visites/{visit.id}/annuler").status_code == 404
    assert client.get(f"/benevole/binome/{active.id}/visites/nouvelle").status_code == 404
    assert client.get(f"/benevole/binome/{active.id}/alerte").status_code == 404


# --- Pause, resume, end ----------------------------------------------------------------------

def test_pausing_asks_for_confirmation_then_resuming(vclient, active, volunteer):
    visit, = visits.schedule(active, volunteer[0], at_paris(paris_day(0), 10).replace(tzinfo=None))
    db.session.commit()
    url = f"/benevole/binome/{active.id}/pause"
    page = text(vclient.get(url))
    assert "Êtes-vous sûr·e ?" in page and 'method="post"' in page
    assert vclient.post_form(url, {"reason": ""}).status_code == 422
    assert vclient.post_form(url, {"reason": "Vacances en août"}).status_code == 302
    db.session.refresh(active)
    db.session.refresh(visit)
    assert active.status is S.PAUSED and active.status_reason == "Vacances en août"
    assert visit.status is VisitStatus.CANCELLED
    html = text(vclient.get(f"/benevole/binome/{active.id}"))
    assert "En pause" in html and ADDRESS in html  # still accepted: the contact stays
    response = vclient.post_form(f"/benevole/binome/{active.id}/reprendre",
                                 page=f"/benevole/binome/{active.id}")
    assert response.status_code == 302
    db.session.refresh(active)
    assert active.status is S.ACTIVE


def test_resuming_an_active_pair_is_a_clear_refusal(vclient, active):
    url = f"/benevole/binome/{active.id}"
    response = vclient.post_form(f"{url}/reprendre", page=url)
    assert response.status_code == 422 and "déjà accepté" in text(response)


def test_ending_asks_for_confirmation_and_hides_the_contact(vclient, active):
    url = f"/benevole/binome/{active.id}/fin"
    page = text(vclient.get(url))
    assert "Êtes-vous sûr·e ?" in page and "Oui, mettre fin au binôme" in page
    assert vclient.post_form(url, {"reason": "Je déménage"}).status_code == 302
    db.session.refresh(active)
    assert active.status is S.ENDED
    html = text(vclient.get(f"/benevole/binome/{active.id}"))
    assert "Jeanne" in html and "Binôme terminé" in html
    assert_no_contact(html, active.resident)
    home = text(vclient.get("/benevole/"))
    assert "Binômes terminés" in home and "Jeanne" in home
    assert_no_contact(home, active.resident)
    assert vclient.get(url).status_code == 302  # nothing left to end


def test_after_the_service_ends_a_pair_the_page_no_longer_shows_the_contact(vclient, active, agent):
    url = f"/benevole/binome/{active.id}"
    assert ADDRESS in text(vclient.get(url))
    pairs.end(active, agent[0], "fin décidée par un agent")
    db.session.commit()
    html = text(vclient.get(url))
    assert ADDRESS not in html
    for phone in PHONES:
        assert phone not in html


# --- Concerns --------------------------------------------------------------------------------

def test_raising_a_concern_makes_a_concern_for_the_agents(vclient, active, volunteer):
    url = f"/benevole/binome/{active.id}/alerte"
    page = text(vclient.get(url))
    assert "15" in page and "112" in page and "Urgent (sous 24 heures)" in page
    response = vclient.post_form(url, {"description": "", "severity": "high"})
    assert response.status_code == 422 and "Ce champ est obligatoire" in text(response)
    response = vclient.post_form(url, {"description": "Elle ne mange plus.", "severity": "high"})
    assert response.status_code == 302
    concern = db.session.scalar(select(Concern))
    assert concern.source is ConcernSource.VOLUNTEER and concern.severity is Severity.HIGH
    assert concern.resident_id == active.resident_id and concern.match_id == active.id
    assert concern.raised_by_id == volunteer[0].id and concern.description == "Elle ne mange plus."


def test_a_concern_may_follow_an_ended_pair(vclient, active, agent):
    pairs.end(active, agent[0], "fin")
    db.session.commit()
    response = vclient.post_form(f"/benevole/binome/{active.id}/alerte",
                                 {"description": "Je l'ai croisée, elle semblait perdue.",
                                  "severity": "medium"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 1


def test_no_concern_before_the_pair_is_accepted(vclient, proposal):
    response = vclient.post_form(f"/benevole/binome/{proposal.id}/alerte",
                                 {"description": "?", "severity": "low"}, page="/benevole/")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_an_unknown_severity_is_refused(vclient, active):
    response = vclient.post_form(f"/benevole/binome/{active.id}/alerte",
                                 {"description": "Inquiet", "severity": "extreme"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


# --- Every page, in both languages -----------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_volunteer_page_renders(vclient, active, lang):
    visit = past_visit(active)
    vclient.set_cookie("lang", lang, domain="voisinage.test")
    for url in ("/benevole/", f"/benevole/binome/{active.id}", f"/benevole/binome/{active.id}/pause",
                f"/benevole/binome/{active.id}/fin", f"/benevole/binome/{active.id}/visites/nouvelle",
                f"/benevole/binome/{active.id}/alerte", f"/benevole/visites/{visit.id}/compte-rendu",
                f"/benevole/visites/{visit.id}/annuler", "/benevole/agenda"):
        response = vclient.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in text(response)
