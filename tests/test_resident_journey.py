"""The resident's pages: the request's state in plain words, visits, pause, close, change, problems.

Data is built through the services (matching, approval, acceptance, scheduling), then every page
and action is driven through the test client like a browser would, CSRF token included.
"""

from __future__ import annotations

import html
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    PARIS,
    AuditEntry,
    Concern,
    ConcernSource,
    Gender,
    Match,
    MatchStatus,
    RequestStatus,
    ResidentProfile,
    Visit,
    VisitKind,
    VisitStatus,
    utcnow,
)
from app.models.availability import mask_from_slots
from app.services import matching, pairs, requests, visits
from app.services.errors import DomainError, InvalidTransition
from tests import factories

VOLUNTEER_FIRST = "Octave"
VOLUNTEER_LAST = "Secretnom"
VOLUNTEER_PHONE = "+33698765432"
VOLUNTEER_PHONE_SHOWN = "06 98 76 54 32"
#: An id no record has (fixed, so parallel workers collect the same tests).
UNKNOWN_ID = "0b5e7a52-2f1c-4d8e-9a61-3c2b7e4f9d10"


# Set-up -------------------------------------------------------------------------------------

@pytest.fixture
def helper(place):
    """(user, password) of an approved volunteer with a name, phone and e-mail we can look for."""
    user, password = factories.make_volunteer(place.nb_a, first=VOLUNTEER_FIRST)
    user.last_name, user.phone = VOLUNTEER_LAST, VOLUNTEER_PHONE
    db.session.commit()
    return user, password


@pytest.fixture
def signed_in(client, resident):
    """The test client, logged in as the resident; returns the resident's user."""
    user, password = resident
    client.login(user, password)
    return user


def propose(place) -> Match:
    """Run the matching of territory A; the resident gets a proposal."""
    matching.run_matching(place.territory_a)
    db.session.commit()
    match = db.session.scalar(select(Match).where(Match.status == MatchStatus.PROPOSED))
    assert match is not None
    return match


def make_pair(place, agent_user, volunteer_user, to: MatchStatus = MatchStatus.ACTIVE) -> Match:
    """A pair brought to ``to`` through the services."""
    match = propose(place)
    if to is not MatchStatus.PROPOSED:
        pairs.approve(match, agent_user)
    if to in (MatchStatus.ACTIVE, MatchStatus.PAUSED):
        pairs.accept(match, volunteer_user)
    if to is MatchStatus.PAUSED:
        pairs.pause(match, volunteer_user, "vacances")
    db.session.commit()
    assert match.status is to
    return match


def next_monday_10() -> datetime:
    """Next Monday at 10:00 Paris time (a slot both the resident and the volunteer share)."""
    today = datetime.now(PARIS).date()
    days = (7 - today.weekday()) % 7 or 7
    day = today + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 10, 0)


def plan_visit(match: Match, volunteer_user, weeks: int = 1) -> Visit:
    """A visit next Monday at 10:00, planned by the volunteer."""
    planned = visits.schedule(match, volunteer_user, next_monday_10(), weeks=weeks)
    db.session.commit()
    return planned[0]


def move_to_past(visit: Visit) -> None:
    """Give a visit a start two days ago (the service refuses to plan one in the past)."""
    db.session.execute(update(Visit).where(Visit.id == visit.id)
                       .values(starts_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    db.session.refresh(visit)


def page(client, url: str = "/habitant/") -> str:
    """A page's text, after checking it answered 200."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return text_of(response)


def text_of(response) -> str:
    """A response's HTML with entities decoded and no-break spaces as spaces, as a person reads it."""
    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ")


def follow(client, response) -> str:
    """The page a redirect leads to (where the flashed message is shown)."""
    assert response.status_code in (302, 303), response.status_code
    return page(client, response.headers["Location"])


def audit_actions(object_id) -> list[str]:
    """Actions written to the audit log about one record."""
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.at)))


def profile_of(user) -> ResidentProfile:
    db.session.expire_all()
    return db.session.scalar(select(ResidentProfile).where(ResidentProfile.user_id == user.id))


# Who may come in ----------------------------------------------------------------------------

def test_anonymous_visitor_is_sent_to_login(client, resident):
    response = client.get("/habitant/")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_other_roles_are_refused(client, helper):
    client.login(*helper)
    assert client.get("/habitant/").status_code == 403
    assert client.get("/habitant/mon-profil").status_code == 403


# The state, in plain words ------------------------------------------------------------------

def test_waiting_says_for_how_long_and_what_happens_next(client, signed_in):
    profile = profile_of(signed_in)
    profile.waiting_since = factories.days_ago(12)
    db.session.commit()
    text = page(client)
    assert "Vous attendez un·e bénévole depuis 12 jours." in text
    assert "nous vous appellerons dès qu'une personne est trouvée" in text


def test_waiting_since_today(client, signed_in):
    assert "Vous attendez un·e bénévole depuis aujourd'hui." in page(client)


def test_the_collectivite_phone_is_on_every_resident_page(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0])
    visit = plan_visit(match, helper[0])
    for url in ["/habitant/", "/habitant/mon-profil", "/habitant/pause", "/habitant/clore",
                "/habitant/signaler-un-probleme", f"/habitant/visites/{visit.id}/annuler",
                f"/habitant/mise-en-relation/{match.id}/changer"]:
        text = page(client, url)
        assert 'class="help-phone" href="tel:+33559000000"' in text, url


@pytest.mark.parametrize("status", [MatchStatus.PROPOSED, MatchStatus.APPROVED])
def test_proposed_says_a_volunteer_is_being_proposed_and_nothing_about_them(
        client, signed_in, place, agent, helper, status):
    make_pair(place, agent[0], helper[0], to=status)
    text = page(client)
    assert "Un·e bénévole vous est proposé·e." in text
    assert VOLUNTEER_FIRST not in text
    assert VOLUNTEER_PHONE_SHOWN not in text and VOLUNTEER_PHONE not in text
    assert "Demander un·e autre bénévole" not in text


def test_active_shows_first_name_phone_and_next_visits(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0])
    visit = plan_visit(match, helper[0], weeks=2)
    text = page(client)
    assert f"Votre bénévole : <strong>{VOLUNTEER_FIRST}</strong>" in text
    assert f'href="tel:{VOLUNTEER_PHONE}">{VOLUNTEER_PHONE_SHOWN}</a>' in text
    local = visit.starts_at.astimezone(PARIS)
    assert f"Lundi {local.day} " in text and "à 10 h, pendant 1 heure" in text
    assert text.count("Je confirme") == 2
    assert text.count("Annuler cette visite") == 2
    assert f"/habitant/visites/{visit.id}/confirmer" in text


def test_active_without_visits_says_the_volunteer_will_call(client, signed_in, place, agent, helper):
    make_pair(place, agent[0], helper[0])
    assert f"Aucune visite n'est prévue pour le moment. {VOLUNTEER_FIRST} vous appellera" in page(client)


def test_paused_pair_shows_the_volunteer_and_says_visits_are_paused(
        client, signed_in, place, agent, helper):
    make_pair(place, agent[0], helper[0], to=MatchStatus.PAUSED)
    text = page(client)
    assert f"Les visites de {VOLUNTEER_FIRST} sont en pause pour le moment." in text
    assert VOLUNTEER_PHONE_SHOWN in text
    assert "Demander un·e autre bénévole" in text


def test_paused_request_offers_to_resume(client, signed_in):
    requests.pause_request(profile_of(signed_in), signed_in)
    db.session.commit()
    text = page(client)
    assert "Votre demande est en pause" in text
    assert "Reprendre ma demande" in text
    assert "Mettre ma demande en pause" not in text


def test_closed_request_gives_the_phone_to_start_again(client, signed_in):
    requests.close_request(profile_of(signed_in), signed_in)
    db.session.commit()
    text = page(client)
    assert "Votre demande est close. Pour demander à nouveau des visites, appelez-nous au" in text
    assert "05 59 00 00 00" in text
    assert "Clore ma demande" not in text and "Modifier mes informations" not in text


# Who sees what (PRODUCT.md §3) --------------------------------------------------------------

def _reach(state: str, place, agent_user, volunteer_user, resident_user) -> None:
    if state == "waiting":
        return
    if state in ("proposed", "approved", "active", "pair_paused"):
        to = {"proposed": MatchStatus.PROPOSED, "approved": MatchStatus.APPROVED,
              "active": MatchStatus.ACTIVE, "pair_paused": MatchStatus.PAUSED}[state]
        match = make_pair(place, agent_user, volunteer_user, to=to)
        if to is MatchStatus.ACTIVE:
            plan_visit(match, volunteer_user)
        return
    match = make_pair(place, agent_user, volunteer_user)
    profile = profile_of(resident_user)
    if state == "ended":
        requests.ask_another_volunteer(profile, match, resident_user, "Pas d'entente")
    elif state == "paused":
        requests.pause_request(profile, resident_user)
    elif state == "closed":
        requests.close_request(profile, resident_user)
    db.session.commit()


@pytest.mark.parametrize("state,matched", [
    ("waiting", False), ("proposed", False), ("approved", False), ("active", True),
    ("pair_paused", True), ("ended", False), ("paused", False), ("closed", False),
])
def test_volunteer_details_shown_only_while_matched(client, signed_in, place, agent, helper,
                                                    state, matched):
    volunteer_user = helper[0]
    _reach(state, place, agent[0], volunteer_user, signed_in)
    pages = [page(client), page(client, "/habitant/signaler-un-probleme")]
    if state not in ("closed",):
        pages.append(page(client, "/habitant/mon-profil"))
    for text in pages:
        # Never: the last name, the e-mail, the volunteer's neighbourhood-level details.
        assert VOLUNTEER_LAST not in text
        assert volunteer_user.email not in text
    home = pages[0]
    assert (VOLUNTEER_FIRST in home) is matched
    assert (VOLUNTEER_PHONE_SHOWN in home) is matched
    assert (VOLUNTEER_PHONE in home) is matched


# Visits -------------------------------------------------------------------------------------

def test_confirm_a_visit(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0])
    visit = plan_visit(match, helper[0])
    response = client.post_form(f"/habitant/visites/{visit.id}/confirmer", page="/habitant/")
    text = follow(client, response)
    assert "Merci, votre visite est confirmée." in text
    assert "Vous avez confirmé cette visite." in text
    db.session.refresh(visit)
    assert visit.resident_confirmed_at is not None
    assert "visit.confirm" in audit_actions(visit.id)


def test_confirming_twice_says_it_is_already_done(client, signed_in, place, agent, helper):
    visit = plan_visit(make_pair(place, agent[0], helper[0]), helper[0])
    client.post_form(f"/habitant/visites/{visit.id}/confirmer", page="/habitant/")
    response = client.post_form(f"/habitant/visites/{visit.id}/confirmer", page="/habitant/")
    assert "Vous aviez déjà confirmé cette visite." in follow(client, response)


def test_confirming_a_past_visit_is_refused_with_a_message(client, signed_in, place, agent, helper):
    visit = plan_visit(make_pair(place, agent[0], helper[0]), helper[0])
    move_to_past(visit)
    response = client.post_form(f"/habitant/visites/{visit.id}/confirmer", page="/habitant/")
    assert "Cette visite est passée" in follow(client, response)
    db.session.refresh(visit)
    assert visit.resident_confirmed_at is None


def test_confirming_a_cancelled_visit_is_refused_with_a_message(
        client, signed_in, place, agent, helper):
    visit = plan_visit(make_pair(place, agent[0], helper[0]), helper[0])
    visits.cancel(visit, helper[0], "empêchement")
    db.session.commit()
    response = client.post_form(f"/habitant/visites/{visit.id}/confirmer", page="/habitant/")
    assert "Cette visite a été annulée" in follow(client, response)


def test_cancel_a_visit_after_a_confirmation_page(client, signed_in, place, agent, helper):
    visit = plan_visit(make_pair(place, agent[0], helper[0]), helper[0])
    url = f"/habitant/visites/{visit.id}/annuler"
    confirmation = page(client, url)
    assert "Vous allez annuler la visite du" in confirmation
    assert "<strong>lundi " in confirmation
    assert "à 10 h" in confirmation
    response = client.post_form(url, {"reason": "Rendez-vous chez le médecin"})
    assert "La visite est annulée." in follow(client, response)
    db.session.refresh(visit)
    assert visit.status is VisitStatus.CANCELLED
    assert visit.cancel_reason == "Rendez-vous chez le médecin"
    assert visit.cancelled_by_id == signed_in.id


def test_cancel_needs_a_reason_and_keeps_what_was_typed(client, signed_in, place, agent, helper):
    visit = plan_visit(make_pair(place, agent[0], helper[0]), helper[0])
    url = f"/habitant/visites/{visit.id}/annuler"
    missing = client.post_form(url, {"reason": "   "})
    assert missing.status_code == 422
    assert "Dites en quelques mots pourquoi vous annulez." in text_of(missing)
    long_text = "trop long " * 40
    overlong = client.post_form(url, {"reason": long_text})
    assert overlong.status_code == 422
    body = text_of(overlong)
    assert "Écrivez au plus 250 caractères." in body
    assert long_text.strip() in body
    db.session.refresh(visit)
    assert visit.status is VisitStatus.SCHEDULED


def test_cancelling_twice_is_refused_with_a_message(client, signed_in, place, agent, helper):
    visit = plan_visit(make_pair(place, agent[0], helper[0]), helper[0])
    url = f"/habitant/visites/{visit.id}/annuler"
    token_page = page(client, url)
    client.post_form(url, {"reason": "Malade"})
    # The same form sent again (a second tab, a double tap): a message, not an error page.
    again = client.post(url, data={"csrf_token": factories.csrf_token(token_page), "reason": "Malade"})
    assert "Cette visite a été annulée" in follow(client, again)
    assert "Cette visite a été annulée" in follow(client, client.get(url))


def test_cancelling_a_past_visit_is_refused_with_a_message(client, signed_in, place, agent, helper):
    visit = plan_visit(make_pair(place, agent[0], helper[0]), helper[0])
    move_to_past(visit)
    response = client.get(f"/habitant/visites/{visit.id}/annuler")
    assert "Cette visite est passée" in follow(client, response)


def test_another_residents_visit_and_pair_are_not_found(client, place, agent, helper, resident):
    match = make_pair(place, agent[0], helper[0])
    visit = plan_visit(match, helper[0])
    other, password = factories.make_resident(place.nb_a, first="Marcel")
    client.login(other, password)
    token = factories.csrf_token(page(client))
    assert client.post(f"/habitant/visites/{visit.id}/confirmer",
                       data={"csrf_token": token}).status_code == 404
    assert client.get(f"/habitant/visites/{visit.id}/annuler").status_code == 404
    assert client.post(f"/habitant/visites/{visit.id}/annuler",
                       data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert client.get(f"/habitant/mise-en-relation/{match.id}/changer").status_code == 404
    assert client.post(f"/habitant/mise-en-relation/{match.id}/changer",
                       data={"csrf_token": token, "reason": "x"}).status_code == 404
    db.session.refresh(visit)
    db.session.refresh(match)
    assert visit.status is VisitStatus.SCHEDULED and visit.resident_confirmed_at is None
    assert match.status is MatchStatus.ACTIVE


@pytest.mark.parametrize("url", [
    f"/habitant/visites/{UNKNOWN_ID}/annuler",
    f"/habitant/mise-en-relation/{UNKNOWN_ID}/changer",
    "/habitant/visites/pas-un-identifiant/annuler",
])
def test_unknown_ids_are_not_found(client, signed_in, url):
    assert client.get(url).status_code == 404


def test_a_post_without_csrf_token_changes_nothing(client, signed_in, place, agent, helper):
    visit = plan_visit(make_pair(place, agent[0], helper[0]), helper[0])
    response = client.post(f"/habitant/visites/{visit.id}/confirmer")
    assert response.status_code in (302, 303)
    db.session.refresh(visit)
    assert visit.resident_confirmed_at is None


# Pause, resume, close -----------------------------------------------------------------------

def test_pause_ends_the_pair_and_cancels_visits_to_come(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0])
    visit = plan_visit(match, helper[0])
    form = page(client, "/habitant/pause")
    assert f"la mise en relation avec {VOLUNTEER_FIRST} s'arrêtera" in form
    response = client.post_form("/habitant/pause", {"reason": ""})
    assert "Votre demande est en pause." in follow(client, response)
    profile = profile_of(signed_in)
    assert profile.status is RequestStatus.PAUSED and profile.status_reason is None
    db.session.refresh(match)
    db.session.refresh(visit)
    assert match.status is MatchStatus.ENDED and match.status_reason == "request_paused"
    assert visit.status is VisitStatus.CANCELLED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "request.pause"))
    assert entry.territory_id == place.territory_a.id and entry.actor_id == signed_in.id
    assert entry.detail == {"from": "open", "to": "paused", "pairs_closed": 1}


def test_pause_withdraws_a_proposal(client, signed_in, place):
    factories.make_volunteer(place.nb_a)
    match = propose(place)
    client.post_form("/habitant/pause", {"reason": "Hospitalisation"})
    db.session.refresh(match)
    assert match.status is MatchStatus.WITHDRAWN
    assert profile_of(signed_in).status_reason == "Hospitalisation"


def test_pausing_twice_gives_a_clear_message(client, signed_in):
    token = factories.csrf_token(page(client, "/habitant/pause"))
    client.post("/habitant/pause", data={"csrf_token": token})
    assert "Votre demande est déjà en pause." in follow(client, client.get("/habitant/pause"))
    again = client.post("/habitant/pause", data={"csrf_token": token})
    assert again.status_code == 422
    assert "Votre demande est déjà en pause." in text_of(again)


def test_pause_reason_too_long_is_refused_and_kept(client, signed_in):
    text = "x" * 1001
    response = client.post_form("/habitant/pause", {"reason": text})
    assert response.status_code == 422
    body = text_of(response)
    assert "Écrivez au plus 1000 caractères." in body and text in body
    assert profile_of(signed_in).status is RequestStatus.OPEN


def test_resume_keeps_the_wait_before_the_pause(client, signed_in):
    profile = profile_of(signed_in)
    profile.waiting_since = factories.days_ago(30)
    db.session.commit()
    requests.pause_request(profile, signed_in)
    db.session.execute(update(ResidentProfile).where(ResidentProfile.id == profile.id)
                       .values(status_changed_at=utcnow() - timedelta(days=10)))
    db.session.commit()
    response = client.post_form("/habitant/reprendre", page="/habitant/")
    text = follow(client, response)
    assert "Votre demande reprend." in text
    assert "depuis 20 jours" in text
    profile = profile_of(signed_in)
    assert profile.status is RequestStatus.OPEN
    assert "request.resume" in audit_actions(profile.id)


def test_resume_when_not_paused_gives_a_clear_message(client, signed_in):
    response = client.post_form("/habitant/reprendre", page="/habitant/")
    assert "Votre demande n'est pas en pause" in follow(client, response)


def test_close_after_a_confirmation_page(client, signed_in, place):
    factories.make_volunteer(place.nb_a)
    match = propose(place)
    confirmation = page(client, "/habitant/clore")
    assert "Oui, clore ma demande" in confirmation and "Non, garder ma demande" in confirmation
    response = client.post_form("/habitant/clore", {"reason": "Je déménage"})
    assert "Votre demande est close." in follow(client, response)
    profile = profile_of(signed_in)
    assert profile.status is RequestStatus.CLOSED and profile.status_reason == "Je déménage"
    db.session.refresh(match)
    assert match.status is MatchStatus.WITHDRAWN and match.status_reason == "request_closed"
    assert "request.close" in audit_actions(profile.id)


def test_a_closed_request_refuses_every_change_with_a_message(client, signed_in):
    token = factories.csrf_token(page(client, "/habitant/clore"))
    client.post("/habitant/clore", data={"csrf_token": token})
    assert "Votre demande est déjà close." in follow(client, client.get("/habitant/clore"))
    again = client.post("/habitant/clore", data={"csrf_token": token})
    assert again.status_code == 422 and "Votre demande est déjà close." in text_of(again)
    assert "Votre demande est close." in follow(client, client.get("/habitant/pause"))
    assert "appelez-nous pour modifier" in follow(client, client.get("/habitant/mon-profil"))
    resumed = client.post("/habitant/reprendre", data={"csrf_token": token})
    assert "Votre demande est close. Pour demander à nouveau" in follow(client, resumed)
    assert profile_of(signed_in).status is RequestStatus.CLOSED


def test_a_request_changed_meanwhile_is_refused_not_overwritten(app, resident):
    user, _ = resident
    profile = profile_of(user)
    db.session.execute(update(ResidentProfile).where(ResidentProfile.id == profile.id)
                       .values(status=RequestStatus.CLOSED)
                       .execution_options(synchronize_session=False))
    assert profile.status is RequestStatus.OPEN
    # The loaded profile still says "open": the conditional update is the last guard.
    with pytest.raises(InvalidTransition):
        requests.pause_request(profile, user)
    assert profile.status is RequestStatus.CLOSED


# Another volunteer --------------------------------------------------------------------------

def test_ask_for_another_volunteer(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0])
    visit = plan_visit(match, helper[0])
    url = f"/habitant/mise-en-relation/{match.id}/changer"
    assert f"La mise en relation avec {VOLUNTEER_FIRST} s'arrêtera" in page(client, url)
    response = client.post_form(url, {"reason": "Nous ne nous entendons pas"})
    text = follow(client, response)
    assert "Nous cherchons une autre personne" in text
    assert "Vous attendez un·e bénévole depuis aujourd'hui." in text
    assert VOLUNTEER_FIRST not in text
    db.session.refresh(match)
    db.session.refresh(visit)
    assert match.status is MatchStatus.ENDED
    assert match.status_reason == "Nous ne nous entendons pas"
    assert match.closed_by_role == "resident"
    assert visit.status is VisitStatus.CANCELLED
    assert profile_of(signed_in).status is RequestStatus.OPEN
    assert "request.change_volunteer" in audit_actions(match.resident_id)
    # The ended pair is never proposed again.
    matching.run_matching(place.territory_a)
    assert db.session.scalar(select(func.count()).select_from(Match)) == 1


def test_another_volunteer_needs_a_reason_and_keeps_the_input(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0])
    url = f"/habitant/mise-en-relation/{match.id}/changer"
    missing = client.post_form(url, {"reason": ""})
    assert missing.status_code == 422
    assert "Dites-nous en quelques mots pourquoi." in text_of(missing)
    text = "é" * 1001
    overlong = client.post_form(url, {"reason": text})
    assert overlong.status_code == 422 and text in text_of(overlong)
    db.session.refresh(match)
    assert match.status is MatchStatus.ACTIVE


def test_no_other_volunteer_to_ask_for_while_proposed(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0], to=MatchStatus.APPROVED)
    response = client.get(f"/habitant/mise-en-relation/{match.id}/changer")
    assert "il n'y a personne à remplacer" in follow(client, response)
    with pytest.raises(DomainError):
        requests.ask_another_volunteer(profile_of(signed_in), match, signed_in, "raison")


# Report a problem ---------------------------------------------------------------------------

def test_a_problem_with_the_volunteer_reaches_the_agents(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0])
    response = client.post_form("/habitant/signaler-un-probleme",
                                {"description": "  Il arrive toujours en retard.  "})
    assert "Votre message est envoyé." in follow(client, response)
    concern = db.session.scalar(select(Concern))
    assert concern.source is ConcernSource.RESIDENT
    assert concern.volunteer_id == helper[0].volunteer_profile.id
    assert concern.match_id == match.id and concern.resident_id is None
    assert concern.raised_by_id == signed_in.id
    assert concern.description == "Il arrive toujours en retard."


def test_a_problem_without_a_volunteer_is_about_the_resident(client, signed_in):
    client.post_form("/habitant/signaler-un-probleme", {"description": "Personne ne m'appelle."})
    concern = db.session.scalar(select(Concern))
    assert concern.resident_id == profile_of(signed_in).id and concern.volunteer_id is None


def test_a_problem_needs_a_description_of_reasonable_length(client, signed_in):
    missing = client.post_form("/habitant/signaler-un-probleme", {})
    assert missing.status_code == 422
    assert "Décrivez le problème en quelques mots." in text_of(missing)
    text = "a" * 2001
    overlong = client.post_form("/habitant/signaler-un-probleme", {"description": text})
    assert overlong.status_code == 422
    assert text in text_of(overlong)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_a_problem_may_span_lines_but_not_hold_invisible_characters(client, signed_in):
    refused = client.post_form("/habitant/signaler-un-probleme", {"description": "Bonjour\x00"})
    assert refused.status_code == 422 and "caractère invisible" in text_of(refused)
    client.post_form("/habitant/signaler-un-probleme",
                     {"description": "Première ligne.\r\nDeuxième ligne."})
    assert db.session.scalar(select(Concern.description)) == "Première ligne.\r\nDeuxième ligne."


# Profile and availability -------------------------------------------------------------------

def _profile_form(place, **overrides) -> dict:
    data = {
        "address": "3 place Clemenceau", "postcode": "64140", "neighbourhood": str(place.nb_b.id),
        "phone": "05 59 11 22 33", "visit_kind": "walk", "volunteer_gender": "f",
        "languages": ["fr", "oc"], "interests": ["music", "gardening"],
        "availability": ["mon-am", "sat-pm"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_profile_form_is_filled_with_the_current_values(client, signed_in):
    text = page(client, "/habitant/mon-profil")
    assert 'value="12 rue des Tests"' in text
    assert 'value="06 12 34 56 78"' in text
    assert 'value="mon-am" id="availability-mon-am" checked' in text
    assert 'value="fri-pm" id="availability-fri-pm" checked' not in text


def test_profile_changes_are_saved(client, signed_in, place):
    response = client.post_form("/habitant/mon-profil", _profile_form(place))
    assert "Vos informations sont enregistrées." in follow(client, response)
    profile = profile_of(signed_in)
    assert profile.address == "3 place Clemenceau" and profile.postcode == "64140"
    assert profile.neighbourhood_id == place.nb_b.id
    assert profile.user.phone == "+33559112233"
    assert profile.visit_kind is VisitKind.WALK and profile.volunteer_gender is Gender.FEMALE
    assert profile.languages == ["fr", "oc"] and profile.interests == ["gardening", "music"]
    assert profile.availability == mask_from_slots(["mon-am", "sat-pm"])
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "request.update"))
    assert entry.territory_id == place.territory_b.id
    assert "address" in entry.detail["fields"] and "3 place" not in str(entry.detail)


def test_no_preference_and_no_phone_are_accepted(client, signed_in, place):
    client.post_form("/habitant/mon-profil",
                     _profile_form(place, volunteer_gender="", phone="", interests=None))
    profile = profile_of(signed_in)
    assert profile.volunteer_gender is None and profile.user.phone is None
    assert profile.interests == []


def test_changing_availability_keeps_the_active_pair(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0])
    visit = plan_visit(match, helper[0])
    response = client.post_form("/habitant/mon-profil", _profile_form(
        place, neighbourhood=str(place.nb_a.id), availability=["mon-am", "thu-eve"]))
    follow(client, response)
    db.session.refresh(match)
    db.session.refresh(visit)
    assert match.status is MatchStatus.ACTIVE and visit.status is VisitStatus.SCHEDULED
    # No slot left in common: the pair stays, and the resident is told.
    response = client.post_form("/habitant/mon-profil", _profile_form(
        place, neighbourhood=str(place.nb_a.id), availability=["sun-eve"]))
    text = follow(client, response)
    assert f"vous n'avez plus de moment libre en commun avec {VOLUNTEER_FIRST}" in text
    db.session.refresh(match)
    assert match.status is MatchStatus.ACTIVE


@pytest.mark.parametrize("overrides,message", [
    ({"address": ""}, "Ce champ est obligatoire."),
    ({"address": "x" * 251}, "Écrivez au plus 250 caractères."),
    ({"address": "3 place\x00Clemenceau"}, "caractère invisible"),
    ({"postcode": "640"}, "Le code postal compte 5 chiffres"),
    ({"postcode": "6400A"}, "Le code postal compte 5 chiffres"),
    ({"phone": "123"}, "Saisissez un numéro de téléphone valide"),
    ({"phone": "0" * 31}, "Écrivez au plus 30 caractères."),
    ({"neighbourhood": ""}, "Choisissez votre quartier dans la liste."),
    ({"neighbourhood": UNKNOWN_ID}, "Choisissez votre quartier dans la liste."),
    ({"neighbourhood": "pas-un-uuid"}, "Choisissez votre quartier dans la liste."),
    ({"visit_kind": None}, "Choisissez un genre de visite."),
    ({"visit_kind": "spaceflight"}, "est pas un choix valide"),
    ({"volunteer_gender": "x"}, "est pas un choix valide"),
    ({"languages": None}, "Cochez au moins une langue."),
    ({"languages": ["fr", "klingon"]}, "n'est pas un choix valide pour ce champ."),
    ({"interests": ["skydiving"]}, "n'est pas un choix valide pour ce champ."),
    ({"availability": None}, "Cochez au moins un moment de la semaine."),
    ({"availability": ["sun-night"]}, "Choix de créneau inconnu."),
])
def test_bad_profile_input_is_refused_next_to_the_field_and_kept(
        client, signed_in, place, overrides, message):
    data = _profile_form(place, **overrides)
    response = client.post_form("/habitant/mon-profil", data)
    assert response.status_code == 422
    body = text_of(response)
    assert 'class="error-summary"' in body and 'class="field-error"' in body
    assert message in body
    # What the person typed is still there.
    assert 'value="3 place Clemenceau"' in body or "address" in overrides
    assert profile_of(signed_in).address == "12 rue des Tests"


def test_update_preferences_refuses_what_the_form_would_not_send(app, resident, place):
    user, _ = resident
    changes = requests.PreferenceChanges(
        address="1 rue", postcode="64000", neighbourhood_id=uuid.uuid4(), phone=None,
        visit_kind=VisitKind.WALK, volunteer_gender=None, availability=1)
    with pytest.raises(DomainError) as refused:
        requests.update_preferences(profile_of(user), user, changes)
    assert refused.value.field == "neighbourhood"
    changes.neighbourhood_id, changes.languages = place.nb_a.id, ["xx"]
    with pytest.raises(DomainError) as refused:
        requests.update_preferences(profile_of(user), user, changes)
    assert refused.value.field == "languages"


@pytest.mark.parametrize("to", [MatchStatus.PROPOSED, MatchStatus.APPROVED])
def test_changing_what_the_rules_read_withdraws_a_pending_proposal(
        client, signed_in, place, agent, helper, to):
    match = make_pair(place, agent[0], helper[0], to=to)
    client.post_form("/habitant/mon-profil", _profile_form(
        place, neighbourhood=str(place.nb_a.id), languages=["es"]))
    db.session.refresh(match)
    assert match.status is MatchStatus.WITHDRAWN
    assert match.status_reason == "preferences_changed"


def test_changing_only_the_address_keeps_a_pending_proposal(client, signed_in, place, agent, helper):
    match = make_pair(place, agent[0], helper[0], to=MatchStatus.APPROVED)
    profile = profile_of(signed_in)
    client.post_form("/habitant/mon-profil", _profile_form(
        place, neighbourhood=str(profile.neighbourhood_id), volunteer_gender="",
        visit_kind=profile.visit_kind.value, languages=profile.languages,
        interests=profile.interests, availability=profile.slots, address="4 rue Neuve"))
    db.session.refresh(match)
    assert match.status is MatchStatus.APPROVED
