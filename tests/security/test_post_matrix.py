"""The permission matrix (tests/test_access.py) checks a rule with GET and POST by its GET only;
here the POST of each such rule is refused to every role the GET is refused to, the same way
(403, 404, or the login page), with a valid CSRF token so the role guard answers, not CSRF."""

from __future__ import annotations

import pytest

from tests.factories import LoggingClient, csrf_token
from tests.test_access import EXPECTED, LOGIN, ROLES, _outcome, _url, world  # noqa: F401

REFUSED = (403, 404, LOGIN)


@pytest.mark.parametrize("role", ROLES)
def test_post_is_refused_wherever_get_is(app, world, role):  # noqa: F811
    people, values = world
    client = LoggingClient.wrap(app.test_client())
    if role != "anonymous":
        client.login(*people[role])
    token = csrf_token(client.get("/mot-de-passe/oubli").get_data(as_text=True))
    column, checked, wrong = ROLES.index(role), 0, []
    for rule in app.url_map.iter_rules():
        if not {"GET", "POST"} <= rule.methods or rule.endpoint == "static":
            continue
        expected = EXPECTED.get(f"GET {rule.rule}")
        if expected is None or expected[column] not in REFUSED:
            continue
        url = _url(app, rule, values)
        seen = _outcome(client.post(url, data={"csrf_token": token}), url)
        checked += 1
        if seen != expected[column]:
            wrong.append(f"POST {rule.rule}: GET gives {expected[column]}, POST {seen}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
    if role not in ("admin",):
        assert checked > 0
