"""Object-level access (IDOR): nobody reaches a record of someone else through its id in a URL.

Generated from ``app.url_map``: every rule with an id, GET and POST alike, is requested by each of
two residents, two volunteers and two agents of different territories with the ids of the other
side's records. Each answer must be 404 (or 403) and the database must not change. A rule whose
parameter the world cannot fill fails the test, so a new id route cannot be forgotten; and for
each rule someone of the owning side must get through, so the check can fail.
"""

from __future__ import annotations

import uuid

import pytest
from werkzeug.routing import Rule

from tests.security.world import Browser, changed_tables, make_world, snapshot

DENIED = (403, 404)


def id_rules(app) -> list[Rule]:
    """Every rule with a UUID parameter (static files aside)."""
    return sorted((rule for rule in app.url_map.iter_rules()
                   if any(type(c).__name__ == "UUIDConverter" for c in rule._converters.values())),
                  key=lambda rule: rule.rule)


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods & {"GET", "POST", "PUT", "PATCH", "DELETE"})


def url_for_side(app, rule: Rule, ids: dict[str, uuid.UUID]) -> str:
    missing = [name for name in rule.arguments if name not in ids]
    assert not missing, (
        f"{rule.rule}: the test world has no record for {missing}; add one to "
        "tests/security/world.py (both sides) so this id route is checked")
    with app.test_request_context():
        return app.url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})


def request(browser: Browser, method: str, url: str):
    if method == "GET":
        return browser.get(url)
    return browser.client.open(url, method=method, data={"csrf_token": browser.token})


@pytest.fixture
def world(place):
    return make_world(place)


def test_ids_in_urls_are_uuids_never_integers(app):
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            kind = type(converter).__name__
            assert kind not in ("IntegerConverter", "FloatConverter"), (rule.rule, name)
            if name.endswith("_id"):
                assert kind == "UUIDConverter", (rule.rule, name, kind)


def test_nobody_reaches_the_other_sides_records(app, world):
    rules = id_rules(app)
    assert len(rules) >= 40, "the walk found too few id routes to be the real map"
    browsers = {name: Browser(app, user) for name, user in world.actors().items()}
    before = snapshot()
    leaks = []
    for rule in rules:
        for actor, browser in browsers.items():
            other = world.b if world.side_of(actor) is world.a else world.a
            url = url_for_side(app, rule, other.ids)
            for method in methods(rule):
                status = request(browser, method, url).status_code
                if status not in DENIED:
                    leaks.append(f"{actor} {method} {url} ({rule.rule}) -> {status}")
    assert not leaks, "records of the other side reached:\n" + "\n".join(leaks)
    assert changed_tables(before, snapshot()) == {}


def test_unknown_ids_are_404_for_everyone_who_may_use_the_route(app, world):
    browsers = {"R1": Browser(app, world.a.resident), "V1": Browser(app, world.a.volunteer),
                "A": Browser(app, world.a.agent), "admin": Browser(app, world.admin)}
    random_ids = {name: uuid.uuid4() for name in world.a.ids}
    wrong = []
    for rule in id_rules(app):
        url = url_for_side(app, rule, random_ids)
        for method in methods(rule):
            for actor, browser in browsers.items():
                status = request(browser, method, url).status_code
                if status not in DENIED:
                    wrong.append(f"{actor} {method} {url} -> {status}")
    assert not wrong, "\n".join(wrong)


def test_the_owning_side_gets_through_so_the_check_can_fail(app, world):
    """With its own side's ids, someone (its resident, volunteer, agent or the admin) passes."""
    browsers = {"R1": Browser(app, world.a.resident), "V1": Browser(app, world.a.volunteer),
                "A": Browser(app, world.a.agent), "admin": Browser(app, world.admin)}
    blocked = []
    for rule in id_rules(app):
        url = url_for_side(app, rule, world.a.ids)
        method = "GET" if "GET" in rule.methods else "POST"
        if method == "POST":
            continue  # POST-only rules change state; the permission matrix checks their owners
        statuses = {actor: request(b, method, url).status_code for actor, b in browsers.items()}
        if all(status in DENIED for status in statuses.values()):
            blocked.append(f"{method} {url}: {statuses}")
    assert not blocked, "nobody of the owning side reaches:\n" + "\n".join(blocked)


def test_a_foreign_id_next_to_an_own_one_is_refused(app, world):
    """Rules with several ids: one id of the other side among one's own is still refused."""
    browsers = {"A": Browser(app, world.a.agent), "B": Browser(app, world.b.agent),
                "R1": Browser(app, world.a.resident), "V1": Browser(app, world.a.volunteer)}
    before = snapshot()
    leaks = []
    for rule in id_rules(app):
        if len(rule.arguments) < 2:
            continue
        for actor, browser in browsers.items():
            own, other = (world.a, world.b) if actor != "B" else (world.b, world.a)
            for foreign in rule.arguments:
                ids = {**own.ids, foreign: other.ids[foreign]}
                url = url_for_side(app, rule, ids)
                for method in methods(rule):
                    status = request(browser, method, url).status_code
                    if status not in DENIED:
                        leaks.append(f"{actor} {method} {rule.rule} foreign {foreign} -> {status}")
    assert not leaks, "\n".join(leaks)
    assert changed_tables(before, snapshot()) == {}
