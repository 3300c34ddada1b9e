"""The volunteer's visits as a private iCalendar feed, and the page that hands out its link.

Calendar applications do not log in: the feed is reached with a long random secret in its URL
(``secrets.token_urlsafe(32)``, 256 bits), stored on the profile and revocable at any time.

Times are written in Paris time with ``TZID=Europe/Paris`` and a VTIMEZONE giving the EU rules,
so a visit at 15:00 reads 15:00 in winter and in summer. A feed is copied to third-party servers
(Google, Apple, Microsoft): it carries the resident's first name only, never the address or the
phone, even while the volunteer may see them in the service (PRODUCT.md §3).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Match, ResidentProfile, User, Visit, VisitStatus, VolunteerProfile, utcnow
from app.security.access import public
from app.security.objects import own_volunteer_profile
from app.services import audit
from app.services.visits import PARIS
from app.volunteer import bp
from app.volunteer.forms import ActionForm

#: The feed holds the visits of the last 30 days and of the next six months.
WINDOW_BEFORE = timedelta(days=30)
WINDOW_AFTER = timedelta(days=183)
TOKEN_BYTES = 32
#: What a token can look like (base64url, at most the column's 64 characters): anything else is
#: refused before any query, so a stray byte such as NUL never reaches the database.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
PRODID = "-//Voisinage//Visites des bénévoles//FR"


# --- The page ---------------------------------------------------------------------------------

@bp.route("/agenda")
def calendar_page():
    """Mon agenda: the private link to subscribe to, with buttons to create, change or remove it."""
    profile = own_volunteer_profile()
    url = feed_url(profile.calendar_token) if profile.calendar_token else None
    # webcal:// asks the device's calendar application to subscribe (where one is registered).
    subscribe = "webcal://" + url.split("://", 1)[1] if url else None
    return render_template("volunteer/calendar.html", feed=url, subscribe=subscribe,
                           form=ActionForm())


@bp.route("/agenda/lien", methods=["POST"])
def calendar_issue():
    """Create the link, or replace it by a new one (the old one stops working at once)."""
    profile = own_volunteer_profile()
    renewed = profile.calendar_token is not None
    profile.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    audit.record("calendar.renew" if renewed else "calendar.create", "volunteer", profile.id)
    db.session.commit()
    flash(_("Votre nouveau lien est prêt. L'ancien ne fonctionne plus : mettez à jour votre "
            "application d'agenda.") if renewed else _("Votre lien d'agenda est prêt."), "success")
    return redirect(url_for(".calendar_page"))


@bp.route("/agenda/supprimer", methods=["POST"])
def calendar_revoke():
    """Remove the link: calendars subscribed to it receive nothing any more."""
    profile = own_volunteer_profile()
    if profile.calendar_token is not None:
        profile.calendar_token = None
        audit.record("calendar.revoke", "volunteer", profile.id)
        db.session.commit()
    flash(_("Le lien d'agenda est supprimé."), "success")
    return redirect(url_for(".calendar_page"))


def feed_url(token: str) -> str:
    """The absolute, private address of a feed."""
    return url_for("volunteer.calendar_feed", token=token, _external=True)


# --- The feed ---------------------------------------------------------------------------------

@bp.route("/agenda/<token>.ics")
@public
def calendar_feed(token: str):
    """The feed itself, for calendar applications: no session, the token is the key."""
    profile = _profile_of_token(token)
    user = profile.user
    with force_locale(user.locale or "fr"):
        body = build_calendar(feed_visits(profile, utcnow()),
                              name=_("%(service)s — mes visites",
                                     service=current_app.config["SERVICE_NAME"]))
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="visites.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _profile_of_token(token: str) -> VolunteerProfile:
    """The profile whose live token this is; 404 for an unknown, revoked or disabled one."""
    if not TOKEN_SHAPE.fullmatch(token):
        abort(404)
    profile = db.session.scalars(
        select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
        .where(VolunteerProfile.calendar_token == token, User.is_enabled.is_(True),
               User.anonymised_at.is_(None))
        .options(joinedload(VolunteerProfile.user))
    ).first()
    if profile is None:
        abort(404)
    return profile


def feed_visits(profile: VolunteerProfile, now: datetime) -> list[Visit]:
    """The volunteer's visits in the feed's window, with the resident's first name loaded."""
    return list(db.session.scalars(
        select(Visit).join(Match, Match.id == Visit.match_id)
        .where(Match.volunteer_id == profile.id, Visit.starts_at >= now - WINDOW_BEFORE,
               Visit.starts_at <= now + WINDOW_AFTER)
        .options(joinedload(Visit.match).joinedload(Match.resident)
                 .joinedload(ResidentProfile.user))
        .order_by(Visit.starts_at)
    ))


def build_calendar(visits: list[Visit], *, name: str) -> bytes:
    """A VCALENDAR with one VEVENT per visit (cancelled ones marked so, so calendars drop them)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add_component(paris_timezone())
    stamp = utcnow()
    for visit in visits:
        calendar.add_component(_event(visit, stamp))
    return calendar.to_ical()


def _event(visit: Visit, stamp: datetime) -> Event:
    start = visit.starts_at.astimezone(PARIS)
    event = Event()
    event.add("uid", f"{visit.id}@voisinage")
    event.add("dtstamp", stamp)
    event.add("last-modified", visit.updated_at)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=visit.duration_minutes))
    event.add("summary", _("Visite à %(name)s", name=visit.match.resident.user.first_name))
    event.add("description", _("L'adresse et le téléphone sont dans votre espace bénévole : "
                               "%(url)s", url=url_for("volunteer.pair", match_id=visit.match_id,
                                                      _external=True)))
    event.add("status", "CANCELLED" if visit.status is VisitStatus.CANCELLED else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if visit.status is VisitStatus.CANCELLED else "OPAQUE")
    return event


def paris_timezone() -> Timezone:
    """VTIMEZONE for Europe/Paris with the EU rules in force since 1996 (last Sundays of March
    and October), valid for any year the feed can hold."""
    timezone = Timezone()
    timezone.add("tzid", "Europe/Paris")
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("dtstart", datetime(1996, 3, 31, 2, 0))
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("dtstart", datetime(1996, 10, 27, 3, 0))
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    timezone.add_component(summer)
    timezone.add_component(winter)
    return timezone
