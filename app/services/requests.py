"""A resident's request: pause, resume, close it, change its preferences, ask for another volunteer.

Each operation checks the request's state first (so the person reads a clear message), then
changes it with a conditional UPDATE (so two tabs, or the resident and an agent acting at once,
cannot both win), closes the live pair through :mod:`app.services.pairs` when it must, writes its
audit entry and flushes; the caller commits.

The resident's own words (why they pause or close) stay on the profile, never in the audit log;
the pair closed as a consequence carries a code instead, since the volunteer may read it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from app import vocabulary
from app.extensions import db
from app.models import (
    Gender,
    Match,
    MatchStatus,
    Neighbourhood,
    RequestStatus,
    ResidentProfile,
    User,
    VisitKind,
    utcnow,
)
from app.models.availability import FULL_MASK
from app.services import audit, pairs
from app.services.errors import DomainError, InvalidTransition
from app.services.scope import territory_of_resident

R = RequestStatus

#: Codes written on a pair that ends because its resident paused or closed the request.
PAIR_REASON = {R.PAUSED: "request_paused", R.CLOSED: "request_closed"}
#: The longest reason a resident may give (free text, kept on the profile or the pair).
MAX_REASON = 1000


def live_match(profile: ResidentProfile) -> Match | None:
    """The resident's pair that is proposed, approved, active or paused, if any (at most one)."""
    return db.session.scalar(
        select(Match).where(Match.resident_id == profile.id,
                            Match.status.in_(MatchStatus.live()))
    )


def _refusal(status: RequestStatus, wanted: RequestStatus) -> str:
    """Why a request in ``status`` cannot move to ``wanted``, in the resident's words."""
    if status is wanted:
        return {
            R.PAUSED: _("Votre demande est déjà en pause."),
            R.OPEN: _("Votre demande n'est pas en pause : elle suit déjà son cours."),
            R.CLOSED: _("Votre demande est déjà close."),
        }[wanted]
    if status is R.CLOSED:
        return _("Votre demande est close. Pour demander à nouveau des visites, appelez-nous.")
    return _("Votre demande n'est pas en pause : elle suit déjà son cours.")


def _move(profile: ResidentProfile, allowed: Iterable[RequestStatus], new: RequestStatus,
          reason: str | None, **values) -> RequestStatus:
    """Change the request's status if it is still in an ``allowed`` state; return the old one."""
    allowed = tuple(allowed)
    old = profile.status
    if old not in allowed:
        raise DomainError(_refusal(old, new))
    now = utcnow()
    result = db.session.execute(
        update(ResidentProfile)
        .where(ResidentProfile.id == profile.id, ResidentProfile.status.in_(allowed))
        .values(status=new, status_changed_at=now, status_reason=reason, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(profile)
    if result.rowcount != 1:
        raise InvalidTransition(_refusal(profile.status, new))
    return old


def _clean_reason(reason: str | None, *, required: bool = False) -> str | None:
    text = (reason or "").strip() or None
    if required and text is None:
        raise DomainError(_("Dites-nous en quelques mots pourquoi."), field="reason")
    if text and len(text) > MAX_REASON:
        raise DomainError(_("Écrivez au plus %(n)s caractères.", n=MAX_REASON), field="reason")
    return text


def pause_request(profile: ResidentProfile, actor: User, reason: str | None = None) -> int:
    """Pause an open request: no proposal and no visit until it resumes.

    A live pair is closed (an active or paused one ends, a proposal is withdrawn); returns how
    many pairs were closed, so the page can say so.
    """
    text = _clean_reason(reason)
    old = _move(profile, [R.OPEN], R.PAUSED, text)
    closed = pairs.withdraw_live(profile, actor=actor, reason=PAIR_REASON[R.PAUSED])
    audit.record("request.pause", "resident", profile.id, actor=actor,
                 territory_id=territory_of_resident(profile), to=R.PAUSED, pairs_closed=closed,
                 **{"from": old})
    db.session.flush()
    return closed


def resume_request(profile: ResidentProfile, actor: User) -> ResidentProfile:
    """Resume a paused request; the time spent waiting before the pause still counts."""
    waiting_since = _waiting_since_after_pause(profile, utcnow())
    _move(profile, [R.PAUSED], R.OPEN, None, waiting_since=waiting_since)
    audit.record("request.resume", "resident", profile.id, actor=actor,
                 territory_id=territory_of_resident(profile), to=R.OPEN,
                 **{"from": R.PAUSED})
    db.session.flush()
    return profile


def _waiting_since_after_pause(profile: ResidentProfile, now: datetime) -> datetime:
    """Shift the start of the wait by the length of the pause: paused days are not waiting days."""
    paused_at = profile.status_changed_at
    if paused_at is None or paused_at > now:
        return now
    return min(profile.waiting_since + (now - paused_at), now)


def close_request(profile: ResidentProfile, actor: User, reason: str | None = None) -> int:
    """Close an open or paused request for good; a live pair is closed; returns how many."""
    text = _clean_reason(reason)
    old = _move(profile, [R.OPEN, R.PAUSED], R.CLOSED, text)
    closed = pairs.withdraw_live(profile, actor=actor, reason=PAIR_REASON[R.CLOSED])
    audit.record("request.close", "resident", profile.id, actor=actor,
                 territory_id=territory_of_resident(profile), to=R.CLOSED, pairs_closed=closed,
                 **{"from": old})
    db.session.flush()
    return closed


def ask_another_volunteer(profile: ResidentProfile, match: Match, actor: User, reason: str) -> Match:
    """The resident asks for another volunteer: the pair ends and the resident waits again.

    The ended pair is never proposed again (PRODUCT.md §2 rule 6). The resident's reason is kept
    on the pair for the agents; the audit entry holds codes only.
    """
    if match.resident_id != profile.id:
        raise ValueError("the pair is not this resident's")
    text = _clean_reason(reason, required=True)
    if match.status not in (MatchStatus.ACTIVE, MatchStatus.PAUSED):
        raise DomainError(_("Vous n'avez pas de bénévole en ce moment : il n'y a personne "
                            "à remplacer."))
    pairs.end(match, actor, text)
    audit.record("request.change_volunteer", "resident", profile.id, actor=actor,
                 territory_id=territory_of_resident(profile), match=match.id)
    db.session.flush()
    return match


@dataclass
class PreferenceChanges:
    """What a resident may change in their request (their name and e-mail are not here)."""

    address: str
    postcode: str
    neighbourhood_id: uuid.UUID
    phone: str | None
    visit_kind: VisitKind
    volunteer_gender: Gender | None
    availability: int
    languages: list[str] = field(default_factory=lambda: ["fr"])
    interests: list[str] = field(default_factory=list)


def update_preferences(profile: ResidentProfile, actor: User, changes: PreferenceChanges) -> list[str]:
    """Save the resident's place, contact and preferences; returns the names of changed fields.

    An accepted pair is kept as it is: changing one's availability does not end the pair
    (visits already planned stay; new ones are planned in the slots both still share). A pair
    not yet accepted (proposed or approved) was chosen on the old answers: when something the
    rules read changes, it is withdrawn, and the next matching run looks again.
    """
    if profile.status is R.CLOSED:
        raise DomainError(_("Votre demande est close : appelez-nous pour modifier vos informations."))
    _check_preferences(changes)
    wanted = {
        "address": changes.address.strip(), "postcode": changes.postcode.strip(),
        "neighbourhood_id": changes.neighbourhood_id, "visit_kind": changes.visit_kind,
        "volunteer_gender": changes.volunteer_gender, "availability": changes.availability,
        "languages": sorted(set(changes.languages)), "interests": sorted(set(changes.interests)),
    }
    changed = [name for name, value in wanted.items() if getattr(profile, name) != value]
    for name in changed:
        setattr(profile, name, wanted[name])
    user = profile.user
    if user.phone != changes.phone:
        user.phone = changes.phone
        changed.append("phone")
    if changed:
        if "neighbourhood_id" in changed:
            profile.neighbourhood = db.session.get(Neighbourhood, changes.neighbourhood_id)
        audit.record("request.update", "resident", profile.id, actor=actor,
                     territory_id=territory_of_resident(profile), fields=sorted(changed))
        if MATCHING_FIELDS.intersection(changed):
            _withdraw_pending(profile, actor)
    db.session.flush()
    return changed


#: Answers the matching rules and score read: a pending proposal made on old ones is stale.
MATCHING_FIELDS = frozenset({"neighbourhood_id", "volunteer_gender", "availability", "languages",
                             "interests"})


def _withdraw_pending(profile: ResidentProfile, actor: User) -> None:
    match = live_match(profile)
    if match is not None and match.status in (MatchStatus.PROPOSED, MatchStatus.APPROVED):
        pairs.withdraw_live(profile, actor=actor, reason="preferences_changed")


def _check_preferences(changes: PreferenceChanges) -> None:
    """The rules the matching relies on; the forms check them too, the service does not trust them."""
    if not changes.address.strip():
        raise DomainError(_("Indiquez votre adresse."), field="address")
    if not (len(changes.postcode.strip()) == 5 and changes.postcode.strip().isdigit()):
        raise DomainError(_("Le code postal compte 5 chiffres, par exemple 64000."), field="postcode")
    if db.session.get(Neighbourhood, changes.neighbourhood_id) is None:
        raise DomainError(_("Choisissez votre quartier dans la liste."), field="neighbourhood")
    if not 0 < changes.availability <= FULL_MASK:
        raise DomainError(_("Cochez au moins un moment de la semaine."), field="availability")
    if not changes.languages or not set(changes.languages) <= set(vocabulary.LANGUAGES):
        raise DomainError(_("Cochez au moins une langue de la liste."), field="languages")
    if not set(changes.interests) <= set(vocabulary.INTERESTS):
        raise DomainError(_("Choisissez vos centres d'intérêt dans la liste."), field="interests")
