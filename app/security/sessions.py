"""Server-side sessions: the signed cookie carries a random token; the row decides if it is valid.

Logging out or changing a password ends the row, so a cookie captured earlier stops working on
every worker and host at once. Agents' sessions also end after 30 minutes idle or 12 hours.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import select, update

from app.extensions import db, login_manager
from app.models import User, UserSession, utcnow

SESSION_KEY = "sid"
#: Touch ``last_seen_at`` at most this often, so reading a page does not write every time.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> None:
    """Open a new server-side session for ``user`` and put its token in the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(id=_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = token


def end_current_session() -> None:
    """End the session of this request, on the server and in the cookie."""
    token = session.get(SESSION_KEY)
    if token:
        db.session.execute(
            update(UserSession).where(UserSession.id == _digest(token)).values(ended_at=utcnow())
        )
    session.clear()


def end_other_sessions(user_id: uuid.UUID, keep_current: bool = True) -> None:
    """End every open session of a user (password change or reset), maybe but this one."""
    stmt = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)
    )
    token = session.get(SESSION_KEY)
    if keep_current and token:
        stmt = stmt.where(UserSession.id != _digest(token))
    db.session.execute(stmt.values(ended_at=utcnow()))


def _limits_for(user: User) -> tuple[timedelta, timedelta]:
    config = current_app.config
    if user.is_staff:
        return config["AGENT_IDLE_TIMEOUT"], config["AGENT_MAX_SESSION"]
    return config["MEMBER_IDLE_TIMEOUT"], config["MEMBER_MAX_SESSION"]


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login hook: the user behind a valid, open, recent server-side session."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    row = db.session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == _digest(token), UserSession.ended_at.is_(None))
    ).first()
    if row is None or str(row.User.id) != user_id or not row.User.can_log_in:
        return None
    user_session, user = row
    idle, maximum = _limits_for(user)
    now = utcnow()
    if now - user_session.last_seen_at > idle or now - user_session.created_at > maximum:
        user_session.ended_at = now
        db.session.commit()
        return None
    if now - user_session.last_seen_at > TOUCH_EVERY:
        user_session.last_seen_at = now
        db.session.commit()
    return user
