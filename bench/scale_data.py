"""A large, realistic database for benchmarks: the demo's Pau agglomeration, a hundred times over.

Used by ``bench/agent_pages.py`` (``build(app)``); it is a bench tool, not part of the app.
Every choice comes from ``random.Random(seed)`` and every date is counted back from the moment
of the build, like the demo loader (:mod:`app.services.demo`), whose fixed material (names,
streets, notes, territories) it reuses. Rows are written with SQLAlchemy Core ``insert()``
in batches of :data:`BATCH` (not ORM objects one by one), in one transaction.

What it writes, with the default :class:`Scale` (about a minute on SQLite or PostgreSQL):

- the 31 communes of ``app/data/capbp-communes.csv`` (one neighbourhood each), the three
  territories of the demo, an administrator and one agent per territory;
- 20,000 residents (users + profiles, a fifth registered at the desk without a login; 86 %
  open, 4 % paused, 10 % closed, a few erased) and 12,000 volunteers (75 % approved, the rest
  applied, in review, suspended, rejected or gone), spread over the communes by population;
- vetting steps like the demo's (charter, identity, criminal record with its 12-month expiry
  and renewals, interview, training; some expired or expiring), one consent per person;
- pairs that respect the database's rules (one live pair per resident, a volunteer's capacity,
  same territory): about 8,000 active, some paused, proposed and approved, ended and refused;
- exactly :attr:`Scale.visits` visits in the last twelve months (and the next three weeks) on
  active, paused and ended pairs, with a log (done or missed, mood) for each past one;
- concerns (every worrying visit raises one, most closed since) with notes, referrals, matching
  runs, two campaigns per territory with their call lists, and about 50,000 audit entries.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import (
    AuditEntry,
    CallStatus,
    Campaign,
    CampaignCall,
    CampaignKind,
    Commune,
    Concern,
    ConcernNote,
    ConcernSource,
    ConcernStatus,
    ConsentMethod,
    ConsentRecord,
    Gender,
    Match,
    MatchingRun,
    MatchStatus,
    Mood,
    Neighbourhood,
    Referral,
    ReferralStatus,
    RequestStatus,
    ResidentProfile,
    Role,
    Severity,
    Territory,
    User,
    VettingKind,
    VettingStep,
    Visit,
    VisitKind,
    VisitLog,
    VisitStatus,
    VolunteerProfile,
    VolunteerStatus,
)
from app.models.availability import SLOTS
from app.security.passwords import hash_password
from app.services import vetting_summary
from app.services.demo import data
from app.services.demo.context import unique_email
from app.services.places import parse_communes, save_communes
from app.vocabulary import INTERESTS

#: Rows per INSERT batch.
BATCH = 5_000
#: E-mail domain of every bench account (never a real one).
DOMAIN = "bench.voisinage.fr"
#: Password of the staff accounts (and of every bench person with an e-mail).
PASSWORD = "voisinage-bench-2026"
#: Staff accounts: (e-mail local part, role, first name, last name, territory or None).
STAFF = (
    ("admin", Role.ADMIN, "Isabelle", "Laborde", None),
    ("agent.pau", Role.AGENT, "Sophie", "Casteran", "Pau"),
    ("agent.ouest", Role.AGENT, "Julien", "Lacrouts", "Couronne ouest"),
    ("agent.sud-est", Role.AGENT, "Nadia", "Benhamou", "Couronne sud-est"),
)
ADMIN_EMAIL = f"admin@{DOMAIN}"
PAU_AGENT_EMAIL = f"agent.pau@{DOMAIN}"


@dataclass(frozen=True)
class Scale:
    """How much to write."""

    residents: int = 20_000
    volunteers: int = 12_000
    visits: int = 200_000
    active_pairs: int = 8_000
    paused_pairs: int = 300
    proposed_pairs: int = 900
    approved_pairs: int = 300
    ended_pairs: int = 3_000
    refused_pairs: int = 500
    other_concerns: int = 900
    referrals: int = 600
    audit_entries: int = 50_000
    matching_runs: int = 24


@dataclass
class Person:
    """What later steps need to know about a resident or a volunteer."""

    user_id: uuid.UUID
    profile_id: uuid.UUID
    insee: str
    territory: str
    created: datetime
    availability: int
    interests: list[str]
    status: object
    kind: VisitKind | None = None
    #: Volunteers: when they were approved (None if never); residents: erased or not.
    approved_at: datetime | None = None
    erased: bool = False
    capacity: int = 1


@dataclass
class Pair:
    """A match being built."""

    id: uuid.UUID
    resident: Person
    volunteer: Person
    status: MatchStatus
    proposed_at: datetime
    accepted_at: datetime | None = None
    ended_at: datetime | None = None
    paused_at: datetime | None = None


@dataclass
class Built:
    """Ids the bench needs, and how long each step took."""

    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def build(scale: Scale = Scale(), seed: int = 2026, now: datetime | None = None,
          log=print) -> Built:
    """Write the whole database (in an app context, on migrated, empty tables)."""
    builder = _Builder(random.Random(seed), now or datetime.now(UTC), scale, log)
    return builder.run()


class _Builder:
    def __init__(self, rng: random.Random, now: datetime, scale: Scale, log):
        self.rng, self.now, self.scale, self.log = rng, now, scale, log
        self.built = Built()
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.communes = {}
        self.territory_of: dict[str, str] = {}
        self.territory_ids: dict[str, uuid.UUID] = {}
        self.neighbourhood_of: dict[str, uuid.UUID] = {}
        self.agents: dict[str | None, uuid.UUID] = {}
        self.residents: list[Person] = []
        self.volunteers: list[Person] = []
        self.pairs: list[Pair] = []
        self.emails: set[str] = set()
        self.phone_seq = 0

    # Helpers -------------------------------------------------------------------------------

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return start
        return start + (end - start) * self.rng.random()

    def phone(self) -> str:
        # The fiction block of the demo, then a counter: never a real line.
        self.phone_seq += 1
        return f"+33536{self.phone_seq:06d}"

    def email(self, first: str, last: str) -> str:
        return unique_email(first, last, DOMAIN, self.emails)

    def mask(self, weights: dict[str, float], low: int, high: int) -> int:
        slots = list(SLOTS)
        w = [weights[s.split("-")[1]] * (0.5 if s.startswith("sun") else 1) for s in slots]
        mask = 0
        for _ in range(self.rng.randint(low, high)):
            i = self.rng.choices(range(len(slots)), w)[0]
            mask |= 1 << SLOTS.index(slots[i])
        return mask

    def interests(self, low: int, high: int) -> list[str]:
        return sorted(self.rng.sample(list(INTERESTS), self.rng.randint(low, high)))

    def name(self, origins: dict[str, int], elder: bool):
        rng = self.rng
        origin = rng.choices(list(origins), list(origins.values()))[0]
        langs, old_w, old_m, young_w, young_m, lasts = data.ORIGINS[origin]
        female = rng.random() < (0.68 if elder else 0.6)
        pool = (old_w if female else old_m) if elder else (young_w if female else young_m)
        return rng.choice(pool), rng.choice(lasts), list(langs), female

    def stamp(self, name: str, started: float) -> None:
        self.built.timings[name] = time.perf_counter() - started

    # Steps ----------------------------------------------------------------------------------

    def run(self) -> Built:
        t = time.perf_counter()
        self.places()
        self.stamp("places", t)
        t = time.perf_counter()
        self.staff()
        self.people()
        self.vetting()
        self.matches()
        self.visits()
        self.concerns()
        self.referrals()
        self.campaigns()
        self.audit()
        self.stamp("generate", t)
        t = time.perf_counter()
        self.write()
        self.stamp("insert", t)
        return self.built

    def places(self) -> None:
        """The demo's communes and territories, through the app's own import."""
        text = resources.files("app.data").joinpath("capbp-communes.csv").read_text("utf-8")
        rows = parse_communes(text)
        save_communes(rows)
        self.communes = {row.insee_code: row for row in rows}
        for name, codes in data.TERRITORIES.items():
            territory = Territory(name=name)
            db.session.add(territory)
            db.session.flush()
            self.territory_ids[name] = territory.id
            for code in codes:
                self.territory_of[code] = name
        for commune in db.session.scalars(select(Commune)):
            commune.territory_id = self.territory_ids[self.territory_of[commune.insee_code]]
        for nb in db.session.scalars(select(Neighbourhood)):
            self.neighbourhood_of[nb.commune_insee] = nb.id
        db.session.commit()

    def staff(self) -> None:
        self.password_hash = hash_password(PASSWORD)
        for local, role, first, last, territory in STAFF:
            uid = uuid.uuid4()
            self.agents[territory] = uid
            self.rows["users"].append(self.user_row(
                uid, role, first, last, f"{local}@{DOMAIN}", self.ago(900),
                self.territory_ids[territory] if territory else None))

    def user_row(self, uid, role, first, last, email, created, territory_id=None,
                 erased: datetime | None = None) -> dict:
        return {"id": uid, "role": role, "email": email,
                "password_hash": self.password_hash if email else None,
                "first_name": first, "last_name": last, "phone": self.phone(),
                "territory_id": territory_id, "is_enabled": True, "locale": "fr",
                "last_login_at": None, "anonymised_at": erased, "created_at": created,
                "updated_at": erased or created}

    def people(self) -> None:
        rng, s = self.rng, self.scale
        codes = sorted(self.communes)
        r_weights = [self.communes[c].population ** 0.9 for c in codes]
        v_weights = [self.communes[c].population for c in codes]
        kinds = {VisitKind.HOME_CHAT: 50, VisitKind.WALK: 20, VisitKind.PHONE_CALL: 15,
                 VisitKind.ERRANDS: 15}
        for _ in range(s.residents):
            first, last, langs, _female = self.name(data.RESIDENT_ORIGINS, True)
            insee = rng.choices(codes, r_weights)[0]
            territory = self.territory_of[insee]
            # More recent sign-ups than old ones: the service grows.
            created = self.ago(rng.triangular(0, 1_100, 0) + rng.random())
            desk = rng.random() < 0.2
            email = None if desk else self.email(first, last)
            status = rng.choices([RequestStatus.OPEN, RequestStatus.PAUSED, RequestStatus.CLOSED],
                                 [86, 4, 10])[0]
            erased = (status is RequestStatus.CLOSED and rng.random() < 0.05
                      and created < self.ago(400))
            uid, pid = uuid.uuid4(), uuid.uuid4()
            row = self.user_row(uid, Role.RESIDENT, "Anonyme" if erased else first,
                                "" if erased else last, None if erased else email, created,
                                erased=self.ago(rng.randint(1, 300)) if erased else None)
            if erased:
                row["phone"] = None
            self.rows["users"].append(row)
            availability = self.mask({"am": 3, "pm": 4, "eve": 1}, 3, 8)
            interests = self.interests(1, 4)
            kind = rng.choices(list(kinds), list(kinds.values()))[0]
            changed = self.between(created, self.now) if status is not RequestStatus.OPEN else None
            self.rows["resident_profiles"].append({
                "id": pid, "user_id": uid,
                "address": "" if erased else self.address(insee),
                "postcode": self.communes[insee].postcodes[0], "visit_kind": kind,
                "volunteer_gender": rng.choices([None, Gender.FEMALE, Gender.MALE], [80, 15, 5])[0],
                "status": status, "waiting_since": created,
                "registered_by_id": self.agents[territory] if desk else None,
                "status_changed_at": changed,
                "status_reason": "Raison notée par l'agent." if changed else None,
                "availability": availability, "languages": langs, "interests": interests,
                "neighbourhood_id": self.neighbourhood_of[insee],
                "created_at": created, "updated_at": changed or created,
            })
            self.consent(uid, created, desk)
            self.residents.append(Person(uid, pid, insee, territory, created, availability,
                                         interests, status, kind=kind, erased=erased))
        states = {VolunteerStatus.APPROVED: 75, VolunteerStatus.APPLIED: 5,
                  VolunteerStatus.IN_REVIEW: 5, VolunteerStatus.SUSPENDED: 3,
                  VolunteerStatus.REJECTED: 5, VolunteerStatus.LEFT: 7}
        for _ in range(s.volunteers):
            first, last, langs, female = self.name(data.VOLUNTEER_ORIGINS, False)
            insee = rng.choices(codes, v_weights)[0]
            territory = self.territory_of[insee]
            status = rng.choices(list(states), list(states.values()))[0]
            if status is VolunteerStatus.APPLIED:
                created = self.ago(rng.uniform(0.2, 14))
            elif status is VolunteerStatus.IN_REVIEW:
                created = self.ago(rng.uniform(10, 50))
            else:
                created = self.ago(rng.triangular(45, 1_100, 60))
            uid, pid = uuid.uuid4(), uuid.uuid4()
            self.rows["users"].append(self.user_row(uid, Role.VOLUNTEER, first, last,
                                                    self.email(first, last), created))
            retired = rng.random() < 0.3
            availability = self.mask({"am": 3, "pm": 3, "eve": 1} if retired
                                     else {"am": 0.7, "pm": 1.5, "eve": 3}, 2, 7)
            interests = self.interests(2, 5)
            if rng.random() < 0.25 and "en" not in langs:
                langs.append("en")
            capacity = rng.choices((1, 2, 3), (45, 40, 15))[0]
            person = Person(uid, pid, insee, territory, created, availability, interests, status,
                            capacity=capacity)
            self.volunteers.append(person)
            self.rows["volunteer_profiles"].append({
                "id": pid, "user_id": uid,
                "max_km": float(rng.choice((3, 4, 5, 6, 8, 10) if insee == "64445"
                                           else (5, 6, 8, 10, 12, 15))),
                "capacity": capacity,
                "gender": None if rng.random() < 0.05 else Gender.FEMALE if female else Gender.MALE,
                "status": status, "status_changed_at": None, "status_changed_by_id": None,
                "status_reason": None, "charter_version": "2026-1",
                "charter_accepted_at": created, "calendar_token": None,
                "availability": availability, "languages": langs, "interests": interests,
                "neighbourhood_id": self.neighbourhood_of[insee],
                "created_at": created, "updated_at": created,
            })
            self.consent(uid, created, False)

    def address(self, insee: str) -> str:
        streets = data.PAU_STREETS if insee == "64445" else data.VILLAGE_STREETS
        return f"{self.rng.randint(1, 60)} {self.rng.choice(streets)}"

    def consent(self, user_id, at: datetime, desk: bool) -> None:
        self.rows["consent_records"].append({
            "id": uuid.uuid4(), "user_id": user_id, "purpose": "data_processing",
            "method": self.rng.choice((ConsentMethod.ORAL, ConsentMethod.SIGNED_FORM)) if desk
            else ConsentMethod.ONLINE,
            "given_by": "la personne", "given_at": at, "text_version": "2026-1",
            "recorded_by_id": None, "withdrawn_at": None})

    def vetting(self) -> None:
        """Steps and decisions like the demo's, dated after the sign-up."""
        rng, today = self.rng, self.now.date()
        profiles = {row["id"]: row for row in self.rows["volunteer_profiles"]}
        V = VolunteerStatus
        for person in self.volunteers:
            state, agent = person.status, self.agents[person.territory]
            if state is V.APPLIED:
                continue
            start = person.created.date()
            identity = start + timedelta(days=rng.randint(2, 10))
            record = identity + timedelta(days=rng.randint(1, 10))
            interview = record + timedelta(days=rng.randint(1, 10))
            training = interview + timedelta(days=rng.randint(3, 15))
            steps = [(VettingKind.CHARTER, identity), (VettingKind.IDENTITY, identity)]
            if state is not V.IN_REVIEW or record <= today:
                steps.append((VettingKind.CRIMINAL_RECORD, min(record, today)))
            if state is not V.IN_REVIEW:
                steps.append((VettingKind.INTERVIEW, min(interview, today)))
            if state in (V.APPROVED, V.SUSPENDED, V.LEFT):
                steps.append((VettingKind.TRAINING, min(training, today)))
                # The criminal record is renewed each year, a few weeks before it expires;
                # 4 % of the approved let it lapse (the "expired" queue), some renew late.
                renewed = min(record, today)
                while _add_year(renewed) < today + timedelta(days=rng.randint(-10, 60)):
                    if state is V.APPROVED and rng.random() < 0.04:
                        break
                    renewed = _add_year(renewed) - timedelta(days=rng.randint(5, 25))
                    if renewed > today:
                        break
                    steps.append((VettingKind.CRIMINAL_RECORD, renewed))
            for kind, day in steps:
                day = min(day, today)
                when = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
                when = min(when, self.now - timedelta(minutes=5))
                self.rows["vetting_steps"].append({
                    "id": uuid.uuid4(), "volunteer_id": person.profile_id, "kind": kind,
                    "done_on": day,
                    "expires_on": _add_year(day) if kind is VettingKind.CRIMINAL_RECORD else None,
                    "recorded_by_id": agent, "detail": f"Étape {kind.value}", "created_at": when})
            decided = min(datetime.combine(min(training, today), datetime.min.time(), UTC)
                          + timedelta(hours=11), self.now - timedelta(minutes=5))
            if state in (V.APPROVED, V.SUSPENDED, V.LEFT):
                person.approved_at = decided
            row = profiles[person.profile_id]
            row["status_changed_at"] = (self.between(decided, self.now)
                                        if state in (V.SUSPENDED, V.LEFT) else decided)
            row["status_changed_by_id"] = agent
            row["updated_at"] = row["status_changed_at"]
            if state in (V.REJECTED, V.SUSPENDED, V.LEFT):
                row["status_reason"] = "Décision notée par l'agent."

    def matches(self) -> None:
        """Live pairs within capacity and territory, then ended and refused ones."""
        rng, s = self.rng, self.scale
        by_territory = defaultdict(list)
        for r in self.residents:
            if r.status is RequestStatus.OPEN and not r.erased:
                by_territory[r.territory].append(r)
        places = defaultdict(list)
        for v in self.volunteers:
            if v.status is VolunteerStatus.APPROVED:
                places[v.territory].extend([v] * v.capacity)
        statuses = ([MatchStatus.ACTIVE] * s.active_pairs + [MatchStatus.PAUSED] * s.paused_pairs
                    + [MatchStatus.PROPOSED] * s.proposed_pairs
                    + [MatchStatus.APPROVED] * s.approved_pairs)
        for pool in places.values():
            rng.shuffle(pool)
        waiting = [r for pool in by_territory.values() for r in pool]
        rng.shuffle(waiting)
        used: set[uuid.UUID] = set()
        # Pairs that have visits need people who signed up (and were approved) weeks ago.
        old = iter([r for r in waiting if r.created < self.ago(20)])
        anyone = iter(waiting)

        def take(residents, before: datetime) -> tuple[Person, Person] | None:
            for r in residents:
                if r.profile_id in used:
                    continue
                pool = places[r.territory]
                for k in range(len(pool) - 1, max(-1, len(pool) - 300), -1):
                    if pool[k].approved_at <= before:
                        used.add(r.profile_id)
                        return r, pool.pop(k)
            return None

        for status in statuses:
            if status in (MatchStatus.ACTIVE, MatchStatus.PAUSED):
                found = take(old, self.ago(15))
                if found is None:
                    continue
                r, v = found
                base = max(r.created, v.approved_at) + timedelta(days=1)
                start = min(base + timedelta(days=rng.uniform(0, 40)), self.ago(6))
                pair = Pair(uuid.uuid4(), r, v, status, start,
                            accepted_at=start + timedelta(days=rng.uniform(2, 5)))
                if status is MatchStatus.PAUSED:
                    pair.paused_at = self.between(pair.accepted_at, self.now)
            else:
                found = take(anyone, self.ago(1))
                if found is None:
                    continue
                r, v = found
                start = max(self.ago(rng.uniform(0.5, 25)), r.created + timedelta(hours=1),
                            v.approved_at + timedelta(hours=1))
                pair = Pair(uuid.uuid4(), r, v, status, min(start, self.ago(0.2)))
            self.pairs.append(pair)
        live_by_resident = {p.resident.profile_id: p for p in self.pairs}
        # Ended pairs: before the resident's present pair, if any; the resident waits since.
        ended_candidates = [r for r in self.residents if not r.erased]
        approved_ever = defaultdict(list)
        for v in self.volunteers:
            if v.approved_at is not None:
                approved_ever[v.territory].append(v)
        last_end: dict[uuid.UUID, datetime] = {}
        made = attempts = 0
        while made < s.ended_pairs and attempts < s.ended_pairs * 20:
            attempts += 1
            r = rng.choice(ended_candidates)
            v = rng.choice(approved_ever[r.territory])
            start = max(r.created, v.approved_at) + timedelta(days=rng.uniform(1, 30))
            limit = live_by_resident[r.profile_id].proposed_at if r.profile_id in live_by_resident \
                else self.ago(5)
            limit = min(limit, self.ago(5))
            if r.profile_id in last_end:
                start = max(start, last_end[r.profile_id] + timedelta(days=5))
            if start + timedelta(days=40) >= limit:
                continue
            accepted = start + timedelta(days=rng.uniform(2, 6))
            ended = min(accepted + timedelta(days=rng.uniform(30, 330)), limit)
            self.pairs.append(Pair(uuid.uuid4(), r, v, MatchStatus.ENDED, start, accepted, ended))
            last_end[r.profile_id] = ended
            made += 1
        for r in self.residents:
            if r.profile_id in last_end and r.profile_id not in live_by_resident:
                self.resident_row(r)["waiting_since"] = last_end[r.profile_id]
        for _ in range(s.refused_pairs):
            r = rng.choice(ended_candidates)
            v = rng.choice(approved_ever[r.territory])
            start = self.between(max(r.created, v.approved_at), self.now)
            status = rng.choice((MatchStatus.REJECTED, MatchStatus.DECLINED, MatchStatus.WITHDRAWN))
            self.pairs.append(Pair(uuid.uuid4(), r, v, status, start))
        self.match_rows()

    def resident_row(self, r: Person) -> dict:
        if not hasattr(self, "_resident_rows"):
            self._resident_rows = {row["id"]: row for row in self.rows["resident_profiles"]}
        return self._resident_rows[r.profile_id]

    def match_rows(self) -> None:
        rng, s = self.rng, self.scale
        runs = []
        for i in range(s.matching_runs):
            run_id = uuid.uuid4()
            territory = rng.choice([None, *self.territory_ids])
            runs.append((run_id, self.ago(i * 15 + rng.uniform(0, 10))))
            self.rows["matching_runs"].append({
                "id": run_id, "started_at": runs[-1][1],
                "run_by_id": self.agents[territory],
                "territory_id": self.territory_ids[territory] if territory else None,
                "weights": {"waiting": 40.0, "distance": 25.0, "slots": 20.0, "interests": 15.0},
                "residents_considered": rng.randint(200, 9000),
                "volunteers_considered": rng.randint(100, 6000),
                "matched": rng.randint(10, 400), "total_score": rng.uniform(1e3, 3e4)})
        for p in self.pairs:
            shared = p.resident.availability & p.volunteer.availability
            if not shared:
                shared = 1 << rng.randrange(len(SLOTS))
            parts = [rng.uniform(5, 40), rng.uniform(5, 25), rng.uniform(3, 20), rng.uniform(0, 15)]
            run = next((run_id for run_id, at in runs if at <= p.proposed_at), None)
            agent = self.agents[p.resident.territory]
            decided = (p.proposed_at + timedelta(hours=rng.uniform(2, 40))
                       if p.status not in (MatchStatus.PROPOSED, MatchStatus.WITHDRAWN) else None)
            if decided is not None:
                decided = min(decided, self.now - timedelta(minutes=10))
            ended = p.ended_at
            if p.status in (MatchStatus.REJECTED, MatchStatus.DECLINED, MatchStatus.WITHDRAWN):
                ended = None
            closed_by = {MatchStatus.ENDED: rng.choice(("volunteer", "resident", "agent")),
                         MatchStatus.DECLINED: "volunteer", MatchStatus.REJECTED: "agent",
                         MatchStatus.WITHDRAWN: "agent"}.get(p.status)
            self.rows["matches"].append({
                "id": p.id, "resident_id": p.resident.profile_id,
                "volunteer_id": p.volunteer.profile_id, "status": p.status, "run_id": run,
                "score": round(sum(parts), 1), "part_waiting": parts[0],
                "part_distance": parts[1], "part_slots": parts[2], "part_interests": parts[3],
                "distance_km": round(rng.uniform(0.2, 9), 2), "shared_slots": shared,
                "shared_interests": sorted(set(p.resident.interests) & set(p.volunteer.interests)),
                "decided_by_id": agent if decided else None, "decided_at": decided,
                "accepted_at": p.accepted_at, "ended_at": ended,
                "status_reason": "Raison notée." if closed_by else None,
                "closed_by_role": closed_by, "created_at": p.proposed_at,
                "updated_at": max(t for t in (p.proposed_at, decided, p.accepted_at, ended,
                                              p.paused_at) if t is not None),
            })

    def visits(self) -> None:
        """Weekly visits in a shared slot, sampled down to exactly the scale's count."""
        rng, target = self.rng, self.scale.visits
        window_start, window_end = self.ago(365), self.now + timedelta(days=21)
        candidates = []  # (pair index, start)
        for i, p in enumerate(self.pairs):
            if p.accepted_at is None:
                continue
            first = max(p.accepted_at + timedelta(days=3), window_start)
            last = p.ended_at or p.paused_at or window_end
            # A weekly slot at a Paris-like local hour (UTC here, good enough for a bench).
            hour = rng.choice((8, 9, 13, 14, 16))
            day = first.replace(hour=hour, minute=0, second=0, microsecond=0)
            while day < last:
                candidates.append((i, day))
                day += timedelta(days=7)
        if len(candidates) < target:
            raise RuntimeError(f"only {len(candidates)} possible visits for {target} wanted")
        chosen = sorted(rng.sample(range(len(candidates)), target))
        series = {}
        self.worrying: list[tuple[Pair, uuid.UUID, datetime]] = []
        notes = [n for values in data.VISIT_NOTES.values() for n in values]
        for index in chosen:
            i, starts = candidates[index]
            p = self.pairs[i]
            vid = uuid.uuid4()
            duration = rng.choice((30, 60, 60, 90))
            row = {"id": vid, "match_id": p.id, "starts_at": starts, "duration_minutes": duration,
                   "status": VisitStatus.SCHEDULED,
                   "series_id": series.setdefault(p.id, uuid.uuid4()),
                   "scheduled_by_id": p.volunteer.user_id, "resident_confirmed_at": None,
                   "cancelled_at": None, "cancelled_by_id": None, "cancel_reason": None,
                   "created_at": min(max(starts - timedelta(days=28), p.accepted_at), self.now),
                   "updated_at": None}
            if starts > self.now:
                if rng.random() < 0.3:
                    row["resident_confirmed_at"] = self.ago(rng.uniform(0, 2))
            else:
                status = rng.choices([VisitStatus.DONE, VisitStatus.MISSED, VisitStatus.CANCELLED],
                                     [86, 6, 8])[0]
                row["status"] = status
                if status is VisitStatus.CANCELLED:
                    row["cancelled_at"] = starts - timedelta(days=rng.uniform(0.2, 3))
                    row["cancelled_by_id"] = rng.choice((p.resident.user_id, p.volunteer.user_id))
                    row["cancel_reason"] = "Rendez-vous chez le médecin."
                else:
                    logged = min(starts + timedelta(minutes=duration, hours=rng.uniform(0.5, 30)),
                                 self.now - timedelta(minutes=5))
                    mood = None
                    if status is VisitStatus.DONE:
                        mood = rng.choices([Mood.GOOD, Mood.FAIR, Mood.WORRYING], [82, 17, 1])[0]
                    note = (data.WORRYING_NOTE if mood is Mood.WORRYING
                            else rng.choice(data.MISSED_NOTES) if mood is None
                            else rng.choice(notes) if mood is Mood.GOOD
                            else rng.choice(data.FAIR_NOTES))
                    self.rows["visit_logs"].append({
                        "id": uuid.uuid4(), "visit_id": vid, "mood": mood, "note": note,
                        "logged_at": logged, "logged_by_id": p.volunteer.user_id})
                    if mood is Mood.WORRYING:
                        self.worrying.append((p, vid, logged))
            row["updated_at"] = row["cancelled_at"] or row["created_at"]
            self.rows["visits"].append(row)

    def concerns(self) -> None:
        """A concern for every worrying visit (most closed since), and others of every kind."""
        rng = self.rng
        due_after = {Severity.HIGH: timedelta(days=1), Severity.MEDIUM: timedelta(days=3),
                     Severity.LOW: timedelta(days=7)}
        items = [(p, vid, logged, ConcernSource.VISIT_LOG, Severity.HIGH, True)
                 for p, vid, logged in self.worrying]
        with_visits = [p for p in self.pairs if p.accepted_at is not None]
        for _ in range(self.scale.other_concerns):
            p = rng.choice(with_visits)
            raised = self.between(max(p.accepted_at, self.ago(400)), p.ended_at or self.now)
            source = rng.choice((ConcernSource.VOLUNTEER, ConcernSource.RESIDENT,
                                 ConcernSource.AGENT))
            items.append((p, None, raised, source,
                          rng.choice((Severity.LOW, Severity.MEDIUM, Severity.HIGH)),
                          source is not ConcernSource.RESIDENT or rng.random() < 0.3))
        for p, vid, raised, source, severity, about_resident in items:
            age = (self.now - raised).days
            agent = self.agents[p.resident.territory]
            if age > 12:
                status = ConcernStatus.CLOSED if rng.random() < 0.96 else ConcernStatus.IN_PROGRESS
            else:
                status = rng.choice((ConcernStatus.OPEN, ConcernStatus.IN_PROGRESS,
                                     ConcernStatus.CLOSED))
            closed = (min(raised + timedelta(days=rng.uniform(0.5, 8)), self.now)
                      if status is ConcernStatus.CLOSED else None)
            due = raised + due_after[severity]
            cid = uuid.uuid4()
            raised_by = {ConcernSource.VISIT_LOG: p.volunteer.user_id,
                         ConcernSource.VOLUNTEER: p.volunteer.user_id,
                         ConcernSource.RESIDENT: p.resident.user_id,
                         ConcernSource.AGENT: agent}[source]
            self.rows["concerns"].append({
                "id": cid, "resident_id": p.resident.profile_id if about_resident else None,
                "volunteer_id": None if about_resident else p.volunteer.profile_id,
                "match_id": p.id, "visit_id": vid, "source": source, "severity": severity,
                "status": status, "raised_by_id": raised_by,
                "owner_id": agent if status is not ConcernStatus.OPEN or rng.random() < 0.3
                else None,
                "description": "Visite notée « inquiétante »." if vid else
                "Inquiétude signalée au sujet du binôme.",
                "due_at": due,
                "escalated_at": due if status is not ConcernStatus.CLOSED and due < self.now
                else None,
                "closed_at": closed, "created_at": raised, "updated_at": closed or raised})
            if status is not ConcernStatus.OPEN:
                self.rows["concern_notes"].append({
                    "id": uuid.uuid4(), "concern_id": cid, "author_id": agent,
                    "body": "Appel à la personne : à suivre.",
                    "created_at": min(raised + timedelta(hours=rng.uniform(1, 20)), self.now)})
            if closed:
                self.rows["concern_notes"].append({
                    "id": uuid.uuid4(), "concern_id": cid, "author_id": agent,
                    "body": "Situation réglée.", "created_at": closed})

    def referrals(self) -> None:
        rng = self.rng
        codes = sorted(self.communes)
        weights = [self.communes[c].population for c in codes]
        for i in range(self.scale.referrals):
            first, last, _langs, _female = self.name(data.RESIDENT_ORIGINS, True)
            insee = rng.choices(codes, weights)[0]
            pending = i % 4 == 0
            created = self.ago(rng.uniform(0.1, 30) if pending else rng.uniform(5, 500))
            status = ReferralStatus.PENDING if pending else rng.choice(
                (ReferralStatus.CONVERTED, ReferralStatus.DECLINED, ReferralStatus.UNREACHABLE))
            handled = None if pending else min(created + timedelta(days=rng.uniform(1, 10)),
                                               self.now)
            self.rows["referrals"].append({
                "id": uuid.uuid4(), "first_name": first, "last_name": last,
                "phone": self.phone(), "email": None, "address": None, "commune_insee": insee,
                "reason": "Vit seul·e et ne sort plus.", "person_agreed": True,
                "referrer_name": "Un voisin", "referrer_relation": "voisin",
                "referrer_phone": self.phone(), "referrer_email": None, "status": status,
                "handled_by_id": None if pending else self.agents[self.territory_of[insee]],
                "handled_at": handled, "resident_user_id": None,
                "outcome_note": None if pending else "Issue notée.",
                "created_at": created, "updated_at": handled or created})

    def campaigns(self) -> None:
        """Per territory: last summer's heat-wave campaign (closed, all called), a cold one open."""
        rng = self.rng
        callable_by = defaultdict(list)
        for r in self.residents:
            if r.status in (RequestStatus.OPEN, RequestStatus.PAUSED) and not r.erased:
                callable_by[r.territory].append(r)
        for territory, tid in self.territory_ids.items():
            agent = self.agents[territory]
            for kind, name, created, closed, called in (
                (CampaignKind.HEATWAVE, "Canicule juillet", self.ago(150), self.ago(120), 1.0),
                (CampaignKind.COLD, "Grand froid", self.ago(10), None, 0.35),
            ):
                cid = uuid.uuid4()
                self.rows["campaigns"].append({
                    "id": cid, "kind": kind, "name": name, "territory_id": tid,
                    "created_by_id": agent, "closed_at": closed, "created_at": created,
                    "updated_at": closed or created})
                for r in callable_by[territory]:
                    done = rng.random() < called
                    status = (rng.choices([CallStatus.REACHED, CallStatus.NOT_REACHED,
                                           CallStatus.VISIT_NEEDED], [85, 13, 2])[0]
                              if done else CallStatus.PENDING)
                    self.rows["campaign_calls"].append({
                        "id": uuid.uuid4(), "campaign_id": cid, "resident_id": r.profile_id,
                        "status": status, "note": None,
                        "called_by_id": agent if done else None,
                        "called_at": self.between(created, closed or self.now) if done else None})

    def audit(self) -> None:
        """About 50,000 entries on real records, dated over the last year and a half."""
        rng = self.rng
        tid = self.territory_ids
        residents = self.residents
        volunteers = self.volunteers
        pairs = self.pairs
        visits = self.rows["visits"]
        pair_by_id = {p.id: p for p in self.pairs}
        concerns = self.rows["concerns"]
        kinds = [  # (action, weight, picker -> (object_type, object_id, territory, actor, role))
            ("resident.register", 8, lambda: self._on_person(rng.choice(residents), "resident")),
            ("resident.view", 10, lambda: self._by_agent(rng.choice(residents), "resident")),
            ("volunteer.apply", 5, lambda: self._on_person(rng.choice(volunteers), "volunteer")),
            ("volunteer.view", 6, lambda: self._by_agent(rng.choice(volunteers), "volunteer")),
            ("vetting.step", 10, lambda: self._by_agent(rng.choice(volunteers), "volunteer")),
            ("vetting.approve", 3, lambda: self._by_agent(rng.choice(volunteers), "volunteer")),
            ("match.approve", 5, lambda: self._on_pair(rng.choice(pairs), agent=True)),
            ("match.accept", 4, lambda: self._on_pair(rng.choice(pairs), agent=False)),
            ("match.end", 1, lambda: self._on_pair(rng.choice(pairs), agent=False)),
            ("visit.schedule", 6, lambda: self._on_pair(rng.choice(pairs), agent=False)),
            ("visit.log", 30, lambda: self._on_visit(rng.choice(visits), pair_by_id)),
            ("visit.cancel", 3, lambda: self._on_visit(rng.choice(visits), pair_by_id)),
            ("concern.raise", 2, lambda: self._on_concern(rng.choice(concerns))),
            ("concern.close", 2, lambda: self._on_concern(rng.choice(concerns))),
            ("export.residents", 0.2, lambda: ("file", "habitants.csv", None, None, None)),
            ("matching.run", 0.3, lambda: ("matching_run", str(uuid.uuid4()), None, None, None)),
        ]
        weights = [k[1] for k in kinds]
        entries = []
        for _ in range(self.scale.audit_entries):
            action, _w, pick = rng.choices(kinds, weights)[0]
            object_type, object_id, territory, actor, role = pick()
            if actor is None and role is None:
                actor, role = self.agents[None], "admin"
                territory = territory or rng.choice(list(tid))
            entries.append({
                "at": self.ago(rng.triangular(0, 540, 0) + rng.random() / 10),
                "actor_id": actor, "actor_role": role, "action": action,
                "object_type": object_type, "object_id": str(object_id),
                "territory_id": tid[territory] if territory else None,
                "detail": {"bench": True}})
        entries.sort(key=lambda e: e["at"])
        self.rows["audit_entries"] = entries

    def _on_person(self, person: Person, kind: str):
        role = "resident" if kind == "resident" else "volunteer"
        return kind, person.profile_id, person.territory, person.user_id, role

    def _by_agent(self, person: Person, kind: str):
        return kind, person.profile_id, person.territory, self.agents[person.territory], "agent"

    def _on_pair(self, pair: Pair, agent: bool):
        if agent:
            return "match", pair.id, pair.resident.territory, self.agents[pair.resident.territory], \
                "agent"
        return "match", pair.id, pair.resident.territory, pair.volunteer.user_id, "volunteer"

    def _on_visit(self, visit: dict, pair_by_id):
        pair = pair_by_id[visit["match_id"]]
        return "visit", visit["id"], pair.resident.territory, pair.volunteer.user_id, "volunteer"

    def _on_concern(self, concern: dict):
        territory = self._pair_of(concern["match_id"]).resident.territory
        return "concern", concern["id"], territory, self.agents[territory], "agent"

    def _pair_of(self, match_id):
        if not hasattr(self, "_pairs_by_id"):
            self._pairs_by_id = {p.id: p for p in self.pairs}
        return self._pairs_by_id[match_id]

    # Writing --------------------------------------------------------------------------------

    ORDER = (
        ("users", User), ("resident_profiles", ResidentProfile),
        ("volunteer_profiles", VolunteerProfile), ("consent_records", ConsentRecord),
        ("vetting_steps", VettingStep), ("matching_runs", MatchingRun), ("matches", Match),
        ("visits", Visit), ("visit_logs", VisitLog), ("concerns", Concern),
        ("concern_notes", ConcernNote), ("referrals", Referral), ("campaigns", Campaign),
        ("campaign_calls", CampaignCall), ("audit_entries", AuditEntry),
    )

    def write(self) -> None:
        """Every table in foreign-key order, BATCH rows per INSERT, in one transaction."""
        with db.engine.begin() as conn:
            for name, model in self.ORDER:
                rows = self.rows.get(name, [])
                started = time.perf_counter()
                for i in range(0, len(rows), BATCH):
                    conn.execute(insert(model.__table__), rows[i:i + BATCH])
                self.built.counts[name] = len(rows)
                self.built.timings[f"insert {name}"] = time.perf_counter() - started
                if model is VettingStep:
                    # Core inserts skip the flush hook that keeps each volunteer's summary.
                    conn.execute(vetting_summary.refresh_statement())


def _add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def counts() -> dict[str, int]:
    """Rows of the main tables, as the database holds them."""
    tables = {"residents": ResidentProfile, "volunteers": VolunteerProfile, "matches": Match,
              "visits": Visit, "visit logs": VisitLog, "concerns": Concern,
              "audit entries": AuditEntry, "vetting steps": VettingStep}
    return {name: db.session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in tables.items()}


def live_pairs_by_status() -> dict[str, int]:
    """How many pairs each status holds."""
    return {status.value: n for status, n in db.session.execute(
        select(Match.status, func.count()).group_by(Match.status))}


__all__ = ["ADMIN_EMAIL", "PASSWORD", "PAU_AGENT_EMAIL", "Scale", "build", "counts"]
