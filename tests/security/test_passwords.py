"""The password policy: 12 to 128 characters, any characters, no composition rule, common refused.

Checked on the rule itself and end to end: a password the policy accepts can be set through the
change form and then used to log in (unicode, spaces and all), one it refuses changes nothing.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.security.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from tests import factories
from tests.factories import LoggingClient

ACCEPTED = [
    "douze lettre",                           # exactly 12, lower case letters and a space
    "une longue phrase de passe " * 4,        # a long phrase (108)
    "q" + "wé" * 63 + "z",                    # exactly 128
    "839274615093",                           # digits only: no composition rule
    "MAJUSCULES SEULES",                      # capitals only
    "Ça déménage à Pau 🐈‍⬛",                    # accents, emoji with a joiner
    "   espaces autour   ",                   # leading and trailing spaces are kept
    "пароль очень длинный",                   # Cyrillic
    "مرحبا بالعالم كله",                       # Arabic
    "長いパスワードです十二文字以上",              # Japanese, no space
    "tab\tand\nnewline ok",                   # control characters a keyboard can type
]
REFUSED = [
    ("onze lettre", "too_short"),
    ("", "too_short"),
    ("é" * 11, "too_short"),
    ("x" * (MAX_LENGTH + 1), "too_long"),
    ("motdepasse123", "too_common"),
    ("MotDePasse123", "too_common"),
    ("motdepasse 123 ", "too_common"),
    ("ｍｏｔｄｅｐａｓｓｅ１２３", "too_common"),  # full-width letters and digits
    ("azertyuiop123", "too_common"),
    ("123456789012", "too_common"),
    ("voisinage-demo-2026", "too_common"),   # the published demo password
    ("aaaaaaaaaaaaaaaa", "too_common"),
    ("abcdabcdabcdabcd", "too_common"),
]


def test_the_limits_are_those_of_the_issue():
    assert MIN_LENGTH == 12
    assert MAX_LENGTH >= 128


@pytest.mark.parametrize("password", ACCEPTED)
def test_accepted(password):
    assert MIN_LENGTH <= len(password) <= MAX_LENGTH, len(password)
    assert password_problem(password) is None


@pytest.mark.parametrize("password, problem", REFUSED)
def test_refused(password, problem):
    assert password_problem(password) == problem


def test_an_accepted_password_works_end_to_end(app, client, resident):
    """Each accepted password is set through the form, then opens a fresh login."""
    user, current = resident
    client.login(user, current)
    for password in ACCEPTED:
        response = client.post_form("/compte/mot-de-passe",
                                    {"current": current, "password": password})
        assert response.status_code == 302, (password, response.status_code)
        other = LoggingClient.wrap(app.test_client())
        other.login(user, password)
        current = password
    db.session.rollback()


@pytest.mark.parametrize("password, problem", REFUSED[:3] + REFUSED[3:6])
def test_a_refused_password_changes_nothing(app, client, resident, password, problem):
    user, current = resident
    client.login(user, current)
    response = client.post_form("/compte/mot-de-passe", {"current": current, "password": password})
    assert response.status_code == 422
    LoggingClient.wrap(app.test_client()).login(user, factories.PASSWORD)
