"""The private iCalendar feed: its link page, its content, its times and who can read it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db
from app.models import Match, MatchStatus, Visit, VisitStatus, VolunteerProfile
from app.services import matching, pairs
from app.services.visits import PARIS
from app.volunteer import calendar as feed_module
from tests import factories
from tests.test_volunteer_journey import ADDRESS, PHONES, past_visit

#: The feed is built as if today were this day, so winter and summer dates are fixed.
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def make_active_pair(place, agent_user, volunteer_user, resident_first: str = "Jeanne") -> Match:
    """A resident of territory A matched with ``volunteer_user``, approved and accepted."""
    factories.make_resident(place.nb_a, first=resident_first)
    matching.run_matching(place.territory_a)
    match = db.session.scalar(select(Match).where(Match.volunteer_id == volunteer_user.volunteer_profile.id,
                                                  Match.status == MatchStatus.PROPOSED))
    pairs.approve(match, agent_user)
    pairs.accept(match, volunteer_user)
    db.session.commit()
    return match


def visit_at(match: Match, local: datetime, *, minutes: int = 60, status=VisitStatus.SCHEDULED) -> Visit:
    """A visit at a Paris wall-clock time, written directly (the service plans only from today)."""
    visit = Visit(match_id=match.id, starts_at=local.replace(tzinfo=PARIS).astimezone(timezone.utc),
                  duration_minutes=minutes, status=status)
    db.session.add(visit)
    db.session.commit()
    return visit


def issue_token(client) -> str:
    """Create the link through the page (as the logged-in volunteer), and read the token back."""
    response = client.post_form("/benevole/agenda/lien", page="/benevole/agenda")
    assert response.status_code == 302
    db.session.expire_all()
    tokens = db.session.scalars(select(VolunteerProfile.calendar_token)
                                .where(VolunteerProfile.calendar_token.is_not(None))).all()
    assert len(tokens) == 1
    return tokens[0]


def read_feed(app, token: str):
    """GET the feed with a fresh client that has no session, as a calendar application does."""
    return app.test_client().get(f"/benevole/agenda/{token}.ics")


@pytest.fixture
def pair(place, agent, volunteer):
    return make_active_pair(place, agent[0], volunteer[0])


@pytest.fixture
def vclient(client, volunteer):
    client.login(*volunteer)
    return client


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(feed_module, "utcnow", lambda: NOW)
    return NOW


# --- The page --------------------------------------------------------------------------------

def test_the_page_needs_a_login(client, place):
    response = client.get("/benevole/agenda")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_creating_the_link_shows_the_private_absolute_address(vclient, volunteer):
    page = vclient.get("/benevole/agenda").get_data(as_text=True)
    assert "Créer mon lien d'agenda" in page
    response = vclient.post_form("/benevole/agenda/lien", page="/benevole/agenda")
    assert response.status_code == 302
    db.session.refresh(volunteer[0].volunteer_profile)
    token = volunteer[0].volunteer_profile.calendar_token
    assert token and len(token) >= 43  # 32 random bytes, base64url
    page = vclient.get("/benevole/agenda").get_data(as_text=True)
    assert f">http://voisinage.test/benevole/agenda/{token}.ics</textarea>" in page
    assert f'href="webcal://voisinage.test/benevole/agenda/{token}.ics"' in page
    assert "Remplacer par un nouveau lien" in page and "Supprimer le lien" in page


def test_renewing_the_link_kills_the_old_one(app, vclient, volunteer, pair):
    old = issue_token(vclient)
    assert read_feed(app, old).status_code == 200
    vclient.post_form("/benevole/agenda/lien", page="/benevole/agenda")
    db.session.refresh(volunteer[0].volunteer_profile)
    new = volunteer[0].volunteer_profile.calendar_token
    assert new != old
    assert read_feed(app, old).status_code == 404
    assert read_feed(app, new).status_code == 200


def test_a_revoked_link_answers_404(app, vclient, volunteer, pair):
    token = issue_token(vclient)
    assert vclient.post_form("/benevole/agenda/supprimer", page="/benevole/agenda").status_code == 302
    db.session.refresh(volunteer[0].volunteer_profile)
    assert volunteer[0].volunteer_profile.calendar_token is None
    assert read_feed(app, token).status_code == 404
    assert "Créer mon lien d'agenda" in vclient.get("/benevole/agenda").get_data(as_text=True)


@pytest.mark.parametrize("token", ["inconnu", "x" * 65, "%00"])
def test_an_unknown_token_answers_404(app, place, token):
    assert app.test_client().get(f"/benevole/agenda/{token}.ics").status_code == 404


def test_a_disabled_account_has_no_feed(app, vclient, volunteer, pair):
    token = issue_token(vclient)
    volunteer[0].is_enabled = False
    db.session.commit()
    assert read_feed(app, token).status_code == 404


# --- The feed --------------------------------------------------------------------------------

def test_the_feed_is_a_valid_calendar_reached_without_a_session(app, vclient, pair, fixed_now):
    visit = visit_at(pair, datetime(2030, 1, 15, 15, 0))
    token = issue_token(vclient)
    response = read_feed(app, token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    calendar = Calendar.from_ical(response.data)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0" and "Voisinage" in str(calendar["PRODID"])
    assert "mes visites" in str(calendar["X-WR-CALNAME"])
    event, = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{visit.id}@voisinage"
    assert str(event["SUMMARY"]) == "Visite à Jeanne"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "DTSTAMP" in event


def test_paris_times_are_right_in_winter_and_in_summer(app, vclient, pair, fixed_now):
    visit_at(pair, datetime(2030, 1, 15, 15, 0), minutes=90)
    visit_at(pair, datetime(2030, 6, 25, 15, 0))
    raw = read_feed(app, issue_token(vclient)).get_data(as_text=True)
    assert "DTSTART;TZID=Europe/Paris:20300115T150000" in raw
    assert "DTEND;TZID=Europe/Paris:20300115T163000" in raw
    assert "DTSTART;TZID=Europe/Paris:20300625T150000" in raw
    calendar = Calendar.from_ical(raw)
    winter, summer = calendar.walk("VEVENT")
    assert winter["DTSTART"].dt.astimezone(timezone.utc) == datetime(2030, 1, 15, 14, 0, tzinfo=timezone.utc)
    assert summer["DTSTART"].dt.astimezone(timezone.utc) == datetime(2030, 6, 25, 13, 0, tzinfo=timezone.utc)
    # The VTIMEZONE we ship says the same as the tz database, for a client that reads only it.
    shipped = calendar.walk("VTIMEZONE")[0]
    assert str(shipped["TZID"]) == "Europe/Paris"
    tz = shipped.to_tz()
    for local in (datetime(2030, 1, 15, 15, 0), datetime(2030, 6, 25, 15, 0),
                  datetime(2030, 3, 31, 3, 30), datetime(2030, 10, 27, 1, 30)):
        assert local.replace(tzinfo=tz).utcoffset() == local.replace(tzinfo=PARIS).utcoffset()


def test_a_cancelled_visit_is_marked_cancelled(app, vclient, pair, fixed_now):
    visit_at(pair, datetime(2030, 1, 8, 10, 0), status=VisitStatus.CANCELLED)
    event, = Calendar.from_ical(read_feed(app, issue_token(vclient)).data).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"


def test_the_feed_holds_the_last_30_days_and_the_next_6_months(app, vclient, pair, fixed_now):
    for local in (datetime(2029, 11, 20, 10, 0), datetime(2029, 12, 10, 10, 0),
                  datetime(2030, 6, 20, 10, 0), datetime(2030, 9, 1, 10, 0)):
        visit_at(pair, local)
    events = Calendar.from_ical(read_feed(app, issue_token(vclient)).data).walk("VEVENT")
    assert sorted(e["DTSTART"].dt.date().isoformat() for e in events) == ["2029-12-10", "2030-06-20"]


def test_the_feed_carries_no_address_no_phone_no_last_name(app, vclient, pair, fixed_now):
    visit_at(pair, datetime(2030, 1, 15, 15, 0))
    raw = read_feed(app, issue_token(vclient)).get_data(as_text=True)
    unfolded = raw.replace("\r\n ", "")
    assert ADDRESS not in unfolded and "LOCATION" not in unfolded
    assert all(phone not in unfolded for phone in PHONES)
    assert pair.resident.user.last_name not in unfolded


def test_another_volunteers_token_shows_only_their_visits(app, client, place, agent, pair, volunteer,
                                                          fixed_now):
    mine = visit_at(pair, datetime(2030, 1, 15, 15, 0))
    volunteer[0].volunteer_profile.capacity = 1  # so the next resident goes to the other one
    other, password = factories.make_volunteer(place.nb_a, first="Luc")
    theirs = visit_at(make_active_pair(place, agent[0], other, "Marcel"), datetime(2030, 1, 16, 10, 0))
    client.login(other, password)
    client.post_form("/benevole/agenda/lien", page="/benevole/agenda")
    db.session.refresh(other.volunteer_profile)
    uids = [str(e["UID"]) for e in Calendar.from_ical(
        read_feed(app, other.volunteer_profile.calendar_token).data).walk("VEVENT")]
    assert uids == [f"{theirs.id}@voisinage"]
    assert f"{mine.id}@voisinage" not in uids


def test_the_feed_with_the_real_clock(app, vclient, pair):
    """Without a fixed clock: a visit of two days ago is in the feed."""
    visit = past_visit(pair)
    events = Calendar.from_ical(read_feed(app, issue_token(vclient)).data).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{visit.id}@voisinage"]
