"""Accounts: sign-up, authentication, password reset and change."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    ConsentMethod,
    ConsentRecord,
    Gender,
    OutboxMessage,
    PasswordResetToken,
    ResidentProfile,
    Role,
    User,
    VisitKind,
    VolunteerProfile,
    utcnow,
)
from app.security import sessions, throttle
from app.security.passwords import hash_password, needs_rehash, verify_password
from app.services import audit
from app.services.errors import DomainError
from app.services.outbox import enqueue_email
from app.services.scope import territory_of_neighbourhood

#: Version of the information notice shown with every form that collects data.
NOTICE_VERSION = "2026-1"


class EmailTaken(DomainError):
    """The e-mail address already belongs to an account."""

    def __init__(self):
        super().__init__(_("Cette adresse e-mail est déjà utilisée."), field="email")


@dataclass
class Identity:
    """Who a person is and how to reach them."""

    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    password: str | None = None


@dataclass
class Preferences:
    """What the matching reads: place, slots, languages, interests."""

    neighbourhood_id: object
    availability: int
    languages: list[str] = field(default_factory=lambda: ["fr"])
    interests: list[str] = field(default_factory=list)


def find_by_email(email: str) -> User | None:
    """The account with this e-mail, compared case-insensitively."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def email_taken(email: str | None) -> bool:
    """Whether another account already uses this e-mail."""
    return bool(email) and find_by_email(email) is not None


def create_user(role: Role, identity: Identity) -> User:
    """Create a person; with an e-mail and a password they can log in.

    Raises :class:`EmailTaken` when the address has an account, even if another request
    took it between the check and the insert (the unique index decides).
    """
    email = identity.email.strip().lower() if identity.email else None
    # Hash before the check, so a taken address answers in the same time as a new one.
    password_hash = hash_password(identity.password) if identity.password else None
    if email_taken(email):
        raise EmailTaken()
    user = User(
        role=role,
        email=email,
        first_name=identity.first_name.strip(),
        last_name=identity.last_name.strip(),
        phone=identity.phone,
        password_hash=password_hash,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise EmailTaken() from None
    return user


def record_consent(
    user: User,
    purpose: str,
    method: ConsentMethod,
    given_by: str,
    *,
    recorded_by: User | None = None,
    given_at: datetime | None = None,
    text_version: str = NOTICE_VERSION,
) -> ConsentRecord:
    """Keep who agreed to what, when and how."""
    consent = ConsentRecord(
        user_id=user.id,
        purpose=purpose,
        method=method,
        given_by=given_by,
        given_at=given_at or utcnow(),
        text_version=text_version,
        recorded_by_id=recorded_by.id if recorded_by else None,
    )
    db.session.add(consent)
    return consent


def register_resident(
    identity: Identity,
    prefs: Preferences,
    *,
    address: str,
    postcode: str,
    visit_kind: VisitKind,
    volunteer_gender: Gender | None = None,
    registered_by: User | None = None,
    consent_method: ConsentMethod = ConsentMethod.ONLINE,
    consent_given_by: str | None = None,
) -> User:
    """A resident asks for visits, alone online or through an agent (phone or desk)."""
    user = create_user(Role.RESIDENT, identity)
    now = utcnow()
    profile = ResidentProfile(
        user_id=user.id,
        address=address.strip(),
        postcode=postcode.strip(),
        visit_kind=visit_kind,
        volunteer_gender=volunteer_gender,
        waiting_since=now,
        registered_by_id=registered_by.id if registered_by else None,
        neighbourhood_id=prefs.neighbourhood_id,
        availability=prefs.availability,
        languages=sorted(set(prefs.languages)),
        interests=sorted(set(prefs.interests)),
    )
    db.session.add(profile)
    record_consent(
        user, "data_processing", consent_method, consent_given_by or user.full_name,
        recorded_by=registered_by,
    )
    db.session.flush()
    audit.record("resident.register", "resident", profile.id, actor=registered_by or user,
                 territory_id=territory_of_neighbourhood(profile.neighbourhood_id))
    return user


def register_volunteer(
    identity: Identity,
    prefs: Preferences,
    *,
    max_km: float,
    capacity: int,
    gender: Gender | None,
) -> User:
    """A volunteer applies; vetting starts with the charter they accepted."""
    user = create_user(Role.VOLUNTEER, identity)
    version = current_app.config["CHARTER_VERSION"]
    now = utcnow()
    profile = VolunteerProfile(
        user_id=user.id,
        max_km=max_km,
        capacity=capacity,
        gender=gender,
        charter_version=version,
        charter_accepted_at=now,
        neighbourhood_id=prefs.neighbourhood_id,
        availability=prefs.availability,
        languages=sorted(set(prefs.languages)),
        interests=sorted(set(prefs.interests)),
    )
    db.session.add(profile)
    record_consent(user, "data_processing", ConsentMethod.ONLINE, user.full_name)
    record_consent(user, "charter", ConsentMethod.ONLINE, user.full_name, text_version=version)
    db.session.flush()
    audit.record("volunteer.apply", "volunteer", profile.id, actor=user,
                 territory_id=territory_of_neighbourhood(profile.neighbourhood_id))
    return user


def sign_up(register: Callable[..., User], identity: Identity, prefs: Preferences,
            **details) -> User | None:
    """An online sign-up that never reveals whether the address already has an account.

    A new address gets its account (through ``register``) and a welcome e-mail; a taken one
    changes nothing and its holder gets an e-mail instead. The caller shows the same page
    either way; None means nothing was created.
    """
    try:
        user = register(identity, prefs, **details)
    except EmailTaken:
        warn_existing_account(identity.email)
        return None
    enqueue_email(
        user, "signup_welcome", _l("Votre inscription sur %(service)s",
                                   service=current_app.config["SERVICE_NAME"]),
        "signup_welcome", login=url_for("auth.login", _external=True),
    )
    return user


def warn_existing_account(email: str) -> None:
    """Tell an account holder that someone tried to sign up with their address (once a day)."""
    user = find_by_email(email)
    if user is None:
        return
    key = f"signup_existing:{user.id}:{utcnow().date().isoformat()}"
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)):
        return
    try:
        with db.session.begin_nested():
            enqueue_email(
                user, "signup_existing", _l("Vous avez déjà un compte sur %(service)s",
                                            service=current_app.config["SERVICE_NAME"]),
                "signup_existing", dedup_key=key,
                login=url_for("auth.login", _external=True),
                forgot=url_for("auth.forgot_password", _external=True),
            )
    except IntegrityError:
        pass  # the same notice was queued a moment ago by a concurrent request


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None; takes the same time either way."""
    user = find_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.can_log_in:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str) -> None:
    """Send a single-use link if the account exists; say nothing either way."""
    user = find_by_email(email)
    if user is None or not user.can_log_in:
        return
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_digest(token),
            created_at=now,
            expires_at=now + current_app.config["PASSWORD_RESET_VALIDITY"],
        )
    )
    enqueue_email(
        user,
        "password_reset",
        _l("Réinitialiser votre mot de passe"),
        "password_reset",
        link=url_for("auth.reset_password", token=token, _external=True),
        minutes=int(current_app.config["PASSWORD_RESET_VALIDITY"].total_seconds() // 60),
    )
    audit.record("account.reset_requested", "user", user.id, actor=user)


def valid_reset_token(token: str) -> PasswordResetToken | None:
    """The unused, unexpired token row, or None."""
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_digest(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def reset_password(token: str, new_password: str) -> bool:
    """Use a token once: set the password, end every session, log nobody in."""
    row = valid_reset_token(token)
    if row is None:
        return False
    # Conditional update: two tabs using the same link at once cannot both succeed.
    used = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        return False
    user = db.session.get(User, row.user_id)
    user.password_hash = hash_password(new_password)
    sessions.end_other_sessions(user.id, keep_current=False)
    # The owner proved they hold the address: failures others caused no longer lock them out.
    throttle.unlock(user.email)
    audit.record("account.password_reset", "user", user.id, actor=user)
    return True


def change_password(user: User, current: str, new_password: str) -> bool:
    """Change one's password; other sessions end, this one stays."""
    if not verify_password(user.password_hash, current):
        return False
    user.password_hash = hash_password(new_password)
    sessions.end_other_sessions(user.id, keep_current=True)
    audit.record("account.password_change", "user", user.id, actor=user)
    return True


def count_users() -> int:
    """How many people the database holds (seed-demo runs only on an empty one)."""
    return db.session.scalar(select(func.count()).select_from(User)) or 0
