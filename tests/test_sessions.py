"""Server-side sessions: cookie flags, logout for good, idle and absolute limits."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select, update

from app import create_app
from app.extensions import db
from app.models import User, UserSession, utcnow
from tests.factories import LoggingClient

COOKIE = "voisinage_session"


@contextmanager
def reading():
    """Read in the test's session, then end its transaction so requests can write (SQLite)."""
    db.session.rollback()
    try:
        yield
    finally:
        db.session.rollback()


def set_cookie_header(response, name: str = COOKIE) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, f"no {name} cookie set"
    return headers[-1]


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def copy_session(source, target, domain: str = "voisinage.test") -> None:
    """Put ``source``'s session cookie into ``target``, as a thief who captured it would."""
    cookie = source.get_cookie(COOKIE, domain=domain)
    assert cookie is not None
    target.set_cookie(COOKIE, cookie.value, domain=domain)


def move_session(user, **ago: timedelta) -> None:
    """Move the user's open session back in time (``created_at`` or ``last_seen_at``)."""
    db.session.rollback()
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id)
                       .values(**{column: utcnow() - delta for column, delta in ago.items()}))
    db.session.commit()


def status_of(client, url: str) -> tuple[int, str | None]:
    response = client.get(url)
    return response.status_code, response.location


def test_session_cookie_is_httponly_and_samesite_lax(client, resident):
    user, password = resident
    response = client.login(user, password)
    header = set_cookie_header(response)
    assert {"httponly", "samesite", "path"} <= cookie_attributes(header)
    assert "SameSite=Lax" in header
    assert "secure" not in cookie_attributes(header)  # plain HTTP in development and tests
    # The cookie carries only a signed random token, never the user's id in clear.
    assert str(user.id) not in SimpleCookie(header)[COOKIE].value


def test_session_cookie_is_secure_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    app = create_app({"ENV_NAME": "production", "RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    client = app.test_client()
    # Plain HTTP is sent to HTTPS.
    plain = client.get("/connexion", base_url="http://voisinage.example")
    assert plain.status_code in (301, 302)
    assert plain.location.startswith("https://voisinage.example/connexion")
    # Over HTTPS the login page stores its CSRF token in the session: the cookie is Secure.
    page = client.get("/connexion", base_url="https://voisinage.example")
    assert page.status_code == 200
    attributes = cookie_attributes(set_cookie_header(page))
    assert {"secure", "httponly", "samesite"} <= attributes
    assert page.headers["Strict-Transport-Security"].startswith("max-age=63072000")


def test_a_cookie_captured_before_logout_is_worthless_after(app, client, resident):
    user, password = resident
    client.login(user, password)
    thief = LoggingClient.wrap(app.test_client())
    copy_session(client, thief)
    assert status_of(thief, "/habitant/") == (200, None)

    client.logout()
    code, location = status_of(thief, "/habitant/")
    assert code == 302 and location.startswith("/connexion?next=")


def test_a_new_login_does_not_revive_an_ended_session(app, client, resident):
    user, password = resident
    client.login(user, password)
    thief = LoggingClient.wrap(app.test_client())
    copy_session(client, thief)
    client.logout()
    client.login(user, password)
    assert status_of(thief, "/habitant/")[0] == 302


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_staff_session_ends_after_30_minutes_idle(request, client, who):
    user, password = request.getfixturevalue(who)
    home = "/agent/" if who == "agent" else "/admin/"
    client.login(user, password)
    move_session(user, last_seen_at=timedelta(minutes=29))
    assert status_of(client, home) == (200, None)        # and the visit refreshes last_seen_at
    move_session(user, last_seen_at=timedelta(minutes=31))
    code, location = status_of(client, home)
    assert code == 302 and location.startswith("/connexion")
    with reading():
        assert db.session.scalar(select(UserSession.ended_at)) is not None
    # Ended for good: moving the clock back does not bring it back.
    move_session(user, last_seen_at=timedelta(0))
    assert status_of(client, home)[0] == 302


def test_staff_session_ends_after_12_hours_even_when_active(client, agent):
    user, password = agent
    client.login(user, password)
    move_session(user, created_at=timedelta(hours=11, minutes=59), last_seen_at=timedelta(0))
    assert status_of(client, "/agent/") == (200, None)
    move_session(user, created_at=timedelta(hours=12, minutes=1), last_seen_at=timedelta(0))
    assert status_of(client, "/agent/")[0] == 302


def test_member_session_is_not_cut_after_30_minutes(client, resident):
    """Residents and volunteers read slowly: only staff have the 30-minute idle limit."""
    user, password = resident
    client.login(user, password)
    move_session(user, last_seen_at=timedelta(hours=2))
    assert status_of(client, "/habitant/") == (200, None)
    move_session(user, last_seen_at=timedelta(days=15))
    assert status_of(client, "/habitant/")[0] == 302


def test_disabled_account_loses_its_session(client, volunteer):
    user, password = volunteer
    client.login(user, password)
    db.session.rollback()
    db.session.execute(update(User).where(User.id == user.id).values(is_enabled=False))
    db.session.commit()
    assert status_of(client, "/benevole/")[0] == 302


def test_login_opens_a_session_row_per_browser(app, client, resident):
    user, password = resident
    client.login(user, password)
    LoggingClient.wrap(app.test_client()).login(user, password)
    with reading():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
        assert len(rows) == 2
        assert all(len(row.id) == 64 for row in rows)  # only digests are stored
