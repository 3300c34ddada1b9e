"""Builders of test data, through the same services the app uses."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import g
from flask.testing import FlaskClient

from app.extensions import db
from app.models import (
    PARIS,
    Commune,
    Neighbourhood,
    Role,
    Territory,
    VisitKind,
    VolunteerStatus,
    paris_today,
)
from app.models.availability import mask_from_slots
from app.services import accounts

PASSWORD = "une phrase assez longue 42"


def days_ago(days: int) -> datetime:
    """Noon in Paris, ``days`` Paris calendar days ago.

    Counting back from "now" in UTC would land on another Paris day late in the evening, or
    across a daylight saving change: tests of "waiting for N days" would then fail by one.
    """
    day = paris_today() - timedelta(days=days)
    return datetime.combine(day, time(12), tzinfo=PARIS)
_counter = itertools.count(1)


@dataclass
class Places:
    """Two territories with one commune and one neighbourhood each."""

    territory_a: Territory
    territory_b: Territory
    nb_a: Neighbourhood
    nb_b: Neighbourhood


def make_places() -> Places:
    """Pau in territory A, Lescar in territory B."""
    ta, tb = Territory(name="Territoire A"), Territory(name="Territoire B")
    db.session.add_all([ta, tb])
    db.session.flush()
    pau = Commune(insee_code="64445", name="Pau", population=80441, territory_id=ta.id)
    lescar = Commune(insee_code="64335", name="Lescar", population=9455, territory_id=tb.id)
    db.session.add_all([pau, lescar])
    db.session.flush()
    nb_a = Neighbourhood(commune_insee="64445", name="Pau", latitude=43.32002, longitude=-0.35034)
    nb_b = Neighbourhood(commune_insee="64335", name="Lescar", latitude=43.34046, longitude=-0.42807)
    db.session.add_all([nb_a, nb_b])
    db.session.commit()
    return Places(ta, tb, nb_a, nb_b)


def _identity(first: str, with_login: bool = True) -> accounts.Identity:
    n = next(_counter)
    return accounts.Identity(
        first_name=first, last_name=f"Test{n}",
        email=f"{first.lower()}{n}@example.org" if with_login else None,
        phone="+33612345678", password=PASSWORD if with_login else None,
    )


def make_resident(neighbourhood: Neighbourhood, first: str = "Jeanne", with_login: bool = True):
    """A resident with an open request; returns (user, password)."""
    user = accounts.register_resident(
        _identity(first, with_login),
        accounts.Preferences(neighbourhood.id, mask_from_slots(["mon-am", "wed-pm"]),
                             ["fr"], ["reading"]),
        address="12 rue des Tests", postcode="64000", visit_kind=VisitKind.HOME_CHAT,
    )
    db.session.commit()
    return user, PASSWORD


def make_volunteer(neighbourhood: Neighbourhood, approved: bool = True, first: str = "Paul"):
    """A volunteer, approved or just applied; returns (user, password)."""
    user = accounts.register_volunteer(
        _identity(first),
        accounts.Preferences(neighbourhood.id, mask_from_slots(["mon-am", "fri-pm"]),
                             ["fr"], ["reading"]),
        max_km=10, capacity=2, gender=None,
    )
    if approved:
        user.volunteer_profile.status = VolunteerStatus.APPROVED
    db.session.commit()
    return user, PASSWORD


def make_staff(role: str, territory: Territory | None, first: str = "Agnès"):
    """An agent (of a territory) or an administrator; returns (user, password)."""
    user = accounts.create_user(Role(role), _identity(first))
    user.territory_id = territory.id if territory else None
    db.session.commit()
    return user, PASSWORD


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


class LoggingClient(FlaskClient):
    """A test client that logs in and posts forms like a browser (with the page's CSRF token)."""

    @classmethod
    def wrap(cls, client: FlaskClient) -> LoggingClient:
        """Turn a plain test client into this class."""
        client.__class__ = cls
        return client

    def open(self, *args, **kwargs):
        """Each request gets a fresh ``g``, as in production.

        The test's app context is reused by the requests (Flask pushes none of its own when one
        is active), so values cached in ``g`` such as the CSRF token would leak across requests.
        """
        for key in list(g):
            g.pop(key)
        return super().open(*args, **kwargs)

    def post_form(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """GET ``page`` (default ``url``) for its CSRF token, then POST ``data`` to ``url``."""
        html = self.get(page or url).get_data(as_text=True)
        return self.post(url, data={"csrf_token": csrf_token(html), **(data or {})}, **kwargs)

    def login(self, user, password: str = PASSWORD):
        """Log in through the login form."""
        response = self.post_form("/connexion", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    def logout(self):
        """Log out through the logout form (any page carries its token)."""
        return self.post_form("/deconnexion", page="/")
