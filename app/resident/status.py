"""Where a resident's request stands, reduced to what the resident may see (PRODUCT.md §3).

The pages never receive the pair or the volunteer's records, only the plain values built here:
the volunteer's first name and phone while the pair is matched (active or paused), nothing
about them while it is proposed or approved, never their last name, e-mail or address.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_date, format_time, ngettext
from flask_babel import gettext as _

from app.models import (
    PARIS,
    MatchStatus,
    RequestStatus,
    ResidentProfile,
    Visit,
    paris_days_since,
    utcnow,
)
from app.services import visits as visit_service
from app.services.requests import live_match

NBSP = "\u00a0"
#: How many visits to come the home page lists.
UPCOMING_LIMIT = 5


class ResidentState(str, enum.Enum):
    """Where a request stands (PRODUCT.md §1), as the agents' console files it."""

    WAITING = "waiting"
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


#: The state an open request takes from its live pair; an open request with none is waiting.
#: A pair paused by its members keeps the resident matched, so it counts as active.
PAIR_STATES = {
    MatchStatus.PROPOSED: ResidentState.PROPOSED, MatchStatus.APPROVED: ResidentState.PROPOSED,
    MatchStatus.ACTIVE: ResidentState.ACTIVE, MatchStatus.PAUSED: ResidentState.ACTIVE,
}


def state_of(status: RequestStatus, pair_status: MatchStatus | None) -> ResidentState:
    """The state of one request, from its status and the status of its live pair, if any."""
    if status is RequestStatus.CLOSED:
        return ResidentState.CLOSED
    if status is RequestStatus.PAUSED:
        return ResidentState.PAUSED
    return PAIR_STATES.get(pair_status, ResidentState.WAITING)


class State(str, enum.Enum):
    """The six situations the home page explains: the request's state (:func:`state_of`), an
    active one told apart when its pair is paused."""

    WAITING = "waiting"
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAIR_PAUSED = "pair_paused"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class VolunteerContact:
    """All the resident learns about their volunteer."""

    first_name: str
    phone: str | None


@dataclass(frozen=True)
class UpcomingVisit:
    """A visit to come, as the resident sees it."""

    id: uuid.UUID
    starts_at: datetime
    duration_minutes: int
    confirmed: bool

    @property
    def when(self) -> str:
        """Day, time and length, as the home page prints it."""
        return visit_when(self.starts_at, self.duration_minutes)


@dataclass(frozen=True)
class RequestView:
    """The request as the home page shows it."""

    state: State
    waiting_days: int = 0
    match_id: uuid.UUID | None = None
    volunteer: VolunteerContact | None = None
    visits: list[UpcomingVisit] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        """Whether the resident has a volunteer they know (and may ask to change)."""
        return self.state in (State.ACTIVE, State.PAIR_PAUSED)


#: Whole days between the start of the wait and today, counted on Paris calendar days.
waiting_days = paris_days_since


def request_view(profile: ResidentProfile) -> RequestView:
    """Read the request's state from its status and its live pair (:func:`state_of`)."""
    match = live_match(profile) if profile.status is RequestStatus.OPEN else None
    state = state_of(profile.status, match.status if match else None)
    if match is None:  # closed, paused, or waiting for a volunteer
        days = waiting_days(profile.waiting_since) if state is ResidentState.WAITING else 0
        return RequestView(State(state.value), waiting_days=days)
    if state is ResidentState.PROPOSED:
        # The volunteer has not accepted yet: the resident learns nothing about them.
        return RequestView(State.PROPOSED, match_id=match.id)
    user = match.volunteer.user
    contact = VolunteerContact(first_name=user.first_name, phone=user.phone)
    if match.status is MatchStatus.PAUSED:
        return RequestView(State.PAIR_PAUSED, match_id=match.id, volunteer=contact)
    upcoming = visit_service.upcoming([match.id], limit=UPCOMING_LIMIT)
    return RequestView(State.ACTIVE, match_id=match.id, volunteer=contact,
                       visits=[_upcoming(v) for v in upcoming])


def _upcoming(visit: Visit) -> UpcomingVisit:
    return UpcomingVisit(id=visit.id, starts_at=visit.starts_at,
                         duration_minutes=visit.duration_minutes,
                         confirmed=visit.resident_confirmed_at is not None)


def visit_when(starts_at: datetime, duration_minutes: int | None = None) -> str:
    """A visit's day and time in Paris, in words: "lundi 30 novembre à 10 h, pendant 1 heure".

    The year is said only when it is not this year's.
    """
    local = starts_at.astimezone(PARIS)
    this_year = local.year == utcnow().astimezone(PARIS).year
    day = format_date(local, "EEEE d MMMM" if this_year else "EEEE d MMMM y")
    # No-break spaces: "10 h 30" and "1 heure" never split across two lines.
    time = format_time(local, _("H' h'") if local.minute == 0 else _("H' h 'mm")).replace(" ", NBSP)
    text = _("%(day)s à %(time)s", day=day, time=time)
    return f"{text}, {_duration(duration_minutes)}" if duration_minutes else text


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not rest:
        return ngettext("pendant %(num)s\u00a0heure", "pendant %(num)s\u00a0heures", hours)
    if not hours:
        return _("pendant %(n)s\u00a0minutes", n=minutes)
    return _("pendant %(h)s\u00a0h\u00a0%(m)02d", h=hours, m=rest)


#: Why a visit can no longer be confirmed or cancelled (shared with the service).
visit_problem = visit_service.change_refusal
