"""Demo data of the Pau agglomeration (``flask seed-demo``): the same people on every run.

Every choice comes from ``random.Random(2026)`` in a fixed order, and every date is counted
back from the moment the demo is loaded, so two loads give the same people, places, pairs and
stories; only the calendar dates move with the day it runs. People are registered through
:mod:`app.services.accounts` (audit entries and consent records as in the app); pairs are
chosen and scored by the matching engine itself; the story's past (vetting, decisions,
visits, concerns) is written as rows dated when it happened, since the services only act now.
Nothing is sent: the demo writes no notification.

Layout: :mod:`.data` (fixed material), :mod:`.context` (random stream, clock, lookups),
:mod:`.people` (places, staff, residents, volunteers), :mod:`.pairs` (matches and visits),
:mod:`.followup` (concerns and referrals).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import func, select, text

from app.extensions import db
from app.models import (
    AuditEntry,
    Commune,
    Concern,
    ConsentRecord,
    Match,
    Neighbourhood,
    Referral,
    ResidentProfile,
    Territory,
    User,
    VettingStep,
    Visit,
    VisitLog,
    VolunteerProfile,
    utcnow,
)
from app.security.passwords import hash_password
from app.services import accounts
from app.services.demo import followup, pairs, people
from app.services.demo.context import Context
from app.services.demo.data import DOMAIN

#: The seed of every random choice.
SEED = 2026
#: Password of every demo account (and of every demo person with an e-mail).
DEMO_PASSWORD = "voisinage-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    """An account the README and ``make run`` point newcomers to."""

    role: str
    email: str


DEMO_ACCOUNTS = (
    DemoAccount("administrator", f"admin@{DOMAIN}"),
    DemoAccount("agent (Pau)", f"agent.pau@{DOMAIN}"),
    DemoAccount("agent (Couronne ouest)", f"agent.ouest@{DOMAIN}"),
    DemoAccount("agent (Couronne sud-est)", f"agent.sud-est@{DOMAIN}"),
    DemoAccount("resident", f"habitant@{DOMAIN}"),
    DemoAccount("volunteer", f"benevole@{DOMAIN}"),
)

#: What the summary counts, in the order it prints them.
COUNTED = {
    "communes": Commune, "territories": Territory, "neighbourhoods": Neighbourhood,
    "people": User, "residents": ResidentProfile, "volunteers": VolunteerProfile,
    "vetting steps": VettingStep, "matches": Match, "visits": Visit, "visit logs": VisitLog,
    "concerns": Concern, "referrals": Referral, "consents": ConsentRecord,
    "audit entries": AuditEntry,
}


def load_demo(now=None) -> dict[str, int] | None:
    """Write the demo data and flush (the caller commits); None, writing nothing, if people exist."""
    _serialise()
    if accounts.count_users():
        return None
    ctx = Context(random.Random(SEED), now or utcnow(), hash_password(DEMO_PASSWORD))
    people.load_places(ctx)
    people.load_staff(ctx)
    taken: set[str] = set()
    people.load_residents(ctx, taken)
    people.load_volunteers(ctx, taken)
    demo_pairs = pairs.load_matches(ctx)
    people.set_request_states(ctx, busy={p.resident.key for p in demo_pairs})
    pairs.load_visits(ctx, demo_pairs)
    followup.load_concerns(ctx, demo_pairs)
    followup.load_referrals(ctx)
    people.date_consents(ctx)
    ctx.audit("demo.load", "database", "demo", at=ctx.now, actor=None, territory=None, seed=SEED)
    db.session.flush()
    return counts()


def counts() -> dict[str, int]:
    """How many rows of each kind the database holds."""
    return {name: db.session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in COUNTED.items()}


def present_accounts() -> list[DemoAccount]:
    """The demo accounts this database holds (none when it was not loaded by the demo)."""
    emails = set(db.session.scalars(select(User.email).where(
        User.email.in_([a.email for a in DEMO_ACCOUNTS]))))
    return [a for a in DEMO_ACCOUNTS if a.email in emails]


def _serialise() -> None:
    """Two loads at once must not both find the database empty.

    SQLite: the command's transaction already began with BEGIN IMMEDIATE (one writer at a
    time). PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED})
