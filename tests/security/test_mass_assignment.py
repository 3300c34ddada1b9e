"""Mass assignment: extra fields posted to every form change nothing they name.

Every form found by the crawl (:mod:`tests.security.forms`) is sent as a person would fill it
(the values the page filled in, a plausible answer in each empty box, the first button), plus every field of
``MASS_NAMES`` the form does not have, each naming the other territory's records (or ids of
nothing, for the administrator and anonymous people, who may pick either territory's commune
or team in the form itself). Afterwards no row
that changed or appeared may hold an injected value, no account changed role, and no account
changed territory unless the form has a territory field.
"""

from __future__ import annotations

import uuid

from werkzeug.datastructures import MultiDict

from app.extensions import db, limiter
from app.models import User
from tests.security.forms import Form, add_states, discover
from tests.security.fuzzing import MASS_NAMES
from tests.security.test_fuzz_forms import distinct
from tests.security.world import Browser, World, make_world, snapshot

MARKER_EMAIL = "intrus-9d2f@example.org"
MARKER_TEXT = "ASSIGNE-EN-MASSE-7f3a"


def injected(world: World, role: str) -> dict[str, str]:
    """A value for every mass-assignment name: the other side's ids, or ids of nothing."""
    other = {name: str(value) for name, value in world.b.ids.items()}
    if role in ("admin", "anonymous"):  # they may pick either territory (a commune, a team)
        other = {name: str(uuid.uuid4()) for name in other}
    values = {"role": "admin", "status": "approved", "state": "active",
              "territory": other["territory_id"], "id": other["resident_id"],
              "owner_id": other["user_id"], "is_enabled": "1", "password_hash": MARKER_TEXT,
              "email": MARKER_EMAIL, "registered_by_id": other["user_id"], "capacity": "99",
              "score": "1000"}
    values.update(other)
    return {name: values.get(name, MARKER_TEXT) for name in MASS_NAMES}


def _forbidden_strings(values: dict[str, str]) -> set[str]:
    found = {MARKER_EMAIL, MARKER_TEXT}
    for value in values.values():
        try:
            found.add(uuid.UUID(value).hex)
            found.add(value)
        except ValueError:
            pass
    return found


def _changed_rows(before: dict, after: dict) -> list[tuple[str, tuple]]:
    rows = []
    for table, now in after.items():
        old = set(before.get(table, []))
        rows.extend((table, row) for row in now if row not in old)
    return rows


def _accounts() -> dict[str, tuple]:
    found = {str(u.id): (u.role, u.territory_id) for u in db.session.scalars(db.select(User))}
    db.session.rollback()
    return found


def send_with_extras(browser: Browser, form: Form, extras: dict[str, str]):
    pairs = [(name, browser.token) for name in form.fields if name.endswith("csrf_token")]
    pairs += form.filled()
    pairs += [(name, value) for name, value in extras.items() if name not in form.fields]
    limiter.reset()
    return browser.client.post(form.action, data=MultiDict(pairs))


def test_extra_fields_change_nothing_they_name(app, place):
    world = make_world(place)
    cast = add_states(world, place)
    forms = distinct(discover(app, cast, place))
    problems, accepted, browsers = [], [], {}
    for form in forms:
        if form.role not in browsers:
            limiter.reset()
            browsers[form.role] = Browser(app, cast.people[form.role])
        browser = browsers[form.role]
        if form.rule == "/deconnexion":  # this one ends the session: the next form logs in again
            del browsers[form.role]
        extras = injected(world, form.role)
        forbidden = _forbidden_strings(extras)
        before, accounts_before = snapshot(), _accounts()
        response = send_with_extras(browser, form, extras)
        after, accounts_after = snapshot(), _accounts()
        label = f"{form.role} {form.rule}"
        if response.status_code >= 500:
            problems.append(f"{label}: {response.status_code}")
            continue
        changed = _changed_rows(before, after)
        if changed:
            accepted.append(label)
        for table, row in changed:
            text = " ".join(row)
            hits = [value for value in forbidden if value in text]
            if hits:
                problems.append(f"{label}: {table} took {hits}: {row}")
        for user_id, (role, territory) in accounts_before.items():
            new_role, new_territory = accounts_after.get(user_id, (role, territory))
            if new_role != role:
                problems.append(f"{label}: account {user_id} became {new_role}")
            if new_territory != territory and "territory" not in form.fields:
                problems.append(f"{label}: account {user_id} moved to {new_territory}")
    print(f"\n{len(forms)} forms sent with extra fields; {len(accepted)} changed the data:")
    print("\n".join(f"  {label}" for label in accepted))
    assert not problems, "\n".join(problems)
    # The check is only worth something if many forms were accepted as sent.
    assert len(accepted) >= 20, accepted
