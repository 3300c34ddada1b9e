"""Places, staff, residents and volunteers (with their vetting) of the demo."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Commune,
    ConsentMethod,
    ConsentRecord,
    Gender,
    Neighbourhood,
    RequestStatus,
    Role,
    Territory,
    User,
    VettingKind,
    VettingStep,
    VisitKind,
    VolunteerStatus,
)
from app.models.availability import DAYS, PERIODS, mask_from_slots
from app.services import accounts
from app.services.demo import data
from app.services.demo.context import Context, Person, backdate_pending_audit, weighted_sample
from app.services.places import parse_communes, save_communes
from app.services.vetting import VALIDITY_MONTHS, add_months
from app.services.visits import PARIS
from app.vocabulary import INTERESTS

RESIDENTS = 60
#: Residents registered at the desk or by phone, with no login (about 20 %).
DESK_RESIDENTS = 12

#: The demo resident and volunteer who log in: a pair that works, in Pau.
HABITANT = dict(first="Jeanne", last="Lassalle", email=f"habitant@{data.DOMAIN}", female=True,
                insee="64445", days=120, langs=("fr", "oc"),
                slots=("mon-am", "tue-pm", "thu-am", "thu-pm", "sat-am"),
                interests=("gardening", "history", "reading"))
BENEVOLE = dict(first="Camille", last="Bordenave", email=f"benevole@{data.DOMAIN}", female=True,
                insee="64445", days=300, langs=("en", "fr"),
                slots=("tue-pm", "thu-am", "sat-am", "wed-eve", "sun-pm"),
                interests=("cinema", "gardening", "history", "walking"))

#: The forty volunteers' states, the first one being the demo volunteer's.
VOLUNTEER_STATES = ([VolunteerStatus.APPROVED] * 32 + [VolunteerStatus.APPLIED] * 3
                    + [VolunteerStatus.IN_REVIEW] * 3
                    + [VolunteerStatus.SUSPENDED, VolunteerStatus.REJECTED])
SIGNUP_DAYS = {  # how long ago volunteers of each state signed up
    VolunteerStatus.APPROVED: (45, 560), VolunteerStatus.APPLIED: (1, 12),
    VolunteerStatus.IN_REVIEW: (14, 45), VolunteerStatus.SUSPENDED: (395, 410),
    VolunteerStatus.REJECTED: (60, 150),
}
VISIT_KINDS = {VisitKind.HOME_CHAT: 50, VisitKind.WALK: 20, VisitKind.PHONE_CALL: 15,
               VisitKind.ERRANDS: 15}
#: Interests, with how common they are among residents and volunteers.
RESIDENT_INTERESTS = {"reading": 5, "walking": 4, "cooking": 4, "gardening": 4, "music": 3,
                      "games": 4, "cinema": 3, "history": 3, "crafts": 2, "sport": 1,
                      "nature": 2, "technology": 1, "news": 4, "animals": 2}
VOLUNTEER_INTERESTS = {**RESIDENT_INTERESTS, "sport": 3, "technology": 3, "cinema": 4}


def load_places(ctx: Context) -> None:
    """The 31 communes of the CSV (one neighbourhood each) and the three territories."""
    text = resources.files("app.data").joinpath("capbp-communes.csv").read_text("utf-8")
    rows = parse_communes(text)
    save_communes(rows)
    ctx.communes = {row.insee_code: row for row in rows}
    for name, codes in data.TERRITORIES.items():
        for code in codes:
            ctx.territory_of[code] = name
    listed = [code for codes in data.TERRITORIES.values() for code in codes]
    if len(listed) != len(set(listed)) or set(listed) != set(ctx.communes):
        raise RuntimeError("every demo commune must belong to exactly one territory")
    existing = {t.name: t for t in db.session.scalars(select(Territory))}
    for name in data.TERRITORIES:
        ctx.territories[name] = existing.get(name) or Territory(name=name)
        db.session.add(ctx.territories[name])
    db.session.flush()
    for commune in db.session.scalars(select(Commune).where(Commune.insee_code.in_(ctx.communes))):
        commune.territory_id = ctx.territories[ctx.territory_of[commune.insee_code]].id
    # One neighbourhood per commune: the one named after it (save_communes made it) or the first.
    for nb in db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)):
        if nb.commune_insee in ctx.communes and (
                nb.commune_insee not in ctx.neighbourhoods or nb.name == ctx.communes[nb.commune_insee].name):
            ctx.neighbourhoods[nb.commune_insee] = nb


def load_staff(ctx: Context) -> None:
    """The administrator and one agent per territory."""
    for local, role, first, last, territory in data.STAFF:
        user = accounts.create_user(Role(role), accounts.Identity(
            first_name=first, last_name=last, email=f"{local}@{data.DOMAIN}", phone=ctx.phone()))
        user.password_hash = ctx.password_hash
        user.territory_id = ctx.territory_id(territory)
        user.created_at = ctx.days_ago(720)
        ctx.emails.add(user.email)
        ctx.agents[territory] = user
        ctx.audit("user.create", "user", user.id, at=user.created_at, actor=None,
                  territory=territory, role=role)


def _commune_weights(ctx: Context, exponent: float) -> tuple[list[str], list[float]]:
    """Communes weighted by population; an exponent below 1 spreads people into the villages."""
    codes = sorted(ctx.communes)
    return codes, [ctx.communes[c].population ** exponent for c in codes]


def _name(ctx: Context, origins: dict[str, int], elder: bool, taken: set[str]):
    """(first, last, languages, female) of someone new, never a full name already used."""
    rng = ctx.rng
    while True:
        origin = rng.choices(list(origins), list(origins.values()))[0]
        langs, old_w, old_m, young_w, young_m, lasts = data.ORIGINS[origin]
        female = rng.random() < (0.68 if elder else 0.6)
        pool = (old_w if female else old_m) if elder else (young_w if female else young_m)
        first, last = rng.choice(pool), rng.choice(lasts)
        if f"{first} {last}" not in taken:
            taken.add(f"{first} {last}")
            return first, last, list(langs), female


def _slots(ctx: Context, weights: dict[str, float], low: int, high: int) -> list[str]:
    slots = [f"{d}-{p}" for d in DAYS for p in PERIODS]
    k = ctx.rng.randint(low, high)
    return weighted_sample(ctx.rng, slots, [weights[s.split("-")[1]] * (0.5 if s.startswith("sun") else 1)
                                            for s in slots], k)


def _interests(ctx: Context, weights: dict[str, int], low: int, high: int) -> list[str]:
    codes = [c for c in INTERESTS if c in weights]
    return sorted(weighted_sample(ctx.rng, codes, [weights[c] for c in codes],
                                  ctx.rng.randint(low, high)))


def _address(ctx: Context, insee: str) -> str:
    streets = data.PAU_STREETS if insee == "64445" else data.VILLAGE_STREETS
    number = ctx.rng.randint(1, 60 if insee == "64445" else 30)
    suffix = " bis" if ctx.rng.random() < 0.08 else ""
    return f"{number}{suffix} {ctx.rng.choice(streets)}"


def load_residents(ctx: Context, taken: set[str]) -> None:
    """Sixty residents: most signed up online, a fifth registered at the desk with no login."""
    rng = ctx.rng
    codes, weights = _commune_weights(ctx, 0.9)
    desk = set(rng.sample(range(1, RESIDENTS), DESK_RESIDENTS))
    for i in range(RESIDENTS):
        if i == 0:
            h = HABITANT
            first, last, langs, insee, days = h["first"], h["last"], list(h["langs"]), h["insee"], h["days"]
            slots, interests, email = list(h["slots"]), list(h["interests"]), h["email"]
            taken.add(f"{first} {last}")
            kind, wish, address, has_phone = VisitKind.HOME_CHAT, None, "12 rue Castetnau", True
            ctx.emails.add(email)
        else:
            first, last, langs, _ = _name(ctx, data.RESIDENT_ORIGINS, True, taken)
            insee = rng.choices(codes, weights)[0]
            days = rng.randint(0, 200)
            slots = _slots(ctx, {"am": 3, "pm": 4, "eve": 1}, 3, 8)
            interests = _interests(ctx, RESIDENT_INTERESTS, 1, 4)
            kind = rng.choices(list(VISIT_KINDS), list(VISIT_KINDS.values()))[0]
            wish = rng.choices([None, Gender.FEMALE, Gender.MALE], [80, 15, 5])[0]
            address = _address(ctx, insee)
            has_phone = i in desk or rng.random() < 0.85
            email = None if i in desk else ctx.email(first, last)
        signed_up = ctx.days_ago(days, 9 + rng.randint(0, 8), rng.choice((0, 15, 30, 45)))
        agent = ctx.agents[ctx.territory_of[insee]] if i in desk else None
        relative = rng.choice(data.RELATIVES) if rng.random() < 0.35 else None
        user = accounts.register_resident(
            accounts.Identity(first_name=first, last_name=last, email=email,
                              phone=ctx.phone() if has_phone else None),
            accounts.Preferences(ctx.neighbourhoods[insee].id, mask_from_slots(slots), langs, interests),
            address=address, postcode=ctx.communes[insee].postcodes[0], visit_kind=kind,
            volunteer_gender=wish, registered_by=agent,
            consent_method=rng.choice((ConsentMethod.ORAL, ConsentMethod.SIGNED_FORM)) if agent
            else ConsentMethod.ONLINE,
            consent_given_by=f"{relative}, pour {first} {last}" if agent and relative else None,
        )
        backdate_pending_audit(signed_up)
        if email:
            user.password_hash = ctx.password_hash
        profile = user.resident_profile
        user.created_at = profile.created_at = profile.waiting_since = signed_up
        ctx.residents.append(Person(f"r{i:02d}", user, profile, insee, ctx.territory_of[insee], signed_up))


def load_volunteers(ctx: Context, taken: set[str]) -> None:
    """Forty volunteers in every vetting state, most of them approved."""
    rng = ctx.rng
    codes, weights = _commune_weights(ctx, 1.0)
    states = [VOLUNTEER_STATES[0], *rng.sample(VOLUNTEER_STATES[1:], len(VOLUNTEER_STATES) - 1)]
    for i, state in enumerate(states):
        retired = rng.random() < 0.3
        if i == 0:
            b = BENEVOLE
            first, last, langs, female = b["first"], b["last"], list(b["langs"]), b["female"]
            insee, days, slots, interests = b["insee"], b["days"], list(b["slots"]), list(b["interests"])
            max_km, capacity, email = 8.0, 2, b["email"]
            taken.add(f"{first} {last}")
            ctx.emails.add(email)
        else:
            first, last, langs, female = _name(ctx, data.VOLUNTEER_ORIGINS, False, taken)
            insee = rng.choices(codes, weights)[0]
            days = rng.randint(*SIGNUP_DAYS[state])
            pattern = {"am": 3, "pm": 3, "eve": 1} if retired else {"am": 0.7, "pm": 1.5, "eve": 3}
            slots = _slots(ctx, pattern, 2, 7)
            if rng.random() < 0.25 and "en" not in langs:
                langs.append("en")
            interests = _interests(ctx, VOLUNTEER_INTERESTS, 2, 5)
            choices = (3, 4, 5, 6, 8, 10) if insee == "64445" else (5, 6, 8, 10, 12, 15)
            max_km = float(rng.choice(choices))
            capacity = rng.choices((1, 2, 3), (45, 40, 15))[0]
            email = ctx.email(first, last)
        gender = None if rng.random() < 0.05 and i else Gender.FEMALE if female else Gender.MALE
        signed_up = ctx.days_ago(days, 12 + rng.randint(0, 9), rng.choice((0, 20, 40)))
        user = accounts.register_volunteer(
            accounts.Identity(first_name=first, last_name=last, email=email, phone=ctx.phone()),
            accounts.Preferences(ctx.neighbourhoods[insee].id, mask_from_slots(slots), langs, interests),
            max_km=max_km, capacity=capacity, gender=gender,
        )
        backdate_pending_audit(signed_up)
        user.password_hash = ctx.password_hash
        profile = user.volunteer_profile
        user.created_at = profile.created_at = profile.charter_accepted_at = signed_up
        person = Person(f"v{i:02d}", user, profile, insee, ctx.territory_of[insee], signed_up)
        ctx.volunteers.append(person)
        _vet(ctx, person, state)


def _vet(ctx: Context, person: Person, state: VolunteerStatus) -> None:
    """Vetting steps dated after the sign-up, recorded by the territory's agent, and decisions.

    Like the vetting service: the charter counts as accepted from sign-up (an applicant has no
    step yet); the first step an agent records starts the review; codes "vetting.step" and
    "vetting.<decision>" in the audit log.
    """
    rng, profile = ctx.rng, person.profile
    agent = ctx.agents[person.territory]
    start = person.signed_up.astimezone(PARIS).date()
    identity = start + timedelta(days=rng.randint(2, 10))
    record = identity + timedelta(days=rng.randint(1, 10))
    interview = record + timedelta(days=rng.randint(1, 10))
    training = interview + timedelta(days=rng.randint(3, 15))
    renewal_early = rng.randint(5, 25)
    document = rng.choice(("Carte nationale d'identité", "Passeport", "Titre de séjour"))
    place = rng.choice(("au CCAS", "en mairie", "par visioconférence"))
    if state is VolunteerStatus.APPLIED:
        return
    steps = [(VettingKind.CHARTER, identity, f"Charte {profile.charter_version}, acceptée en ligne"),
             (VettingKind.IDENTITY, identity, document)]
    if state is not VolunteerStatus.IN_REVIEW or record <= ctx.today:
        steps.append((VettingKind.CRIMINAL_RECORD, record, "Bulletin n°3 présenté"))
    if state is not VolunteerStatus.IN_REVIEW:
        steps.append((VettingKind.INTERVIEW, interview, f"Entretien {place}"))
    if state in (VolunteerStatus.APPROVED, VolunteerStatus.SUSPENDED):
        steps.append((VettingKind.TRAINING, training, "Formation initiale (3 h)"))
    for kind, day, detail in steps:
        _step(ctx, person, kind, day, agent, detail)
    expires = add_months(record, VALIDITY_MONTHS[VettingKind.CRIMINAL_RECORD])
    if state is VolunteerStatus.APPROVED and expires < ctx.today:
        _step(ctx, person, VettingKind.CRIMINAL_RECORD, expires - timedelta(days=renewal_early),
              agent, "Bulletin n°3 renouvelé")
    decisions = [("start_review", VolunteerStatus.IN_REVIEW, identity, None)]
    if state in (VolunteerStatus.APPROVED, VolunteerStatus.SUSPENDED):
        decisions.append(("approve", VolunteerStatus.APPROVED, training, None))
    if state is VolunteerStatus.SUSPENDED:
        decisions.append(("suspend", state, expires + timedelta(days=2),
                          "Extrait de casier judiciaire à renouveler : suspension en attendant "
                          "le nouveau document."))
    if state is VolunteerStatus.REJECTED:
        decisions.append(("reject", state, interview + timedelta(days=2),
                          "Disponibilités trop irrégulières pour un suivi chaque semaine ; "
                          "orientation vers d'autres missions bénévoles."))
    old = VolunteerStatus.APPLIED
    for decision, status, day, reason in decisions:
        when = ctx.past(ctx.local(day, 11, 30))
        profile.status, profile.status_changed_at, profile.status_reason = status, when, reason
        profile.status_changed_by_id = agent.id
        ctx.audit(f"vetting.{decision}", "volunteer", profile.id, at=when, actor=agent,
                  territory=person.territory, **{"from": old, "to": status})
        old = status


def _step(ctx: Context, person: Person, kind: VettingKind, day: date, agent: User, detail: str) -> None:
    expires = add_months(day, VALIDITY_MONTHS[kind]) if kind in VALIDITY_MONTHS else None
    when = ctx.past(ctx.local(day, 10))
    db.session.add(VettingStep(volunteer_id=person.profile.id, kind=kind, done_on=day,
                               expires_on=expires, recorded_by_id=agent.id, detail=detail,
                               created_at=when))
    ctx.audit("vetting.step", "volunteer", person.profile.id, at=when, actor=agent,
              territory=person.territory, kind=kind)


def date_consents(ctx: Context) -> None:
    """Consents were given at sign-up, not when the demo ran."""
    signed = {p.user.id: p.signed_up for p in ctx.residents + ctx.volunteers}
    for consent in db.session.scalars(select(ConsentRecord)):
        if consent.user_id in signed:
            consent.given_at = signed[consent.user_id]


def set_request_states(ctx: Context, busy: set[str]) -> None:
    """One request paused and one closed (by the resident's agent), among residents with no pair."""
    free = [p for p in ctx.residents[1:] if p.key not in busy]
    paused, closed = ctx.rng.sample(free, 2)
    for person, status, action, days, reason in (
        (paused, RequestStatus.PAUSED, "request.pause", 10,
         "Séjour chez sa fille jusqu'à la fin du mois."),
        (closed, RequestStatus.CLOSED, "request.close", 25,
         "Parti·e vivre près de sa famille, à Bordeaux."),
    ):
        profile = person.profile
        profile.status, profile.status_reason = status, reason
        profile.status_changed_at = max(ctx.days_ago(days, 15), person.signed_up)
        ctx.audit(action, "resident", profile.id, at=profile.status_changed_at,
                  actor=ctx.agents[person.territory], territory=person.territory, to=status,
                  pairs_closed=0, **{"from": RequestStatus.OPEN})
