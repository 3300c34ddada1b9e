"""Known and unknown e-mail addresses get the same answer in similar time: login, sign-up, reset.

The timing test runs with real argon2id parameters (19 MiB, 2 passes: the cheap test hasher would
hide a missing dummy verification) and compares the medians of several tries of each kind, with
a generous ratio so that a busy machine does not make it flaky. Each try is timed alone.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pytest

from app.extensions import limiter
from tests import factories
from tests.factories import LoggingClient
from tests.test_auth import strip_csrf
from tests.test_signup_wizard import add_towns, resident_steps, send, walk

TRIES = 7
#: Known and unknown medians must be within this factor: a missing dummy verification or hash
#: (or a mail rendered only for known addresses in the request) shows up as 3x to 10x.
RATIO = 1.8


@pytest.fixture
def real_argon2(app):
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=19 * 1024)


def _median_seconds(tries: int, one: Callable[[int], object]) -> float:
    times = []
    for i in range(tries):
        limiter.reset()  # the throttle would answer early and hide the work
        started = time.perf_counter()
        one(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _client(app) -> LoggingClient:
    return LoggingClient.wrap(app.test_client())


def _assert_similar(name: str, known: float, unknown: float) -> None:
    ratio = max(known, unknown) / min(known, unknown)
    print(f"{name}: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms, x{ratio:.2f}")
    assert ratio < RATIO, f"{name}: known {known:.4f}s vs unknown {unknown:.4f}s"


def test_login_takes_the_same_time_for_known_and_unknown_addresses(app, place, real_argon2):
    user, _ = factories.make_resident(place.nb_a)  # hashed with the real parameters
    client = _client(app)
    token = factories.csrf_token(client.get("/connexion").get_data(as_text=True))

    def attempt(email: str):
        response = client.post("/connexion", data={"csrf_token": token, "email": email,
                                                   "password": "pas le bon mot de passe"})
        assert response.status_code == 422
        return response

    # Warm both paths (the dummy hash is computed once, on first use).
    attempt("inconnu@example.org"), attempt(user.email)
    known = _median_seconds(TRIES, lambda i: attempt(user.email))
    unknown = _median_seconds(TRIES, lambda i: attempt(f"inconnu{i}@example.org"))
    _assert_similar("login", known, unknown)


def test_reset_request_takes_the_same_time_for_known_and_unknown(app, place, real_argon2):
    user, _ = factories.make_resident(place.nb_a)
    client = _client(app)
    token = factories.csrf_token(client.get("/mot-de-passe/oubli").get_data(as_text=True))

    def ask(email: str):
        response = client.post("/mot-de-passe/oubli", data={"csrf_token": token, "email": email})
        assert response.status_code == 200
        return response

    ask("inconnu@example.org"), ask(user.email)
    known = _median_seconds(TRIES, lambda i: ask(user.email))
    unknown = _median_seconds(TRIES, lambda i: ask(f"inconnu{i}@example.org"))
    _assert_similar("reset", known, unknown)


def test_signup_takes_the_same_time_for_taken_and_new_addresses(app, place, real_argon2):
    towns = add_towns(place)
    user, _ = factories.make_resident(place.nb_a)

    def sign_up(email: str):
        client = _client(app)
        walk(client, "resident", resident_steps(towns, email=email))
        started = time.perf_counter()
        response = send(client, "resident", "une phrase assez longue 42")
        elapsed = time.perf_counter() - started
        assert response.status_code == 303
        return elapsed

    sign_up("chauffe@example.org")
    taken = statistics.median(sign_up(user.email) for _ in range(TRIES))
    new = statistics.median(sign_up(f"nouveau{i}@example.org") for i in range(TRIES))
    _assert_similar("sign-up", taken, new)


def test_same_page_for_known_and_unknown_on_login_and_reset(app, place):
    """The answers themselves: status, location and page are the same (the token aside)."""
    user, _ = factories.make_resident(place.nb_a)
    for url, data in (("/connexion", {"password": "pas le bon mot de passe"}),
                      ("/mot-de-passe/oubli", {})):
        pages = []
        for email in (user.email, "inconnu@example.org"):
            limiter.reset()
            response = _client(app).post_form(url, {"email": email, **data})
            pages.append((response.status_code, response.location,
                          strip_csrf(response.get_data(as_text=True)).replace(email, "EMAIL")))
        assert pages[0] == pages[1], url
