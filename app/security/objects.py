"""Load a record for the current person: 404 when it is missing or not theirs to see.

Answering 404 rather than 403 for someone else's record does not even confirm that it exists.
Views load every shared object through these helpers; templates never hide data on their own.
"""

from __future__ import annotations

import uuid

from flask import abort
from flask_login import current_user

from app.extensions import db
from app.models import Match, MatchStatus, ResidentProfile, Visit, VolunteerProfile

#: A volunteer never sees a proposal an agent has not approved, nor one an agent rejected.
HIDDEN_FROM_VOLUNTEER = (MatchStatus.PROPOSED, MatchStatus.REJECTED)


def _get(model, object_id: uuid.UUID):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def own_resident_profile() -> ResidentProfile:
    """The logged-in resident's profile (a resident account always has one)."""
    profile = current_user.resident_profile
    if profile is None:
        abort(404)
    return profile


def own_volunteer_profile() -> VolunteerProfile:
    """The logged-in volunteer's profile."""
    profile = current_user.volunteer_profile
    if profile is None:
        abort(404)
    return profile


def match_of_resident(match_id: uuid.UUID) -> Match:
    """A pair of the logged-in resident."""
    match = _get(Match, match_id)
    if match.resident_id != own_resident_profile().id:
        abort(404)
    return match


def match_of_volunteer(match_id: uuid.UUID) -> Match:
    """A pair of the logged-in volunteer (proposals reach them only once an agent approved)."""
    match = _get(Match, match_id)
    if match.volunteer_id != own_volunteer_profile().id or match.status in HIDDEN_FROM_VOLUNTEER:
        abort(404)
    return match


def visit_of_resident(visit_id: uuid.UUID) -> Visit:
    """A visit of one of the logged-in resident's pairs."""
    visit = _get(Visit, visit_id)
    if visit.match.resident_id != own_resident_profile().id:
        abort(404)
    return visit


def visit_of_volunteer(visit_id: uuid.UUID) -> Visit:
    """A visit of one of the logged-in volunteer's pairs."""
    visit = _get(Visit, visit_id)
    if visit.match.volunteer_id != own_volunteer_profile().id:
        abort(404)
    return visit
