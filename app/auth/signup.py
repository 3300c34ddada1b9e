"""Sign-up pages: the choice, the resident's and the volunteer's steps, the pages that follow.

The steps run in :mod:`app.auth.wizard`; here are their addresses and how each journey ends,
through the same services as the agent console (register_resident, register_volunteer).

No enumeration: a sign-up with an e-mail always ends on the same "check your e-mail" page, whether
the address was new (account created, welcome e-mail) or taken (nothing created, its holder gets
an e-mail). A resident without an e-mail has no login: the request is created and the page says
an agent will call. That page depends only on what the person typed (no e-mail), never on the
database, and phones are not unique, so it tells nothing about anyone else.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import render_template, session, url_for
from sqlalchemy import func, select

from app.auth import bp, wizard
from app.auth.steps import RESIDENT, VOLUNTEER
from app.extensions import db
from app.models import Gender, Role, User, VisitKind, utcnow
from app.security.access import public
from app.services import accounts

#: The session key holding the phone number the "request received" page repeats, once.
RECEIVED_PHONE = "signup_phone"
#: A second identical request without an e-mail within this delay is the same request.
DOUBLE_SEND_WINDOW = timedelta(minutes=30)


@bp.route("/inscription")
@public
def signup():
    """Choose between asking for visits and volunteering."""
    return render_template("auth/signup.html")


@bp.route("/inscription/habitant", methods=["GET", "POST"], defaults={"slug": "vous"})
@bp.route("/inscription/habitant/<slug>", methods=["GET", "POST"])
@public
def signup_resident(slug: str):
    """A resident's sign-up, one step per page; the first step is the journey's address."""
    return wizard.run_step(RESIDENT, slug, finish_resident)


@bp.route("/inscription/benevole", methods=["GET", "POST"], defaults={"slug": "vous"})
@bp.route("/inscription/benevole/<slug>", methods=["GET", "POST"])
@public
def signup_volunteer(slug: str):
    """A volunteer's application, one step per page."""
    return wizard.run_step(VOLUNTEER, slug, finish_volunteer)


@bp.route("/inscription/envoyee")
@public
def signup_sent():
    """After any sign-up with an e-mail: check your e-mail, then log in."""
    return render_template("auth/signup_check_email.html")


@bp.route("/inscription/demande-recue")
@public
def signup_received():
    """After a resident's sign-up without an e-mail: an agent will call."""
    phone = session.pop(RECEIVED_PHONE, None)
    return render_template("auth/signup_received.html",
                           phone=phone if isinstance(phone, str) else None)


def finish_resident(forms: dict, password: str | None) -> str:
    """Create the resident's request; the address of the page to show next."""
    you, place, visits = forms["vous"], forms["adresse"], forms["visites"]
    identity = _identity(you, password)
    prefs = _preferences(place, forms["disponibilites"], forms["langues"])
    details = {
        "address": place.address.data, "postcode": place.postcode.data,
        "visit_kind": VisitKind(visits.visit_kind.data),
        "volunteer_gender": _gender(visits.volunteer_gender.data),
    }
    if identity.email:
        accounts.sign_up(accounts.register_resident, identity, prefs, **details)
        return url_for("auth.signup_sent")
    if not _just_sent(identity):
        accounts.register_resident(identity, prefs, **details)
    session[RECEIVED_PHONE] = identity.phone
    return url_for("auth.signup_received")


def _just_sent(identity: accounts.Identity) -> bool:
    """Whether the same person sent the same request a moment ago (a double tap on "Envoyer").

    Without an e-mail nothing is unique, so the second press would make a second request for
    the agents to call; with an e-mail the unique address already prevents it.
    """
    return db.session.scalar(
        select(User.id).where(
            User.role == Role.RESIDENT, User.email.is_(None), User.phone == identity.phone,
            func.lower(User.first_name) == identity.first_name.lower(),
            func.lower(User.last_name) == identity.last_name.lower(),
            User.created_at >= utcnow() - DOUBLE_SEND_WINDOW,
        ).limit(1)
    ) is not None


def finish_volunteer(forms: dict, password: str | None) -> str:
    """Create the volunteer's application (or warn the address's holder)."""
    place, grid, tastes = forms["secteur"], forms["disponibilites"], forms["langues"]
    accounts.sign_up(
        accounts.register_volunteer, _identity(forms["vous"], password),
        _preferences(place, grid, tastes),
        max_km=float(place.max_km.data), capacity=grid.capacity.data,
        gender=_gender(tastes.gender.data),
    )
    return url_for("auth.signup_sent")


def _identity(you, password: str | None) -> accounts.Identity:
    return accounts.Identity(first_name=you.first_name.data, last_name=you.last_name.data,
                             email=you.email.data or None, phone=you.phone.data or None,
                             password=password)


def _preferences(place, grid, tastes) -> accounts.Preferences:
    return accounts.Preferences(
        neighbourhood_id=uuid.UUID(place.neighbourhood.data), availability=grid.availability.mask,
        languages=tastes.languages.data, interests=tastes.interests.data,
    )


def _gender(value: str | None) -> Gender | None:
    return Gender(value) if value else None
