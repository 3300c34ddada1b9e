"""Pairs of the demo, chosen and scored by the real matching engine, and their visits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app import matching
from app.extensions import db
from app.models import (
    Match,
    MatchStatus,
    Mood,
    Role,
    Visit,
    VisitKind,
    VisitLog,
    VisitStatus,
    VolunteerStatus,
)
from app.models.availability import DAYS, mask_from_slots, slots_from_mask
from app.services.demo import data
from app.services.demo.context import Context, Person
from app.services.settings import DEFAULT_WEIGHTS
from app.services.visits import PARIS

#: Paris wall-clock start of a visit in each period of the day.
START_TIMES = {"am": (10, 0), "pm": (15, 0), "eve": (18, 30)}
DURATIONS = {VisitKind.HOME_CHAT: (60, 90), VisitKind.WALK: (60,), VisitKind.PHONE_CALL: (30,),
             VisitKind.ERRANDS: (90,)}
#: Territories of the active pairs after the demo one, in order (Pau has half the people).
ACTIVE_TERRITORIES = ("Pau", "Couronne ouest", "Couronne sud-est", "Pau", "Couronne ouest",
                      "Couronne sud-est", "Pau")
#: What the oldest non-demo active pairs show: no visit for weeks, two missed visits in a
#: row, a worrying visit. One of the others gets the resident's complaint, the rest are steady.
ACTIVE_STORIES = ("fading", "missed", "worrying")
#: Weeks of past visits kept per pair.
PAST_WEEKS = 10


@dataclass
class DemoPair:
    """A match of the demo and the story it tells."""

    resident: Person
    volunteer: Person
    match: Match
    story: str
    visits: list[Visit] = field(default_factory=list)


class Matcher:
    """Chooses pairs with the engine's own rules and scores, keeping capacity and rule 6."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.used: dict[str, int] = {}
        self.excluded: set[tuple[str, str]] = set()
        self.weights = matching.Weights(**DEFAULT_WEIGHTS)

    def candidates(self, r: Person, at: datetime, only: Person | None = None) -> list[matching.Pair]:
        """Possible volunteers of r's territory approved before ``at``, best score first."""
        volunteers = [
            self._engine_volunteer(v) for v in self.ctx.volunteers
            if v.profile.status is VolunteerStatus.APPROVED and v.territory == r.territory
            and v.profile.status_changed_at <= at and (only is None or v is only)
            and v.profile.capacity > self.used.get(v.key, 0)
        ]
        return matching.rank_candidates(self._engine_resident(r, at), volunteers,
                                        frozenset(self.excluded), self.weights)

    def _engine_resident(self, r: Person, at: datetime) -> matching.Resident:
        p, nb = r.profile, self.ctx.neighbourhoods[r.insee]
        return matching.Resident(
            id=r.key, lat=nb.latitude, lon=nb.longitude, slots=frozenset(slots_from_mask(p.availability)),
            languages=frozenset(p.languages), interests=frozenset(p.interests),
            volunteer_gender=p.volunteer_gender.value if p.volunteer_gender else None,
            waiting_days=max(0, (at.date() - p.waiting_since.date()).days),
        )

    def _engine_volunteer(self, v: Person) -> matching.Volunteer:
        p, nb = v.profile, self.ctx.neighbourhoods[v.insee]
        return matching.Volunteer(
            id=v.key, lat=nb.latitude, lon=nb.longitude, slots=frozenset(slots_from_mask(p.availability)),
            languages=frozenset(p.languages), interests=frozenset(p.interests),
            gender=p.gender.value if p.gender else None,
            capacity=p.capacity - self.used.get(v.key, 0), max_km=float(p.max_km),
        )

    def pair(self, r: Person, pair: matching.Pair, status: MatchStatus, proposed_at: datetime,
             story: str, **values) -> DemoPair:
        """Store the match with the engine's explanation; count it against the volunteer."""
        v = next(p for p in self.ctx.volunteers if p.key == pair.volunteer)
        match = Match(
            resident_id=r.profile.id, volunteer_id=v.profile.id, status=status, score=pair.score,
            part_waiting=pair.parts.waiting, part_distance=pair.parts.distance,
            part_slots=pair.parts.slots, part_interests=pair.parts.interests,
            distance_km=pair.distance_km, shared_slots=mask_from_slots(pair.shared_slots),
            shared_interests=sorted(pair.shared_interests), created_at=proposed_at, **values,
        )
        match.updated_at = max(t for t in (proposed_at, *values.values()) if isinstance(t, datetime))
        db.session.add(match)
        db.session.flush()
        if status in MatchStatus.live():
            self.used[v.key] = self.used.get(v.key, 0) + 1
        else:
            self.excluded.add((r.key, v.key))
        return DemoPair(r, v, match, story)


def load_matches(ctx: Context) -> list[DemoPair]:
    """8 active pairs, 1 approved awaiting the volunteer, 2 proposed, 1 ended, 1 declined."""
    rng, m = ctx.rng, Matcher(ctx)
    habitant, benevole = ctx.residents[0], ctx.volunteers[0]
    pairs = [_active(ctx, m, habitant, ctx.days_ago(75, 9, 30), "demo", only=benevole)]
    # The demo volunteer's second place: a proposal an agent approved, waiting for her answer.
    pairs.append(_first_possible(ctx, m, [r for r in ctx.residents[1:] if r.territory == "Pau"],
                                 3, lambda r, at: _approved(ctx, m, r, at, only=benevole), benevole))
    order = list(ctx.residents[1:])
    rng.shuffle(order)
    busy = lambda: {p.resident.key for p in pairs}  # noqa: E731
    active = []
    for territory in ACTIVE_TERRITORIES:
        age = rng.randint(30, 120)
        pool = [r for r in order if r.territory == territory and r.key not in busy()]
        active.append(_first_possible(ctx, m, pool, age, lambda r, at: _active(ctx, m, r, at, "")))
        pairs.append(active[-1])
    _tell_stories(sorted(active, key=lambda p: p.match.created_at))
    # A pair that ended (the volunteer's hours changed) and one the volunteer declined: both
    # residents wait again, and each has a new proposal with someone else.
    pool = [r for r in order if r.key not in busy()]
    ended = _first_possible(ctx, m, pool, 110, lambda r, at: _ended(ctx, m, r, at), need=2)
    pairs.append(ended)
    pool = [r for r in order if r.key not in busy()]
    declined = _first_possible(ctx, m, pool, 14, lambda r, at: _declined(ctx, m, r, at), need=2)
    pairs.append(declined)
    for earlier in (ended, declined):
        at = ctx.days_ago(rng.randint(1, 2), 7)
        candidates = m.candidates(earlier.resident, at)
        if not candidates:
            raise RuntimeError("no new candidate for a demo resident")
        pairs.append(m.pair(earlier.resident, candidates[0], MatchStatus.PROPOSED, at, "proposed"))
    return pairs


def _tell_stories(active: list[DemoPair]) -> None:
    """Give the non-demo active pairs, oldest first, the situations agents must notice."""
    for pair in active:
        pair.story = "steady"
    for pair, story in zip(active, ACTIVE_STORIES):
        pair.story = story
    # A resident complains through their own account: that story needs someone with a login.
    complaint = next((p for p in active if p.story == "steady" and p.resident.user.email), None)
    if complaint is None:
        raise RuntimeError("the complaint story needs a resident with a login")
    complaint.story = "complaint"


def _first_possible(ctx: Context, m: Matcher, pool: list[Person], days: int, make,
                    only: Person | None = None, need: int = 1) -> DemoPair:
    """The first resident of ``pool`` signed up a week before, with ``need`` possible volunteers."""
    for r in pool:
        at = ctx.days_ago(days, 9, 30)
        if (at - r.signed_up).days >= 7 and len(m.candidates(r, at, only)) >= need:
            return make(r, at)
    raise RuntimeError(f"no possible pair {days} days ago in the demo data")


def _decided(ctx: Context, m: Matcher, r: Person, at: datetime, status: MatchStatus, story: str,
             only: Person | None = None, **values) -> DemoPair:
    rng = ctx.rng
    best = m.candidates(r, at, only)[0]
    decided = at + timedelta(days=rng.randint(1, 2), hours=rng.randint(0, 5))
    agent = ctx.agents[r.territory]
    pair = m.pair(r, best, status, at, story, decided_by_id=agent.id, decided_at=ctx.past(decided),
                  **values)
    ctx.audit("match.approve", "match", pair.match.id, at=pair.match.decided_at, actor=agent,
              territory=r.territory, to=MatchStatus.APPROVED)
    return pair


def _active(ctx: Context, m: Matcher, r: Person, at: datetime, story: str,
            only: Person | None = None) -> DemoPair:
    accepted = at + timedelta(days=ctx.rng.randint(3, 5), hours=ctx.rng.randint(1, 8))
    pair = _decided(ctx, m, r, at, MatchStatus.ACTIVE, story, only, accepted_at=accepted)
    _accepted(ctx, pair)
    return pair


def _accepted(ctx: Context, pair: DemoPair) -> None:
    ctx.audit("match.accept", "match", pair.match.id, at=pair.match.accepted_at,
              actor=pair.volunteer.user, territory=pair.resident.territory, to=MatchStatus.ACTIVE)


def _approved(ctx: Context, m: Matcher, r: Person, at: datetime, only: Person) -> DemoPair:
    return _decided(ctx, m, r, at, MatchStatus.APPROVED, "approved", only)


def _ended(ctx: Context, m: Matcher, r: Person, at: datetime) -> DemoPair:
    ended_at = ctx.days_ago(40, 18)
    accepted = at + timedelta(days=4)
    pair = _decided(ctx, m, r, at, MatchStatus.ENDED, "ended", accepted_at=accepted,
                    ended_at=ended_at, closed_by_role=Role.VOLUNTEER.value,
                    status_reason="Nouveaux horaires de travail : plus disponible en semaine.")
    _accepted(ctx, pair)
    ctx.audit("match.end", "match", pair.match.id, at=ended_at, actor=pair.volunteer.user,
              territory=r.territory, to=MatchStatus.ENDED)
    r.profile.waiting_since = ended_at
    return pair


def _declined(ctx: Context, m: Matcher, r: Person, at: datetime) -> DemoPair:
    when = ctx.days_ago(11, 20)
    pair = _decided(ctx, m, r, at, MatchStatus.DECLINED, "declined", closed_by_role=Role.VOLUNTEER.value,
                    status_reason="Horaires finalement incompatibles avec mon nouveau travail.")
    pair.match.updated_at = when
    ctx.audit("match.decline", "match", pair.match.id, at=when, actor=pair.volunteer.user,
              territory=r.territory, to=MatchStatus.DECLINED)
    return pair


def load_visits(ctx: Context, pairs: list[DemoPair]) -> None:
    """Weekly visits in a shared slot: logged ones in the past, scheduled ones to come."""
    for pair in pairs:
        if pair.match.accepted_at is not None:
            _visits(ctx, pair)
    db.session.flush()  # concerns point at visits through a bare foreign key


def _occurrences(slot: str, first: date, last: date) -> list[date]:
    weekday = DAYS.index(slot.split("-")[0])
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    days = []
    while day <= last:
        days.append(day)
        day += timedelta(weeks=1)
    return days


def _visits(ctx: Context, pair: DemoPair) -> None:
    rng, match, story = ctx.rng, pair.match, pair.story
    # Drawn the same way for every pair whatever today's date, so later choices never shift.
    slot = rng.choice(slots_from_mask(match.shared_slots))
    kind = pair.resident.profile.visit_kind
    duration = rng.choice(DURATIONS[kind])
    draws = [(rng.random(), rng.random(), rng.randint(1, 5)) for _ in range(PAST_WEEKS)]
    series = uuid.UUID(int=rng.getrandbits(128), version=4)
    hour, minute = START_TIMES[slot.split("-")[1]]
    first = (match.accepted_at + timedelta(days=3)).astimezone(PARIS).date()
    if story == "ended":
        last = (match.ended_at - timedelta(days=1)).astimezone(PARIS).date()
    else:
        last = ctx.today - timedelta(days={"fading": 25, "missed": 5}.get(story, 1))
    past = _occurrences(slot, first, last)[-PAST_WEEKS:]
    volunteer = pair.volunteer.user
    previous = None
    for k, day in enumerate(past):
        outcome, mood_draw, delay = draws[k]
        starts = ctx.local(day, hour, minute)
        visit = Visit(id=uuid.uuid4(), match_id=match.id, starts_at=starts, duration_minutes=duration,
                      series_id=series, scheduled_by_id=volunteer.id,
                      created_at=match.accepted_at, status=VisitStatus.DONE)
        from_end = len(past) - k
        if story == "demo" and from_end == 3:
            visit.status, visit.cancel_reason = VisitStatus.CANCELLED, "Rendez-vous chez le médecin."
            visit.cancelled_at, visit.cancelled_by_id = starts - timedelta(days=2), pair.resident.user.id
        elif (story == "missed" and from_end <= 2) or (outcome > 0.93 and previous is not VisitStatus.MISSED):
            visit.status = VisitStatus.MISSED
            _log(ctx, pair, visit, None, data.MISSED_NOTES[1 if story == "missed" and from_end == 1 else 0],
                 starts + timedelta(minutes=duration, hours=delay))
        elif story == "worrying" and from_end == 1:
            _log(ctx, pair, visit, Mood.WORRYING, data.WORRYING_NOTE, ctx.now - timedelta(hours=3))
        else:
            good = mood_draw < 0.8
            notes = data.VISIT_NOTES[kind.value] if good else data.FAIR_NOTES
            _log(ctx, pair, visit, Mood.GOOD if good else Mood.FAIR,
                 notes[int(mood_draw * 1000) % len(notes)], starts + timedelta(minutes=duration, hours=delay))
        previous = visit.status
        pair.visits.append(visit)
    if story not in ("ended", "fading"):
        coming = _occurrences(slot, ctx.today + timedelta(days=1), ctx.today + timedelta(weeks=5))
        for k, day in enumerate(coming[:4 if story == "demo" else 3]):
            visit = Visit(id=uuid.uuid4(), match_id=match.id, starts_at=ctx.local(day, hour, minute),
                          duration_minutes=duration, series_id=series, scheduled_by_id=volunteer.id,
                          status=VisitStatus.SCHEDULED, created_at=ctx.days_ago(6, 19))
            if k == 0 and story in ("demo", "steady"):
                visit.resident_confirmed_at = ctx.days_ago(2, 11)
            pair.visits.append(visit)
    db.session.add_all(pair.visits)
    ctx.audit("visit.schedule", "match", match.id, at=match.accepted_at + timedelta(days=1),
              actor=volunteer, territory=pair.resident.territory, visits=len(pair.visits))


def _log(ctx: Context, pair: DemoPair, visit: Visit, mood: Mood | None, note: str, at: datetime) -> None:
    at = ctx.past(at)
    visit.log = VisitLog(mood=mood, note=note, logged_at=at, logged_by_id=pair.volunteer.user.id)
    ctx.audit("visit.log", "visit", visit.id, at=at, actor=pair.volunteer.user,
              territory=pair.resident.territory)
