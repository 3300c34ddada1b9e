"""Two of each role on two sides (territory A and B), with every kind of record on each side.

Side A: resident ``R1`` and volunteer ``V1`` of territory A in an active pair, agent ``A``; side
B the same in territory B (``R2``, ``V2``, agent ``B``). Each side has a pair, a visit, a concern,
a heat-wave campaign with a call and a referral. Ids are UUIDs, so a neighbour's cannot be guessed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Campaign,
    CampaignCall,
    CampaignKind,
    Concern,
    ConcernSource,
    Match,
    MatchStatus,
    Referral,
    UserSession,
    Visit,
    VisitStatus,
    utcnow,
)
from tests import factories
from tests.factories import LoggingClient, csrf_token


@dataclass
class Side:
    """The people and records of one territory; ``ids`` fills URL parameters by name."""

    resident: object
    volunteer: object
    agent: object
    match: Match
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


@dataclass
class World:
    a: Side
    b: Side
    admin: object
    password: str = factories.PASSWORD

    def actors(self) -> dict[str, object]:
        """The six people who must not see the other side's records, by a short name."""
        return {"R1": self.a.resident, "V1": self.a.volunteer, "A": self.a.agent,
                "R2": self.b.resident, "V2": self.b.volunteer, "B": self.b.agent}

    def side_of(self, actor: str) -> Side:
        return self.a if actor.endswith(("1", "A")) else self.b


def _side(territory, neighbourhood, commune_insee: str, first: str) -> Side:
    resident, _ = factories.make_resident(neighbourhood, first=f"{first}habitant")
    volunteer, _ = factories.make_volunteer(neighbourhood, approved=True, first=f"{first}benevole")
    agent, _ = factories.make_staff("agent", territory, first=f"{first}agent")
    now = utcnow()
    match = Match(resident_id=resident.resident_profile.id,
                  volunteer_id=volunteer.volunteer_profile.id, status=MatchStatus.ACTIVE,
                  accepted_at=now - timedelta(days=30), decided_at=now - timedelta(days=31))
    db.session.add(match)
    db.session.flush()
    visit = Visit(match_id=match.id, starts_at=now + timedelta(days=3),
                  status=VisitStatus.SCHEDULED)
    concern = Concern(resident_id=match.resident_id, match_id=match.id,
                      source=ConcernSource.VOLUNTEER, description="Inquiétude",
                      due_at=now + timedelta(days=3))
    campaign = Campaign(kind=CampaignKind.HEATWAVE, name=f"Canicule {first}",
                        territory_id=territory.id)
    referral = Referral(first_name="Germaine", last_name=first, phone="+33559123456",
                        commune_insee=commune_insee, reason="Seule", person_agreed=True,
                        referrer_name="Sophie", referrer_relation="family",
                        referrer_email="s@example.org")
    db.session.add_all([visit, concern, campaign, referral])
    db.session.flush()
    call = CampaignCall(campaign_id=campaign.id, resident_id=match.resident_id)
    db.session.add(call)
    db.session.commit()
    ids = {"match_id": match.id, "visit_id": visit.id, "resident_id": match.resident_id,
           "volunteer_id": match.volunteer_id, "concern_id": concern.id,
           "campaign_id": campaign.id, "call_id": call.id, "referral_id": referral.id,
           "territory_id": territory.id, "neighbourhood_id": neighbourhood.id,
           "user_id": agent.id}
    return Side(resident, volunteer, agent, match, ids)


def make_world(place) -> World:
    """Both sides and an administrator."""
    a = _side(place.territory_a, place.nb_a, "64445", "A")
    b = _side(place.territory_b, place.nb_b, "64335", "B")
    admin, _ = factories.make_staff("admin", None, first="Admin")
    return World(a, b, admin)


class Browser:
    """A logged-in test client that keeps one CSRF token for all its POSTs (they do not expire)."""

    def __init__(self, app, user=None, password: str = factories.PASSWORD):
        self.client = LoggingClient.wrap(app.test_client())
        if user is not None:
            self.client.login(user, password)
        self.token = csrf_token(self.client.get("/mot-de-passe/oubli").get_data(as_text=True))

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | list | None = None, **kwargs):
        if isinstance(data, list):
            return self.client.post(url, data=[("csrf_token", self.token), *data], **kwargs)
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)


#: Rows that change on every request by design (sessions touched, not data of anyone).
VOLATILE_TABLES = frozenset({UserSession.__tablename__})


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (sessions aside), sorted, to compare before and after."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in VOLATILE_TABLES:
            continue
        found = db.session.execute(select(table)).all()
        rows[table.name] = sorted(tuple(map(repr, row)) for row in found)
    db.session.rollback()
    return rows


def changed_tables(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ, with their row counts before and after."""
    return {name: (len(before[name]), len(after[name])) for name in before
            if before[name] != after[name]}
