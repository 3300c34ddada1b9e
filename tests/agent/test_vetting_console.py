"""Agent console, vetting: the queues (to vet, expired and expiring steps), the record with its five
steps, recording a step, and the decisions with their refusals; scoped to the agent's territory."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AuditEntry,
    Match,
    MatchStatus,
    OutboxMessage,
    VettingKind,
    VettingStep,
    VolunteerStatus,
    paris_today,
    utcnow,
)
from app.services import vetting
from tests import factories
from tests.agent.test_residents import count_queries

TODAY = paris_today()


def profile(user):
    """The volunteer profile of a user (fresh from the database)."""
    db.session.refresh(user.volunteer_profile)
    return user.volunteer_profile


def step(user, kind: VettingKind, done: date | None = None, expires: date | None = None) -> VettingStep:
    """A recorded step."""
    row = VettingStep(volunteer_id=user.volunteer_profile.id, kind=kind, done_on=done or TODAY - timedelta(days=10),
                      expires_on=expires, created_at=utcnow(), detail="vu")
    db.session.add(row)
    db.session.commit()
    return row


def all_steps(user, record_expires: date | None = None) -> None:
    """Every step done and valid (the charter counts from sign-up)."""
    for kind in (VettingKind.IDENTITY, VettingKind.INTERVIEW, VettingKind.TRAINING):
        step(user, kind)
    step(user, VettingKind.CRIMINAL_RECORD, expires=record_expires or TODAY + timedelta(days=300))


def names_in(page: str) -> list[str]:
    """The first names of the list's rows, in order."""
    return [n.split()[-1] for n in re.findall(
        r'<th scope="row" data-label="Nom"><a href="/agent/benevoles/[^"]+">([^<]+)</a>', page)]


def actions(name: str) -> list[AuditEntry]:
    """Audit entries of an action."""
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == name)))


@pytest.fixture
def people(place):
    """Volunteers of territory A in every situation, and one of territory B."""
    made = {}
    made["applied"], _ = factories.make_volunteer(place.nb_a, approved=False, first="Apolline")
    made["review"], _ = factories.make_volunteer(place.nb_a, approved=False, first="Romain")
    step(made["review"], VettingKind.IDENTITY)
    profile(made["review"]).status = VolunteerStatus.IN_REVIEW
    made["valid"], _ = factories.make_volunteer(place.nb_a, first="Valentin")
    all_steps(made["valid"])
    made["expired"], _ = factories.make_volunteer(place.nb_a, first="Eric")
    all_steps(made["expired"], record_expires=TODAY - timedelta(days=2))
    made["soon"], _ = factories.make_volunteer(place.nb_a, first="Sonia")
    all_steps(made["soon"], record_expires=TODAY + timedelta(days=12))
    made["suspended"], _ = factories.make_volunteer(place.nb_a, first="Suzanne")
    profile(made["suspended"]).status = VolunteerStatus.SUSPENDED
    made["left"], _ = factories.make_volunteer(place.nb_a, first="Lea")
    profile(made["left"]).status = VolunteerStatus.LEFT
    made["other"], _ = factories.make_volunteer(place.nb_b, approved=False, first="Bastien")
    db.session.commit()
    return made


def test_the_default_queue_holds_applications_and_expired_steps(client, place, agent, people):
    client.login(*agent)
    response = client.get("/agent/benevoles")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # Approved volunteers with an expired step first, then applications, oldest first.
    assert names_in(page) == ["Eric", "Apolline", "Romain"]
    assert "étape expirée le" in page
    assert "Bastien" not in page


@pytest.mark.parametrize("queue, expected", [
    ("a-verifier", ["Apolline", "Romain"]),
    ("valides", ["Eric", "Sonia", "Valentin"]),
    ("suspendus", ["Suzanne"]),
    ("expiration", ["Eric", "Sonia"]),
    ("non-retenus", ["Lea"]),
])
def test_each_queue(client, place, agent, people, queue, expected):
    client.login(*agent)
    page = client.get("/agent/benevoles", query_string={"file": queue}).get_data(as_text=True)
    assert sorted(names_in(page)) == sorted(expected)


def test_queue_counts_and_step_counts(client, place, agent, people):
    client.login(*agent)
    page = client.get("/agent/benevoles", query_string={"file": "tous"}).get_data(as_text=True)
    assert len(names_in(page)) == 7
    assert re.search(r'Tous <span class="count">7</span>', page)
    assert re.search(r'Suspendu·es <span class="count">1</span>', page)
    # Valentin: the charter from sign-up and four recorded steps; Eric: one has expired.
    row = page[page.index("Valentin"):]
    assert "5 sur 5" in row[:1500]
    row = page[page.index("Eric"):]
    assert "4 sur 5" in row[:1500]
    assert "expire le" in page  # Sonia's extract expires within 30 days


def test_search_and_other_territories(client, place, agent, other_agent, admin, people):
    client.login(*agent)
    page = client.get("/agent/benevoles", query_string={"file": "tous", "q": "VALENTIN"}).get_data(as_text=True)
    assert names_in(page) == ["Valentin"]
    assert client.get("/agent/benevoles", query_string={"q": "Bastien", "file": "tous"}).get_data(as_text=True).count("Bastien</a>") == 0
    client.logout()
    client.login(*other_agent)
    page = client.get("/agent/benevoles", query_string={"file": "tous"}).get_data(as_text=True)
    assert names_in(page) == ["Bastien"]
    client.logout()
    client.login(*admin)
    page = client.get("/agent/benevoles", query_string={"file": "tous"}).get_data(as_text=True)
    assert len(names_in(page)) == 8


@pytest.mark.parametrize("args", [{"file": "nope"}, {"page": "x"}, {"q": "\x00"}])
def test_bad_list_arguments_answer_422(client, place, agent, people, args):
    client.login(*agent)
    response = client.get("/agent/benevoles", query_string=args)
    assert response.status_code == 422


def test_the_list_costs_the_same_queries_for_3_or_25_volunteers(client, place, agent):
    client.login(*agent)
    made = []
    for i in range(3):
        user, _ = factories.make_volunteer(place.nb_a, approved=False, first=f"Small{i}")
        step(user, VettingKind.IDENTITY)
        made.append(user)
    with count_queries() as small:
        page = client.get("/agent/benevoles").get_data(as_text=True)
    assert len(names_in(page)) == 3
    for i in range(25):
        user, _ = factories.make_volunteer(place.nb_a, approved=False, first=f"Many{i}")
        step(user, VettingKind.INTERVIEW)
        step(user, VettingKind.CRIMINAL_RECORD, expires=TODAY + timedelta(days=5))
    with count_queries() as full:
        page = client.get("/agent/benevoles").get_data(as_text=True)
    assert len(names_in(page)) == 25 and "Page 1 sur 2" in page
    assert small["n"] == full["n"], (small, full)


# The summary kept on the profile ------------------------------------------------------------------

def test_next_expiry_follows_the_latest_step_of_each_kind(place, agent):
    user, _ = factories.make_volunteer(place.nb_a, approved=False)
    assert profile(user).next_expiry is None
    step(user, VettingKind.IDENTITY)  # no expiry
    assert profile(user).next_expiry is None
    old = step(user, VettingKind.CRIMINAL_RECORD, done=TODAY - timedelta(days=400),
               expires=TODAY - timedelta(days=35))
    assert profile(user).next_expiry == TODAY - timedelta(days=35)
    # Renewed through the service: the new extract replaces the expired one.
    renewed = vetting.record_step(profile(user), VettingKind.CRIMINAL_RECORD, agent[0],
                                  done_on=TODAY - timedelta(days=1))
    db.session.commit()
    assert profile(user).next_expiry == renewed.expires_on > TODAY
    # An earlier expiry of another kind is the next one.
    step(user, VettingKind.TRAINING, expires=TODAY + timedelta(days=20))
    assert profile(user).next_expiry == TODAY + timedelta(days=20)
    # A step removed: the summary is computed again from what is left.
    db.session.delete(db.session.get(VettingStep, renewed.id))
    db.session.commit()
    assert profile(user).next_expiry == old.expires_on


def test_the_migration_fills_the_summary_as_the_flush_keeps_it(place, people):
    import importlib.util

    from sqlalchemy import text, update

    from app.models import VolunteerProfile
    from config import BASE_DIR

    kept = dict(db.session.execute(
        select(VolunteerProfile.id, VolunteerProfile.next_expiry)).tuples().all())
    assert any(kept.values())
    path = BASE_DIR / "migrations" / "versions" / "0005_volunteer_next_expiry.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.execute(update(VolunteerProfile).values(next_expiry=None))
    db.session.execute(text(migration.BACKFILL))
    db.session.commit()
    assert dict(db.session.execute(
        select(VolunteerProfile.id, VolunteerProfile.next_expiry)).tuples().all()) == kept


# The record -------------------------------------------------------------------------------------

def test_the_record_shows_the_five_steps_and_is_audited(client, place, agent, people):
    user = people["expired"]
    user.volunteer_profile.calendar_token = "secret-calendar-token-42"
    db.session.commit()
    client.login(*agent)
    response = client.get(f"/agent/benevoles/{user.volunteer_profile.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for label in ("Charte acceptée", "Identité vérifiée", "bulletin n°3", "Entretien", "Formation suivie"):
        assert label in page
    assert "expirée" in page and "en ligne, à la candidature" in page
    assert "Enregistrer une étape" in page
    assert "Suspendre" in page  # an approved volunteer may be suspended
    assert user.email in page and "06 12 34 56 78" in page
    assert 'class="availability-grid availability-read"' in page
    assert "secret-calendar-token-42" not in page
    [entry] = actions("volunteer.view")
    assert entry.territory_id == place.territory_a.id and entry.actor_id == agent[0].id


ENDPOINTS = ["/etapes", "/valider", "/refuser", "/suspendre", "/reintegrer", "/depart"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_other_territory_volunteer_is_404_on_every_action(client, place, other_agent, people, path):
    user = people["valid"]
    client.login(*other_agent)
    assert client.get(f"/agent/benevoles/{user.volunteer_profile.id}").status_code == 404
    response = client.post_form(f"/agent/benevoles/{user.volunteer_profile.id}{path}",
                                {"reject-reason": "x", "suspend-reason": "x", "step-kind": "interview",
                                 "step-done_on": TODAY.isoformat()}, page="/agent/benevoles")
    assert response.status_code == 404
    assert profile(user).status is VolunteerStatus.APPROVED
    assert actions("volunteer.view") == []


def test_an_unknown_volunteer_is_404(client, place, agent):
    client.login(*agent)
    assert client.get(f"/agent/benevoles/{uuid.uuid4()}").status_code == 404


def _post(client, user, path, data):
    return client.post_form(f"/agent/benevoles/{user.volunteer_profile.id}{path}", data,
                            page=f"/agent/benevoles/{user.volunteer_profile.id}")


def test_record_a_step_moves_an_application_into_review(client, place, agent, applicant):
    user = applicant[0]
    client.login(*agent)
    done = TODAY - timedelta(days=3)
    response = _post(client, user, "/etapes", {"step-kind": "criminal_record",
                                               "step-done_on": done.strftime("%d/%m/%Y"),
                                               "step-detail": "bulletin n°3 vu"})
    assert response.status_code == 303
    row = db.session.scalar(select(VettingStep).where(VettingStep.volunteer_id == user.volunteer_profile.id))
    assert row.kind is VettingKind.CRIMINAL_RECORD and row.done_on == done
    assert row.expires_on == done + timedelta(days=365)  # the service's default validity
    assert row.recorded_by_id == agent[0].id and row.detail == "bulletin n°3 vu"
    assert profile(user).status is VolunteerStatus.IN_REVIEW
    assert actions("vetting.step") and actions("vetting.start_review")
    page = client.get(response.location).get_data(as_text=True)
    assert "bulletin n°3 vu" in page and agent[0].full_name in page


@pytest.mark.parametrize("data, field", [
    ({"step-kind": "interview", "step-done_on": (TODAY + timedelta(days=1)).isoformat()}, "step-done_on"),
    ({"step-kind": "interview", "step-done_on": "32/13/2026"}, "step-done_on"),
    ({"step-kind": "", "step-done_on": TODAY.isoformat()}, "step-kind"),
    ({"step-kind": "passport", "step-done_on": TODAY.isoformat()}, "step-kind"),
    ({"step-kind": "interview", "step-done_on": TODAY.isoformat(),
      "step-expires_on": (TODAY - timedelta(days=5)).isoformat()}, "step-expires_on"),
    ({"step-kind": "interview", "step-done_on": TODAY.isoformat(), "step-detail": "x" * 300}, "step-detail"),
])
def test_a_bad_step_is_refused_next_to_its_field(client, place, agent, applicant, data, field):
    user = applicant[0]
    client.login(*agent)
    response = _post(client, user, "/etapes", {**data})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page
    assert db.session.scalar(select(VettingStep).where(VettingStep.volunteer_id == user.volunteer_profile.id)) is None
    if data.get("step-detail"):
        assert 'value="' + "x" * 300 + '"' in page  # what was typed is kept


def test_approve_is_refused_with_the_missing_steps(client, place, agent, applicant):
    user = applicant[0]
    step(user, VettingKind.IDENTITY)
    client.login(*agent)
    response = _post(client, user, "/valider", {})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Il manque encore" in page
    assert "entretien" in page and "formation suivie" in page
    assert profile(user).status is VolunteerStatus.APPLIED


def test_approve_when_every_step_is_valid(client, place, agent, applicant):
    user = applicant[0]
    all_steps(user)
    client.login(*agent)
    response = _post(client, user, "/valider", {})
    assert response.status_code == 303
    assert profile(user).status is VolunteerStatus.APPROVED
    assert profile(user).status_changed_by_id == agent[0].id
    assert actions("vetting.approve")
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                         OutboxMessage.kind == "vetting_decision"))


def test_approve_twice_is_refused_not_an_error(client, place, agent, volunteer):
    client.login(*agent)
    response = _post(client, volunteer[0], "/valider", {})
    assert response.status_code == 422
    assert "pas possible dans l&#39;état actuel" in response.get_data(as_text=True) or \
        "pas possible dans l'état actuel" in response.get_data(as_text=True)


def test_reject_needs_a_reason(client, place, agent, applicant):
    user = applicant[0]
    client.login(*agent)
    response = _post(client, user, "/refuser", {"reject-reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="reject-reason-error"' in page
    assert "<details class=\"console-choice\" open>" in page  # the form is shown open
    assert profile(user).status is VolunteerStatus.APPLIED
    response = _post(client, user, "/refuser", {"reject-reason": "Pas de disponibilité réelle"})
    assert response.status_code == 303
    assert profile(user).status is VolunteerStatus.REJECTED
    assert profile(user).status_reason == "Pas de disponibilité réelle"
    assert actions("vetting.reject")


def test_suspend_needs_a_reason_and_closes_live_pairs(client, place, agent, volunteer):
    user = volunteer[0]
    resident, _ = factories.make_resident(place.nb_a)
    match = Match(resident_id=resident.resident_profile.id, volunteer_id=user.volunteer_profile.id,
                  status=MatchStatus.ACTIVE)
    db.session.add(match)
    db.session.commit()
    client.login(*agent)
    page = client.get(f"/agent/benevoles/{user.volunteer_profile.id}").get_data(as_text=True)
    assert resident.full_name in page  # the pair that a suspension would end
    response = _post(client, user, "/suspendre", {"suspend-reason": "   "})
    assert response.status_code == 422
    assert profile(user).status is VolunteerStatus.APPROVED
    response = _post(client, user, "/suspendre", {"suspend-reason": "Plainte d'une habitante"})
    assert response.status_code == 303
    assert profile(user).status is VolunteerStatus.SUSPENDED
    db.session.refresh(match)
    assert match.status is MatchStatus.ENDED
    assert actions("vetting.suspend")


def test_reinstate_needs_valid_steps(client, place, agent, volunteer):
    user = volunteer[0]
    profile(user).status = VolunteerStatus.SUSPENDED
    db.session.commit()
    client.login(*agent)
    response = _post(client, user, "/reintegrer", {})
    assert response.status_code == 422
    assert "expiré" in response.get_data(as_text=True)
    all_steps(user)
    response = _post(client, user, "/reintegrer", {})
    assert response.status_code == 303
    assert profile(user).status is VolunteerStatus.APPROVED


def test_mark_as_left(client, place, agent, volunteer):
    user = volunteer[0]
    client.login(*agent)
    response = _post(client, user, "/depart", {"leave-reason": ""})
    assert response.status_code == 303
    assert profile(user).status is VolunteerStatus.LEFT
    page = client.get(f"/agent/benevoles/{user.volunteer_profile.id}").get_data(as_text=True)
    assert "Aucune décision possible" in page


def test_admin_acts_on_any_territory(client, place, admin, people):
    user = people["other"]
    client.login(*admin)
    assert client.get(f"/agent/benevoles/{user.volunteer_profile.id}").status_code == 200
    response = _post(client, user, "/etapes", {"step-kind": "interview", "step-done_on": TODAY.isoformat()})
    assert response.status_code == 303
