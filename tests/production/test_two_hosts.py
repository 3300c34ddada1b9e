"""Two app servers on two ports, one database and one Redis: as two hosts behind a balancer.

A login made through one is valid on the other, a logout on one ends the session on both, and
the login throttle counts the attempts made through both (its counters live in Redis). On SQLite
both servers share the test's database file, which is how the same machine would run them.
About 20 s (two gunicorn servers of two workers each, started once).
"""

from __future__ import annotations

import pytest
import requests
from requests import Response
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import User
from tests import factories
from tests.live import Browserless, LiveServer, serving
from tests.production.redis_store import unique_email

WRONG = "ce n'est pas le bon mot de passe"


@pytest.fixture
def two_hosts(database_url, place, redis_store):
    """Two servers (two workers each) sharing the database and the test's Redis database.

    They trust one proxy hop, so each phase of a test can come from its own client address
    (``X-Forwarded-For``), as it would through the load balancer.
    """
    user, _ = factories.make_resident(place.nb_a)
    user.email = unique_email()
    db.session.commit()
    email = user.email
    db.session.close()
    overrides = {"RATELIMIT_STORAGE_URI": redis_store.url,
                 "RATELIMIT_KEY_PREFIX": redis_store.prefix, "PROXY_HOPS": 1}
    with serving(LiveServer(database_url, overrides=overrides),
                 LiveServer(database_url, overrides=overrides)) as (a, b):
        yield a, b, email


def _client(base: str, address: str, source: Browserless | None = None) -> Browserless:
    """A client of one host, from one address, maybe carrying exactly the cookies of ``source``."""
    client = Browserless(base)
    client.headers["X-Forwarded-For"] = address
    if source is not None:
        client.cookies.update(source.cookies)  # same domain (cookies ignore ports)
    return client


def _status(client: Browserless, page: str) -> int:
    return client.get(page, allow_redirects=False).status_code


def _login(client: Browserless, email: str, password: str = WRONG) -> Response:
    return client.post("/connexion", data={"csrf_token": client.token("/connexion"),
                                           "email": email, "password": password})


def test_sessions_and_login_throttles_are_shared_by_two_hosts(two_hosts, redis_store):
    a, b, email = two_hosts

    # The production gunicorn settings name no server software and no version.
    banner = requests.get(a.url + "/healthz", timeout=10).headers.get("Server", "")
    assert "gunicorn" not in banner.lower() and not any(c.isdigit() for c in banner), banner

    # A login through A is valid on B; a logout through B ends it on both.
    on_a = _client(a.url, "192.0.2.1")
    _login(on_a, email, factories.PASSWORD)
    on_b = _client(b.url, "192.0.2.1", source=on_a)
    captured = _client(a.url, "192.0.2.1", source=on_a)
    assert _status(on_a, "/habitant/") == 200
    assert _status(on_b, "/habitant/") == 200, "the session is not valid on the other host"
    on_b.post("/deconnexion", data={"csrf_token": on_b.token("/habitant/")})
    assert _status(on_b, "/habitant/") == 302, "the logout did not happen"
    for host in (a, b):
        replay = _client(host.url, "192.0.2.1", source=captured)
        assert _status(replay, "/habitant/") == 302, f"a logged-out cookie still works on {host.url}"

    # The address limit (10 failures a minute) counts failures made through both hosts: ten,
    # alternating, each on a different unknown account so that no account lock plays a part.
    hosts = [_client(a.url, "192.0.2.2"), _client(b.url, "192.0.2.2")]
    statuses = [_login(hosts[i % 2], unique_email()).status_code for i in range(10)]
    assert statuses == [422] * 10, statuses
    assert [_login(h, unique_email()).status_code for h in hosts] == [429, 429]
    assert redis_store.keys(), "the limiter wrote nothing in the test's Redis"

    # The account lock (5 failures) counts failures made through both hosts, from any address.
    for i, host in enumerate((a, b, a, b, a)):
        assert _login(_client(host.url, f"198.51.100.{i}"), email).status_code == 422
    for host in (a, b):
        response = _login(_client(host.url, "203.0.113.9"), email, factories.PASSWORD)
        assert response.status_code == 422, "the right password got in despite the lock"
        assert "Trop de tentatives" in response.text


def test_the_limiter_keeps_its_counters_in_the_configured_redis(app, redis_store):
    from limits.storage import RedisStorage

    from app.security import throttle

    other = type(app)(app.import_name)  # a bare app: the limiter reads only its configuration
    other.config.update(RATELIMIT_STORAGE_URI=redis_store.url,
                        RATELIMIT_KEY_PREFIX=redis_store.prefix, RATELIMIT_ENABLED=True,
                        LOGIN_ACCOUNT_WINDOW=app.config["LOGIN_ACCOUNT_WINDOW"],
                        LOGIN_ACCOUNT_LOCK=app.config["LOGIN_ACCOUNT_LOCK"],
                        LOGIN_LIMIT_PER_ACCOUNT=2)
    email = unique_email()
    try:
        limiter.init_app(other)
        with other.app_context():
            assert isinstance(limiter.storage, RedisStorage)
            throttle.record_failure(email)
            assert not throttle.account_locked(email)
            throttle.record_failure(email)
            assert throttle.account_locked(email)
            fail_keys = [k for k in redis_store.client.scan_iter("*voisinage/*")]
            assert fail_keys, "the account counters are not in Redis"
            throttle.unlock(email)
            assert not throttle.account_locked(email)
    finally:
        limiter.init_app(app)


def test_sessions_are_rows_not_worker_memory(app, resident):
    # The premise of the tests above: nothing of a session lives in a process.
    from app.models import UserSession

    user, password = resident
    client = factories.LoggingClient.wrap(app.test_client())
    client.login(user, password)
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert db.session.scalar(select(User).where(User.id == user.id)).can_log_in
