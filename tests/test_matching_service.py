"""The matching service: database rows in, proposals with their explanation out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Match, MatchingRun, MatchStatus, VolunteerStatus, utcnow
from app.models.availability import mask_from_slots
from app.services import matching as service
from tests import factories


def _count(status=None):
    stmt = select(func.count()).select_from(Match)
    if status is not None:
        stmt = stmt.where(Match.status == status)
    return db.session.scalar(stmt)


def test_run_proposes_the_possible_pair_with_its_explanation(place):
    resident, _ = factories.make_resident(place.nb_a)
    volunteer, _ = factories.make_volunteer(place.nb_a)
    resident.resident_profile.waiting_since = utcnow() - timedelta(days=90)
    db.session.commit()

    run = service.run_matching(place.territory_a)
    db.session.commit()

    match = db.session.scalar(select(Match))
    assert run.matched == 1 and run.residents_considered == 1 and run.volunteers_considered == 1
    assert match.resident_id == resident.resident_profile.id
    assert match.volunteer_id == volunteer.volunteer_profile.id
    assert match.status is MatchStatus.PROPOSED
    # Same neighbourhood, 90 days, one shared slot (mon-am), one shared interest (reading).
    assert match.distance_km == 0
    assert match.part_waiting == 20.0
    assert match.part_distance == 25.0
    assert round(match.part_slots, 6) == round(20 / 3, 6)
    assert round(match.part_interests, 6) == 5.0
    assert round(match.score, 6) == round(20 + 25 + 20 / 3 + 5, 6)
    assert match.shared_slots == mask_from_slots(["mon-am"])
    assert match.shared_interests == ["reading"]


def test_only_approved_volunteers_with_free_capacity_are_proposed(place):
    factories.make_resident(place.nb_a)
    factories.make_resident(place.nb_a, first="Louise")
    applicant, _ = factories.make_volunteer(place.nb_a, approved=False)
    full, _ = factories.make_volunteer(place.nb_a, first="Marc")
    full.volunteer_profile.capacity = 1
    db.session.commit()

    service.run_matching(place.territory_a)
    db.session.commit()

    proposals = list(db.session.scalars(select(Match)))
    assert [m.volunteer_id for m in proposals] == [full.volunteer_profile.id]
    assert applicant.volunteer_profile.status is VolunteerStatus.APPLIED


def test_a_second_run_leaves_residents_with_a_live_pair_alone(place):
    factories.make_resident(place.nb_a)
    factories.make_volunteer(place.nb_a)
    service.run_matching(place.territory_a)
    service.run_matching(place.territory_a)
    db.session.commit()
    assert _count() == 1
    assert db.session.scalar(select(func.count()).select_from(MatchingRun)) == 2


def test_declined_pairs_are_never_proposed_again(place):
    factories.make_resident(place.nb_a)
    factories.make_volunteer(place.nb_a)
    service.run_matching(place.territory_a)
    match = db.session.scalar(select(Match))
    match.status = MatchStatus.DECLINED
    db.session.commit()

    run = service.run_matching(place.territory_a)
    db.session.commit()
    assert run.matched == 0
    assert _count(MatchStatus.PROPOSED) == 0


def test_each_territory_is_solved_on_its_own(place):
    factories.make_resident(place.nb_a)
    factories.make_volunteer(place.nb_b)  # Lescar is 7 km from Pau, within the 10 km reach
    run = service.run_matching(place.territory_a)
    db.session.commit()
    assert run.residents_considered == 1 and run.volunteers_considered == 0
    assert _count() == 0


def test_ranked_candidates_lists_every_possible_volunteer_best_first(place):
    resident, _ = factories.make_resident(place.nb_a)
    near, _ = factories.make_volunteer(place.nb_a, first="Proche")
    other, _ = factories.make_volunteer(place.nb_a, first="Autre")
    other.volunteer_profile.interests = []
    db.session.commit()

    ranked = service.ranked_candidates(resident.resident_profile)
    assert [p.volunteer for p in ranked] == [str(near.volunteer_profile.id),
                                             str(other.volunteer_profile.id)]
    assert ranked[0].score > ranked[1].score


def test_flask_match_run_reports_per_territory(runner, place):
    factories.make_resident(place.nb_a)
    factories.make_volunteer(place.nb_a)
    result = runner.invoke(args=["match", "run"])
    assert result.exit_code == 0, result.output
    assert "Territoire A: 1 pair(s) proposed" in result.output
    assert "Territoire B: 0 pair(s) proposed" in result.output


def test_flask_match_run_refuses_an_unknown_territory(runner, place):
    result = runner.invoke(args=["match", "run", "--territory", "Atlantide"])
    assert result.exit_code == 2
    assert "no territory named 'Atlantide'" in result.output


def test_the_public_page_shows_the_rules_and_the_weights_in_force(client, place):
    from app.models import Setting

    page = client.get("/comment-ca-marche").get_data(as_text=True)
    assert "note sur 100 points" in page and "40 × min(" in page
    db.session.add(Setting(key="matching_weights", value={"waiting": 50.0, "distance": 30.0},
                           updated_at=utcnow()))
    db.session.commit()
    page = client.get("/comment-ca-marche").get_data(as_text=True)
    assert "note sur 115 points" in page and "50 × min(" in page
