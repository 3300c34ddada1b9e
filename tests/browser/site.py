"""The demo site as the browser tests see it: its address, one logged-in page per role, and the
ids of the seeded objects that the pages with an id in their address are walked with."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select

from app.extensions import db
from app.models import (
    CampaignKind,
    Commune,
    Concern,
    Match,
    MatchStatus,
    Neighbourhood,
    PasswordResetToken,
    Referral,
    ResidentProfile,
    Role,
    Territory,
    User,
    Visit,
    VisitStatus,
    VolunteerProfile,
    utcnow,
)
from app.services import campaigns
from app.services.demo import DEMO_PASSWORD
from app.services.demo.data import DOMAIN
from tests.live import LiveServer

#: The demo account each role logs in with (``None``: not logged in).
ACCOUNTS: dict[str, str | None] = {
    "anonymous": None,
    "resident": f"habitant@{DOMAIN}",
    "volunteer": f"benevole@{DOMAIN}",
    "agent": f"agent.pau@{DOMAIN}",
    "admin": f"admin@{DOMAIN}",
}
DESKTOP = {"width": 1280, "height": 900}


class Site:
    """A served demo site; :meth:`page` gives a page logged in as a role, made once per module."""

    def __init__(self, server: LiveServer, browser: Browser, objects: dict[str, str], app: Flask):
        self.server = server
        self.url = server.url
        self.browser = browser
        self.objects = objects
        self.app = app
        self.requests: list[str] = []
        self._pages: dict[str, Page] = {}
        self._contexts: list[BrowserContext] = []

    def context(self, **options) -> BrowserContext:
        """A new browser context (its own cookies) whose every request is recorded."""
        context = self.browser.new_context(base_url=self.url, viewport=DESKTOP, locale="fr-FR",
                                           **options)
        context.on("request", lambda request: self.requests.append(request.url))
        context.set_default_timeout(15_000)
        self._contexts.append(context)
        return context

    def page(self, role: str) -> Page:
        """The page of ``role`` (see :data:`ACCOUNTS`), logged in through the real form."""
        if role not in self._pages:
            page = self.context().new_page()
            email = ACCOUNTS[role]
            if email:
                login(page, email, DEMO_PASSWORD)
            self._pages[role] = page
        return self._pages[role]

    def close(self) -> None:
        for context in self._contexts:
            context.close()


def login(page: Page, email: str, password: str) -> None:
    """Log in with the keyboard alone: type, Tab, type, Enter."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/connexion" not in page.url, f"login of {email} failed"


def seed_objects() -> dict[str, str]:
    """Ids of demo objects the agent of Pau, the demo resident and volunteer may open; one
    campaign and one password-reset token are added, as the demo has none."""
    agent = _one(select(User).where(User.email == ACCOUNTS["agent"]))
    pau = agent.territory_id
    in_pau = (select(Neighbourhood.id).join(Commune).where(Commune.territory_id == pau)
              .scalar_subquery())
    resident = _one(select(ResidentProfile).join(User, ResidentProfile.user_id == User.id)
                    .where(User.email == ACCOUNTS["resident"]))
    volunteer = _one(select(VolunteerProfile).join(User, VolunteerProfile.user_id == User.id)
                     .where(User.email == ACCOUNTS["volunteer"]))
    pair = _one(select(Match).where(Match.volunteer_id == volunteer.id,
                                    Match.status == MatchStatus.ACTIVE))
    offer = _one(select(Match).where(Match.volunteer_id == volunteer.id,
                                     Match.status == MatchStatus.APPROVED))
    now = utcnow()
    coming = _one(select(Visit).where(Visit.match_id == pair.id, Visit.starts_at > now,
                                      Visit.status == VisitStatus.SCHEDULED)
                  .order_by(Visit.starts_at))
    past = Visit(match_id=pair.id, starts_at=now - timedelta(days=1, hours=2),
                 status=VisitStatus.SCHEDULED)  # yesterday's visit, waiting for its report
    db.session.add(past)
    concern = _one(select(Concern).join(ResidentProfile, Concern.resident_id == ResidentProfile.id)
                   .where(ResidentProfile.neighbourhood_id.in_(in_pau)))
    referral = _one(select(Referral).join(Commune).where(Commune.territory_id == pau))
    waiting = _one(select(ResidentProfile).where(ResidentProfile.neighbourhood_id.in_(in_pau),
                                                 ~ResidentProfile.id.in_(select(Match.resident_id)))
                   .order_by(ResidentProfile.created_at))
    pau_pair = _one(select(Match).join(ResidentProfile, Match.resident_id == ResidentProfile.id)
                    .where(Match.status == MatchStatus.ACTIVE,
                           ResidentProfile.neighbourhood_id.in_(in_pau)))
    desk = _one(select(ResidentProfile).join(User, ResidentProfile.user_id == User.id)
                .where(User.password_hash.is_(None), ResidentProfile.neighbourhood_id.in_(in_pau)))
    proposal = _one(select(Match).join(ResidentProfile, Match.resident_id == ResidentProfile.id)
                    .where(Match.status == MatchStatus.PROPOSED,
                           ResidentProfile.neighbourhood_id.in_(in_pau)))
    pau_volunteer = _one(select(VolunteerProfile)
                         .where(VolunteerProfile.neighbourhood_id.in_(in_pau)))
    campaign = campaigns.create_campaign(db.session.get(Territory, pau), CampaignKind.HEATWAVE,
                                         "Canicule de démonstration", by=agent)
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(user_id=volunteer.user_id, created_at=now,
                                      expires_at=now + timedelta(hours=2),
                                      token_hash=hashlib.sha256(token.encode()).hexdigest()))
    db.session.flush()
    ids = {
        "territory": pau, "neighbourhood": _one(select(Neighbourhood.id)),
        "waiting_resident": waiting.id, "desk_resident": desk.id, "volunteer": pau_volunteer.id,
        "pair": pair.id, "pau_pair": pau_pair.id, "offer": offer.id, "proposal": proposal.id,
        "coming_visit": coming.id, "past_visit": past.id, "concern": concern.id,
        "referral": referral.id, "campaign": campaign.id, "reset_token": token,
        "resident_match": _one(select(Match.id).where(Match.resident_id == resident.id,
                                                     Match.status == MatchStatus.ACTIVE)),
        "staff_agent": _one(select(User.id).where(User.role == Role.AGENT)),
    }
    return {name: str(value) for name, value in ids.items()}


def _one(stmt):
    found = db.session.scalars(stmt.limit(1)).first()
    assert found is not None, f"the demo data has no row for {stmt}"
    return found
