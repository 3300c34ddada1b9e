"""Notification texts, the SMS channel, and the reminder the day before a visit."""

from __future__ import annotations

import logging
import re
import threading
from datetime import date

import pytest
from flask import render_template
from sqlalchemy import select

from app.commands.outbox import outbox_cli
from app.extensions import db
from app.models import (
    Channel,
    ConcernSource,
    Match,
    MatchStatus,
    OutboxMessage,
    OutboxStatus,
    VisitLog,
    VisitStatus,
    utcnow,
)
from app.notifications import senders, worker
from app.services import concerns, reminders, visits
from config import BASE_DIR, ConfigurationError
from tests import factories
from tests.test_outbox import (
    PARIS,
    active_pair,
    add_visit,
    count_messages,
    mailbox,
    paris_day_at,
    reload,
)

ADDRESS = "7 impasse des Glycines-Secrètes"
PHONE = "+33698765432"
NOTE = "NOTE-PRIVEE-VISITE-42"
DESCRIPTION = "DESCRIPTION-PRIVEE-ALERTE-17"
FORBIDDEN = [ADDRESS, "Glycines", PHONE, "06 98 76 54 32", "0698765432", "98 76 54",
             NOTE, DESCRIPTION, "santé", "sante", "malade", "maladie", "médic", "hôpital"]

#: The templates this package owns, and the context their callers give them.
EMAIL_TEMPLATES = ["match_proposed", "match_approved", "visit_scheduled", "visit_reminder",
                   "visit_cancelled", "concern_received", "concern_overdue", "vetting_decision",
                   "pair_ended"]
SMS_TEMPLATES = ["match_proposed", "match_approved", "visit_scheduled", "visit_reminder",
                 "visit_cancelled", "vetting_decision", "pair_ended"]


@pytest.fixture
def seeded(app, place, agent):
    """A pair whose resident has a distinctive address and phone, a visit with a private note,
    and a concern with a private description: none of it may reach a notification."""
    resident, _ = factories.make_resident(place.nb_a)
    resident.phone = PHONE
    resident.resident_profile.address = ADDRESS
    db.session.commit()
    match, resident, volunteer = active_pair(place, agent[0], resident=resident)
    past = add_visit(match, paris_day_at(-2, 10))
    db.session.add(VisitLog(visit_id=past.id, note=NOTE, logged_at=utcnow(),
                            logged_by_id=volunteer.id))
    past.status = VisitStatus.DONE
    visit = add_visit(match, paris_day_at(1, 15))
    concern = concerns.raise_concern(volunteer, ConcernSource.VOLUNTEER, DESCRIPTION,
                                     resident=match.resident, match=match)
    db.session.commit()
    return {"user": resident, "resident": resident, "volunteer": volunteer, "visit": visit,
            "concern": concern, "agent": agent[0]}


def contexts(seeded) -> dict[str, list[dict]]:
    """Plausible contexts for every template, as the services give them."""
    resident, volunteer, agent = seeded["resident"], seeded["volunteer"], seeded["agent"]
    visit, concern = seeded["visit"], seeded["concern"]
    return {
        "match_proposed": [{"user": volunteer}],
        "match_approved": [{"user": resident, "volunteer": volunteer}],
        "visit_scheduled": [{"user": resident, "visit": visit, "count": 1},
                            {"user": resident, "visit": visit, "count": 12}],
        "visit_reminder": [{"user": resident, "visit": visit}],
        "visit_cancelled": [{"user": resident, "visit": visit}, {"user": volunteer, "visit": visit}],
        "concern_received": [{"user": agent, "concern": concern}],
        "concern_overdue": [{"user": agent, "concern": concern}],
        "vetting_decision": [{"user": volunteer, "approved": True},
                             {"user": volunteer, "approved": False}],
        "pair_ended": [{"user": resident}, {"user": volunteer}],
    }


def render(folder: str, name: str, context: dict) -> str:
    """Render outside any request, as the reminder job and the services called by jobs do."""
    return render_template(f"{folder}/{name}.txt", **context).strip()


def assert_discreet(text: str) -> None:
    lowered = text.lower()
    for word in FORBIDDEN:
        assert word.lower() not in lowered, f"{word!r} in:\n{text}"


def test_every_template_this_package_owns_is_listed():
    owned = {p.stem for p in (BASE_DIR / "templates" / "sms").glob("[!_]*.txt")}
    assert owned == set(SMS_TEMPLATES)
    emails = {p.stem for p in (BASE_DIR / "templates" / "emails").glob("[!_]*.txt")}
    assert set(EMAIL_TEMPLATES) <= emails


@pytest.mark.parametrize("name", EMAIL_TEMPLATES)
def test_every_email_renders_discreetly_and_ends_with_the_service_and_its_phone(app, seeded, name):
    for context in contexts(seeded)[name]:
        text = render("emails", name, context)
        assert_discreet(text)
        assert text.startswith(f"Bonjour {context['user'].first_name},")
        last = text.splitlines()[-1]
        assert app.config["SERVICE_NAME"] in last and last.endswith(app.config["ORGANISATION_PHONE"])
        assert "{{" not in text and "%(" not in text and "\n\n\n" not in text


@pytest.mark.parametrize("name", SMS_TEMPLATES)
def test_every_sms_is_short_discreet_and_signed(app, seeded, name):
    long_name = "Marie-Christine-Bernadette-Alexandrine-Eugénie-Joséphine-Antoinette-Élisabeth"
    seeded["resident"].first_name = seeded["volunteer"].first_name = long_name[:80]
    for context in contexts(seeded)[name]:
        text = render("sms", name, context)
        assert_discreet(text)
        assert len(text) <= 300, (len(text), text)
        assert "\n" not in text
        assert text.endswith(f"{app.config['SERVICE_NAME']}, {app.config['ORGANISATION_PHONE']}")
        assert len(re.findall(r"[.!?] ", text)) <= 2  # one or two sentences, then the signature


def test_visit_times_are_shown_in_paris_time(app, seeded):
    visit = seeded["visit"]  # tomorrow 15:00 in Paris
    text = render("emails", "visit_scheduled",
                  {"user": seeded["resident"], "visit": visit, "count": 1})
    assert "à 15:00" in text
    weekday = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    assert weekday[visit.starts_at.astimezone(PARIS).weekday()] in text
    assert f"à {visit.starts_at:%H:%M}" not in text  # not the stored UTC time


def test_a_concern_alert_tells_the_agent_without_the_description(app, seeded):
    message = db.session.scalar(select(OutboxMessage).filter_by(kind="concern_received"))
    assert message.recipient == seeded["agent"].email
    assert DESCRIPTION not in message.body and "moyenne" in message.body


def next_monday_at(hour: int):
    today = utcnow().astimezone(PARIS).date()
    return paris_day_at((0 - today.weekday()) % 7 or 7, hour)


def test_scheduling_through_the_service_tells_the_resident(app, seeded):
    match = db.session.get(Match, seeded["visit"].match_id)
    visits.schedule(match, seeded["volunteer"], next_monday_at(10).replace(tzinfo=None), weeks=3)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).filter_by(kind="visit_scheduled"))
    assert message.channel is Channel.EMAIL and message.recipient == seeded["resident"].email
    assert "chaque semaine, à partir du lundi" in message.body and "à 10:00 (3 visites)" in message.body
    assert_discreet(message.body)


# SMS ---------------------------------------------------------------------------------------

@pytest.fixture
def phone_only(app, place, agent):
    """A pair whose resident was registered at the desk: a phone, no e-mail."""
    resident, _ = factories.make_resident(place.nb_a, with_login=False)
    resident.resident_profile.address = ADDRESS
    db.session.commit()
    return active_pair(place, agent[0], resident=resident)


def test_a_resident_without_email_is_told_by_sms_and_the_log_shows_no_text(app, phone_only,
                                                                           caplog):
    match, resident, volunteer = phone_only
    visit = add_visit(match, paris_day_at(3, 15))
    visits.cancel(visit, volunteer, "empêchement")
    db.session.commit()
    messages = list(db.session.scalars(select(OutboxMessage).filter_by(user_id=resident.id)))
    assert {m.kind for m in messages} == {"match_approved", "visit_cancelled"}
    assert all(m.channel is Channel.SMS and m.recipient == resident.phone for m in messages)
    for message in messages:
        assert len(message.body) <= 300 and ADDRESS not in message.body

    with caplog.at_level(logging.INFO, logger="voisinage.outbox"):
        tally = worker.send_due()
    assert tally.sent == len(messages) + 1  # and the volunteer's e-mail
    assert [m.to for m in mailbox(app)] == [[volunteer.email]]
    lines = [r.getMessage() for r in caplog.records if r.name == "voisinage.outbox"]
    for message in messages:
        assert reload(message).status is OutboxStatus.SENT
        assert any(f"sms {message.id} to +33 6 •• •• •• 78" in line for line in lines), lines
    logged = "\n".join(lines)
    assert resident.phone not in logged and "annulée" not in logged and "bénévole" not in logged


class RecordingSms:
    """An SMS provider adapter for tests."""

    sent: list[tuple[int, str, str]] = []

    def send(self, message_id: int, to: str, body: str) -> None:
        self.sent.append((message_id, to, body))


def test_the_sms_sender_is_chosen_by_configuration(app):
    assert isinstance(senders.sms_sender(), senders.LoggingSmsSender)
    app.config["SMS_SENDER"] = "tests.test_notifications:RecordingSms"
    assert isinstance(senders.sms_sender(), RecordingSms)
    assert isinstance(senders.sms_sender(), senders.SmsSender)
    app.config["SMS_SENDER"] = "tests.test_notifications:Nothing"
    with pytest.raises(ConfigurationError, match="SMS_SENDER"):
        senders.sms_sender()


def test_a_configured_sms_provider_gets_the_message(app, phone_only):
    app.config["SMS_SENDER"] = "tests.test_notifications:RecordingSms"
    RecordingSms.sent = []
    resident = phone_only[1]
    assert worker.send_due().sent == 2  # the resident's SMS and the volunteer's e-mail
    [(message_id, to, body)] = RecordingSms.sent
    assert to == resident.phone and "va vous rendre visite" in body


@pytest.mark.parametrize(("number", "masked"), [
    ("+33612345678", "+33 6 •• •• •• 78"),
    ("+33 7 98 76 54 32", "+33 7 •• •• •• 32"),
    ("+32470123456", "•••••••••56"),
    ("7", "••"),
])
def test_phone_numbers_are_masked_in_logs(number, masked):
    assert senders.mask_phone(number) == masked


# Reminders ---------------------------------------------------------------------------------

@pytest.fixture
def pair(app, place, agent):
    return active_pair(place, agent[0])


def reminders_for(visit) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).filter_by(dedup_key=reminders.reminder_key(visit))))


def test_a_visit_tomorrow_gets_one_reminder_however_often_the_job_runs(app, pair, runner):
    match, resident, _ = pair
    tomorrow = add_visit(match, paris_day_at(1, 15))
    early = add_visit(match, paris_day_at(1, 0).replace(minute=30))
    later = add_visit(match, paris_day_at(2, 10))
    today = add_visit(match, paris_day_at(0, 23).replace(minute=30))
    cancelled = add_visit(match, paris_day_at(1, 17))
    cancelled.status = VisitStatus.CANCELLED
    db.session.commit()

    first = runner.invoke(outbox_cli, ["remind"])
    assert first.exit_code == 0, first.output
    assert "2 visit reminder(s) queued" in first.output
    second = runner.invoke(outbox_cli, ["remind"])
    assert "0 visit reminder(s) queued" in second.output

    [message] = reminders_for(tomorrow)
    assert message.kind == "visit_reminder" and message.recipient == resident.email
    assert "demain" in message.body and "15:00" in message.body
    assert len(reminders_for(early)) == 1
    assert reminders_for(later) == [] and reminders_for(today) == []
    assert reminders_for(cancelled) == []


def test_no_reminder_for_a_visit_of_a_paused_pair(app, pair):
    match, _, _ = pair
    visit = add_visit(match, paris_day_at(1, 15))
    db.session.execute(Match.__table__.update().where(Match.__table__.c.id == match.id)
                       .values(status=MatchStatus.PAUSED.value))
    db.session.commit()
    assert reminders.queue_visit_reminders() == 0 and reminders_for(visit) == []


def test_tomorrow_is_a_paris_day(app):
    start, end = reminders.paris_day_bounds(date(2026, 3, 29))
    assert start.isoformat() == "2026-03-28T23:00:00+00:00"
    assert end.isoformat() == "2026-03-29T22:00:00+00:00"  # the spring-forward day has 23 hours


def test_a_reminder_inserted_meanwhile_by_another_run_is_skipped_without_breaking_the_rest(
        app, pair, monkeypatch):
    match, _, _ = pair
    first = add_visit(match, paris_day_at(1, 10))
    assert reminders.queue_visit_reminders() == 1
    db.session.commit()
    second = add_visit(match, paris_day_at(1, 16))
    # As if another run inserted ``first``'s reminder after this run looked for it.
    monkeypatch.setattr(reminders, "queued_keys", lambda keys: set())
    assert reminders.queue_visit_reminders() == 1
    db.session.commit()
    assert len(reminders_for(first)) == 1 and len(reminders_for(second)) == 1


def test_two_reminder_jobs_at_once_queue_one_reminder_per_visit(app, pair):
    match, _, _ = pair
    planned = [add_visit(match, paris_day_at(1, hour)) for hour in (9, 11, 14, 16, 18)]
    db.session.commit()
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                start.wait()
                counts.append(reminders.queue_visit_reminders())
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(counts) == len(planned)
    assert count_messages(kind="visit_reminder") == len(planned)
