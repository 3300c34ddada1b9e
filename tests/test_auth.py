"""Accounts: sign-up, log in, log out, password reset and change, throttling, no enumeration.

The sign-up's steps themselves are tested in ``test_signup_wizard.py``; here, what it creates.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import timedelta

import itsdangerous
import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.extensions import db, limiter
from app.models import (
    AuditEntry,
    ConsentRecord,
    OutboxMessage,
    PasswordResetToken,
    ResidentProfile,
    Role,
    User,
    UserSession,
    VolunteerProfile,
    VolunteerStatus,
    utcnow,
)
from app.security import passwords
from tests import factories
from tests.factories import LoggingClient
from tests.test_signup_wizard import (
    add_towns,
    resident_steps,
    send,
    volunteer_steps,
    walk,
)

NEW_PASSWORD = "un tout autre mot de passe 7"
GENERIC_FAILURE = "Adresse e-mail ou mot de passe incorrect."
LOCKED = "Trop de tentatives pour ce compte."
CHECK_EMAIL = "/inscription/envoyee"


@contextmanager
def reading():
    """Read in the test's own session, then end its transaction so requests can write (SQLite)."""
    try:
        yield db.session
    finally:
        db.session.rollback()


def count(model, *where) -> int:
    with reading() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def sign_up(client, kind: str, towns, password: str = "une phrase assez longue 42", **answers):
    """Walk every step of a sign-up and send it; the last response."""
    steps = (resident_steps if kind == "resident" else volunteer_steps)(towns, **answers)
    walk(client, kind, steps)
    return send(client, kind, password)


def strip_csrf(html: str) -> str:
    return re.sub(r'value="[^"]*"(?=>)|name="csrf_token"[^>]*', "", html)


def outbox(email: str, kind: str) -> list[str]:
    """Bodies of the messages queued for ``email`` of this kind, oldest first."""
    with reading() as s:
        return list(s.scalars(select(OutboxMessage.body).where(
            OutboxMessage.recipient == email, OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def reset_token(client, email: str) -> str:
    """Ask for a reset link and take the token out of the queued e-mail."""
    response = client.post_form("/mot-de-passe/oubli", {"email": email})
    assert response.status_code == 200
    bodies = outbox(email, "password_reset")
    assert bodies, "no reset e-mail in the outbox"
    match = re.search(r"https?://[^/\s]+/mot-de-passe/nouveau/([A-Za-z0-9_-]+)", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


def logged_in(client, home: str) -> bool:
    """Whether the client's session still opens ``home`` (a 302 to the login page means no)."""
    response = client.get(home)
    if response.status_code == 302:
        assert response.location.startswith("/connexion")
        return False
    assert response.status_code == 200
    return True


def new_client(app) -> LoggingClient:
    return LoggingClient.wrap(app.test_client())


@pytest.fixture
def towns(place):
    """The test places with their postcodes (the sign-up finds the neighbourhood from them)."""
    return add_towns(place)


# --- Sign-up -----------------------------------------------------------------------------------


def test_resident_signup_creates_user_profile_and_consent(client, towns):
    response = sign_up(client, "resident", towns, languages=["fr", "oc"], interests=["reading"])
    assert (response.status_code, response.location) == (303, CHECK_EMAIL)
    with reading() as s:
        user = s.scalar(select(User).where(User.email == "jeanne.martin@example.org"))
        assert user.role is Role.RESIDENT
        assert user.phone == "+33612345678"
        assert user.password_hash.startswith("$argon2id$")
        profile = s.scalar(select(ResidentProfile).where(ResidentProfile.user_id == user.id))
        assert profile.neighbourhood_id == towns["pau"].id
        assert profile.languages == ["fr", "oc"]
        consents = s.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user.id)).all()
        assert [(c.purpose, c.method.value, c.given_by) for c in consents] == [
            ("data_processing", "online", "Jeanne Martin")]
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)) == \
            "resident.register"
    assert len(outbox("jeanne.martin@example.org", "signup_welcome")) == 1
    page = client.get(CHECK_EMAIL).get_data(as_text=True)
    assert "Vérifiez votre messagerie" in page
    # The account exists and works: the person logs in with what they just chose.
    assert not logged_in(client, "/habitant/")
    client.post_form("/connexion", {"email": "Jeanne.Martin@example.org",
                                    "password": "une phrase assez longue 42"})
    assert logged_in(client, "/habitant/")


def test_volunteer_signup_creates_applicant_with_charter_consent(client, towns):
    response = sign_up(client, "volunteer", towns)
    assert (response.status_code, response.location) == (303, CHECK_EMAIL)
    with reading() as s:
        user = s.scalar(select(User).where(User.email == "paul.durand@example.org"))
        assert user.role is Role.VOLUNTEER
        profile = s.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
        assert profile.status is VolunteerStatus.APPLIED
        assert profile.max_km == 2.5  # typed the French way, with a comma
        assert profile.capacity == 2
        purposes = sorted(s.scalars(select(ConsentRecord.purpose)
                                    .where(ConsentRecord.user_id == user.id)))
        assert purposes == ["charter", "data_processing"]


@pytest.mark.parametrize("kind", ["resident", "volunteer"])
def test_signup_with_a_taken_email_answers_like_a_new_one(app, client, towns, resident, kind):
    """No enumeration: the page is the same; the holder of the address is told by e-mail."""
    user, _ = resident
    users_before = count(User)

    fresh = sign_up(client, kind, towns, email="someone.new@example.org")
    other = new_client(app)
    taken = sign_up(other, kind, towns, email=user.email.upper(), password="un autre mot de passe")

    assert (taken.status_code, taken.location) == (fresh.status_code, fresh.location)
    assert strip_csrf(other.get(CHECK_EMAIL).get_data(as_text=True)) == \
        strip_csrf(client.get(CHECK_EMAIL).get_data(as_text=True))
    assert count(User) == users_before + 1  # only the new address made an account
    assert count(ConsentRecord, ConsentRecord.user_id == user.id) == 1
    notices = outbox(user.email, "signup_existing")
    assert len(notices) == 1
    assert "/mot-de-passe/oubli" in notices[0] and "/connexion" in notices[0]
    # The owner's password did not change.
    assert other.login(user, factories.PASSWORD).status_code == 302


def test_repeated_signups_with_a_taken_email_send_one_notice_a_day(app, client, towns, resident):
    user, _ = resident
    for _ in range(3):
        response = sign_up(client, "resident", towns, email=user.email)
        assert response.location == CHECK_EMAIL
    assert len(outbox(user.email, "signup_existing")) == 1


def test_signup_race_on_the_same_email_is_not_a_500(app, client, towns, monkeypatch):
    """Two sign-ups with one address at once: the unique index decides, the loser gets the page."""
    from app.services import accounts

    first = sign_up(client, "resident", towns)
    assert first.location == CHECK_EMAIL
    # Pretend the check ran before the other request committed.
    monkeypatch.setattr(accounts, "email_taken", lambda email: False)
    second = sign_up(new_client(app), "resident", towns)
    assert (second.status_code, second.location) == (303, CHECK_EMAIL)
    assert count(User, User.email == "jeanne.martin@example.org") == 1


# --- Log in, log out ---------------------------------------------------------------------------


def test_login_lands_on_the_role_home(client, resident):
    user, password = resident
    response = client.post_form("/connexion", {"email": user.email, "password": password})
    assert (response.status_code, response.location) == (302, "/habitant/")
    assert count(UserSession, UserSession.user_id == user.id, UserSession.ended_at.is_(None)) == 1


def test_wrong_password_gives_the_generic_message(client, resident):
    user, _ = resident
    response = client.post_form("/connexion", {"email": user.email, "password": "pas le bon"})
    assert response.status_code == 422
    assert GENERIC_FAILURE in response.get_data(as_text=True)
    assert count(UserSession) == 0


def test_login_unknown_and_wrong_password_look_the_same(app, resident):
    user, _ = resident
    known = new_client(app).post_form("/connexion", {"email": user.email, "password": "faux!"})
    unknown = new_client(app).post_form(
        "/connexion", {"email": "x" + user.email, "password": "faux!"})
    assert known.status_code == unknown.status_code == 422
    # Same page once the typed address (which is echoed back) and the token are set aside.
    known_html = strip_csrf(known.get_data(as_text=True)).replace(user.email, "EMAIL")
    unknown_html = strip_csrf(unknown.get_data(as_text=True)).replace("x" + user.email, "EMAIL")
    assert known_html == unknown_html


def test_forgot_password_answers_the_same_for_known_and_unknown(app, resident):
    user, _ = resident
    known = new_client(app).post_form("/mot-de-passe/oubli", {"email": user.email})
    unknown = new_client(app).post_form("/mot-de-passe/oubli", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert strip_csrf(known.get_data(as_text=True)) == strip_csrf(unknown.get_data(as_text=True))
    assert len(outbox(user.email, "password_reset")) == 1
    assert outbox("nobody@example.org", "password_reset") == []


def test_logout_is_post_only(client, resident):
    user, password = resident
    client.login(user, password)
    assert client.get("/deconnexion").status_code == 405
    assert logged_in(client, "/habitant/")


def test_logout_without_csrf_token_keeps_the_session(client, resident):
    user, password = resident
    client.login(user, password)
    response = client.post("/deconnexion")
    assert response.status_code == 302
    assert logged_in(client, "/habitant/")


def test_logout_ends_the_session(client, resident):
    user, password = resident
    client.login(user, password)
    response = client.logout()
    assert (response.status_code, response.location) == (302, "/")
    assert "Vous êtes déconnecté·e." in client.get("/").get_data(as_text=True)
    assert not logged_in(client, "/habitant/")
    assert count(UserSession, UserSession.ended_at.is_(None)) == 0


# --- Password reset ------------------------------------------------------------------------------


def test_reset_sets_the_password_without_logging_in_and_ends_sessions(app, client, resident):
    user, password = resident
    elsewhere = new_client(app)
    elsewhere.login(user, password)
    token = reset_token(client, user.email)
    assert client.get(f"/mot-de-passe/nouveau/{token}").status_code == 200

    response = client.post_form(f"/mot-de-passe/nouveau/{token}", {"password": NEW_PASSWORD})
    assert (response.status_code, response.location) == (302, "/connexion")
    assert not logged_in(client, "/habitant/")          # no automatic login
    assert not logged_in(elsewhere, "/habitant/")       # the other session ended
    refused = new_client(app).post_form("/connexion", {"email": user.email, "password": password})
    assert refused.status_code == 422
    assert new_client(app).login(user, NEW_PASSWORD).status_code == 302


def test_reset_token_is_single_use(client, resident):
    user, _ = resident
    token = reset_token(client, user.email)
    client.post_form(f"/mot-de-passe/nouveau/{token}", {"password": NEW_PASSWORD})
    assert client.get(f"/mot-de-passe/nouveau/{token}").status_code == 404
    with reading() as s:
        hash_before = s.scalar(select(User.password_hash).where(User.id == user.id))
    # Posting again with a fresh CSRF token from another page still changes nothing.
    response = client.post_form(f"/mot-de-passe/nouveau/{token}",
                                {"password": "encore un autre mot de passe"}, page="/connexion")
    assert response.status_code == 404
    with reading() as s:
        assert s.scalar(select(User.password_hash).where(User.id == user.id)) == hash_before


def test_expired_reset_token_is_refused(client, resident):
    user, password = resident
    token = reset_token(client, user.email)
    db.session.execute(update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(f"/mot-de-passe/nouveau/{token}").status_code == 404
    response = client.post_form(f"/mot-de-passe/nouveau/{token}", {"password": NEW_PASSWORD},
                                page="/connexion")
    assert response.status_code == 404
    assert client.login(user, password).status_code == 302


def test_reset_token_expires_after_30_minutes(client, resident, monkeypatch):
    from app.services import accounts

    user, _ = resident
    token = reset_token(client, user.email)
    now = utcnow()
    monkeypatch.setattr(accounts, "utcnow", lambda: now + timedelta(minutes=29))
    assert client.get(f"/mot-de-passe/nouveau/{token}").status_code == 200
    monkeypatch.setattr(accounts, "utcnow", lambda: now + timedelta(minutes=31))
    assert client.get(f"/mot-de-passe/nouveau/{token}").status_code == 404


def test_reset_for_unknown_or_garbage_tokens(client):
    assert client.get("/mot-de-passe/nouveau/abc").status_code == 404
    assert client.get("/mot-de-passe/nouveau/" + "a" * 500).status_code == 404


def test_reset_unlocks_an_account_locked_by_failures(app, client, resident):
    """The owner proved they hold the address: failures an attacker caused no longer lock them out."""
    user, _ = resident
    for n in range(5):
        new_client(app).post_form("/connexion", {"email": user.email, "password": "faux"},
                                  environ_overrides={"REMOTE_ADDR": f"10.0.0.{n}"})
    token = reset_token(client, user.email)
    client.post_form(f"/mot-de-passe/nouveau/{token}", {"password": NEW_PASSWORD})
    assert new_client(app).login(user, NEW_PASSWORD).status_code == 302


# --- Password change -----------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(app, client, volunteer):
    user, password = volunteer
    client.login(user, password)
    elsewhere = new_client(app)
    elsewhere.login(user, password)

    response = client.post_form("/compte/mot-de-passe",
                                {"current": password, "password": NEW_PASSWORD})
    assert (response.status_code, response.location) == (302, "/benevole/")
    assert logged_in(client, "/benevole/")
    assert not logged_in(elsewhere, "/benevole/")
    assert new_client(app).login(user, NEW_PASSWORD).status_code == 302
    with reading() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)
                        .order_by(AuditEntry.id.desc())) == "account.password_change"


def test_change_password_with_wrong_current_changes_nothing(app, client, volunteer):
    user, password = volunteer
    client.login(user, password)
    response = client.post_form("/compte/mot-de-passe",
                                {"current": "pas le bon", "password": NEW_PASSWORD})
    assert response.status_code == 422
    assert "Le mot de passe actuel est incorrect." in response.get_data(as_text=True)
    assert new_client(app).login(user, password).status_code == 302


# --- Hashes ----------------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id(resident):
    user, password = resident
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash


def test_production_hashes_use_at_least_19_mib(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    prod = create_app({"ENV_NAME": "production", "RATELIMIT_STORAGE_URI": "memory://"})
    with prod.app_context():
        hasher = passwords._hasher()
        assert hasher.memory_cost >= 19456
        assert hasher.memory_cost == 65536
        stored = passwords.hash_password("une phrase assez longue 42")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=")
        assert passwords.verify_password(stored, "une phrase assez longue 42")
        # A hash made with the cheap test parameters is upgraded at the next login.
        assert passwords.needs_rehash(passwords._build_hasher(1, 64).hash("x" * 12))


# --- CSRF ----------------------------------------------------------------------------------------


def test_csrf_failure_sends_back_with_a_message(client, towns):
    form_page = "http://voisinage.test/inscription/habitant"
    response = client.post("/inscription/habitant", data=resident_steps(towns)[0][1],
                           headers={"Referer": form_page})
    assert (response.status_code, response.location) == (302, "/inscription/habitant")
    assert "Votre session a expiré" in client.get("/inscription/habitant").get_data(as_text=True)
    assert count(User) == 0


def test_csrf_failure_never_redirects_off_site(client):
    response = client.post("/connexion", data={"email": "a@b.fr", "password": "x"},
                           headers={"Referer": "https://evil.example/connexion"})
    assert (response.status_code, response.location) == (302, "/")


@pytest.mark.parametrize("url", ["/connexion", "/inscription/habitant", "/inscription/benevole",
                                 "/inscription/habitant/verifier", "/inscription/benevole/verifier",
                                 "/mot-de-passe/oubli"])
def test_public_forms_without_token_change_nothing(client, towns, resident, url):
    user, _ = resident
    kind = "resident" if "habitant" in url else "volunteer"
    if "verifier" in url:  # a complete draft: only the token is missing
        walk(client, kind, (resident_steps if kind == "resident" else volunteer_steps)(towns))
    data = {"email": user.email, "password": factories.PASSWORD,
            **(resident_steps(towns, email="n@example.org")[0][1] if "habitant" in url else {}),
            **(volunteer_steps(towns, email="n@example.org")[0][1] if "benevole" in url else {})}
    users, messages = count(User), count(OutboxMessage)
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert (count(User), count(OutboxMessage), count(UserSession)) == (users, messages, 0)


def test_reset_without_token_changes_nothing(client, resident):
    user, password = resident
    token = reset_token(client, user.email)
    response = client.post(f"/mot-de-passe/nouveau/{token}", data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert count(PasswordResetToken, PasswordResetToken.used_at.is_not(None)) == 0
    assert client.login(user, password).status_code == 302


def test_change_password_without_token_changes_nothing(app, client, resident):
    user, password = resident
    client.login(user, password)
    response = client.post("/compte/mot-de-passe", data={"current": password,
                                                         "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert new_client(app).login(user, password).status_code == 302


def test_csrf_tokens_do_not_expire(app, client, resident, monkeypatch):
    """A slow person must not lose a form: a token from a page opened a month ago still works."""
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    user, password = resident
    token = factories.csrf_token(client.get("/connexion").get_data(as_text=True))
    # Flask-WTF's default would refuse a token older than an hour; the session cookie itself
    # lasts 12 hours (PERMANENT_SESSION_LIFETIME), which bounds how long a page may stay open.
    later = int(time.time()) + 11 * 3600
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    response = client.post("/connexion", data={"csrf_token": token, "email": user.email,
                                               "password": password})
    assert (response.status_code, response.location) == (302, "/habitant/")


# --- Throttling ----------------------------------------------------------------------------------


def test_eleventh_failed_login_from_one_address_is_refused(app, resident):
    user, _ = resident
    statuses = [new_client(app).post_form("/connexion",
                                          {"email": f"n{n}@example.org", "password": "faux"}).status_code
                for n in range(11)]
    assert statuses == [422] * 10 + [429]
    # The limit is per address: another address may still try.
    other = new_client(app).post_form("/connexion", {"email": "z@example.org", "password": "faux"},
                                      environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 422


def test_successful_logins_are_not_counted(app, resident):
    """A desk where many people log in from one address is not throttled by its successes."""
    user, password = resident
    for _ in range(12):
        assert new_client(app).login(user, password).status_code == 302
    statuses = [new_client(app).post_form("/connexion",
                                          {"email": "n@example.org", "password": "faux"}).status_code
                for _ in range(11)]
    assert statuses == [422] * 10 + [429]


def test_five_failures_lock_the_account_from_any_address(app, resident):
    user, password = resident
    for n in range(5):
        response = new_client(app).post_form(
            "/connexion", {"email": user.email, "password": "faux"},
            environ_overrides={"REMOTE_ADDR": f"198.51.100.{n}"})
        assert response.status_code == 422
    right = new_client(app).post_form("/connexion", {"email": user.email, "password": password},
                                      environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
    assert right.status_code == 422
    assert LOCKED in right.get_data(as_text=True)
    assert count(UserSession) == 0


def test_unknown_accounts_lock_the_same_way(app, resident):
    user, _ = resident
    pages = {}
    for email in (user.email, "inconnu@example.org"):
        for n in range(6):
            response = new_client(app).post_form(
                "/connexion", {"email": email, "password": "faux"},
                environ_overrides={"REMOTE_ADDR": f"198.51.100.{n}"})
        pages[email] = strip_csrf(response.get_data(as_text=True)).replace(email, "EMAIL")
        assert LOCKED in pages[email]
    assert pages[user.email] == pages["inconnu@example.org"]


def test_limiter_state_does_not_outlive_its_app(app, resident, database_url):
    """Each app gets a fresh limiter storage, so no test inherits another's failures."""
    for n in range(10):
        new_client(app).post_form("/connexion", {"email": "n@example.org", "password": "faux"})
    assert new_client(app).post_form("/connexion", {"email": "n@example.org",
                                                    "password": "faux"}).status_code == 429
    db.session.rollback()  # the requests shared the test's session: release SQLite's write lock
    second = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                         "SERVER_NAME": "voisinage.test"})
    with second.app_context():
        response = new_client(second).post_form("/connexion", {"email": "n@example.org",
                                                               "password": "faux"})
        assert response.status_code == 422
        db.session.remove()
    assert limiter.enabled


# --- Open redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
    "http:/evil.example", "/\t/evil.example", "javascript:alert(1)", "///evil.example",
])
def test_next_never_leaves_the_site(client, resident, target):
    user, password = resident
    response = client.post_form(f"/connexion?next={target}", {"email": user.email,
                                                                "password": password})
    assert (response.status_code, response.location) == (302, "/habitant/")


def test_next_inside_the_site_is_followed(client, agent):
    user, password = agent
    anonymous = client.get("/agent/?tab=1")
    assert anonymous.location == "/connexion?next=/agent/?tab%3D1"
    response = client.post_form(anonymous.location, {"email": user.email, "password": password})
    assert response.location == "/agent/?tab=1"
