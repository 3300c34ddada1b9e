"""Every form, fuzzed: arbitrary Unicode, missing, repeated and extra fields never give a 5xx.

The forms are discovered by crawling each role's pages (:mod:`tests.security.forms`), so a new
form is fuzzed without anyone listing it; a POST rule of the URL map that no crawled page offers
fails the test. Each form gets ``EXAMPLES`` examples, posted by the role whose page showed it,
with a valid CSRF token (else every answer would be a 400 before the view runs). Hypothesis runs
derandomized (the same examples on every run, for CI stability) with no deadline.

Cost: about 15 ms of CPU an example (the view and its page), so 68 forms x 300 examples take
about 5 minutes of CPU per database, shared out in ``PARTS`` tests. ``VOISINAGE_FUZZ_EXAMPLES``
lowers the count (e.g. for a second database run); ``VOISINAGE_FUZZ_RULES`` picks forms.
"""

from __future__ import annotations

import logging
import os
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from werkzeug.datastructures import MultiDict

from app.extensions import limiter
from tests.security.forms import Form, add_states, discover, post_rules
from tests.security.fuzzing import submissions
from tests.security.world import Browser, make_world

EXAMPLES = int(os.environ.get("VOISINAGE_FUZZ_EXAMPLES", "300"))
#: For local work on one form: a regular expression the rule must match (all by default).
ONLY = re.compile(os.environ.get("VOISINAGE_FUZZ_RULES", ""))
#: The role whose page shows a form first: a form several roles share is fuzzed once, by the
#: first of these that met it (the other roles post the same fields to the same view).
ROLE_ORDER = ("anonymous", "resident", "paused resident", "applicant", "volunteer", "agent",
              "admin")


def distinct(forms: list[Form]) -> list[Form]:
    """One form per POST rule: the one with most fields, from the first role that met it.

    A rule is one view with one form class; a field only some roles see (the administrator
    picks a territory) is included, the others send a subset of it.
    """
    chosen: dict[str, Form] = {}
    for form in sorted(forms, key=lambda f: (-len(f.fields), ROLE_ORDER.index(f.role))):
        chosen.setdefault(form.rule, form)
    # Role by role, in that order: a later role's forms may end what an earlier one needs
    # (an agent records that the volunteer left; the administrator disables the agent).
    return sorted(chosen.values(), key=lambda f: (ROLE_ORDER.index(f.role), f.rule))


def fuzz(app, browser: Browser, form: Form) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(pairs=submissions(form, browser.token))
    def post(pairs):
        limiter.reset()  # the login throttle would answer 429 before the form is read
        response = browser.client.post(form.action, data=MultiDict(pairs))
        assert response.status_code < 500, (form.rule, pairs,
                                            response.get_data(as_text=True)[:2000])

    post()


@pytest.fixture
def quiet_access_log():
    """Thousands of access lines cost time and say nothing here; errors are still logged."""
    logger = logging.getLogger("voisinage")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


#: The forms are shared out among this many tests, so that pytest-xdist runs them on every core;
#: each has its own database and world, so one part's changes never reach another.
PARTS = 4


@pytest.mark.parametrize("part", range(PARTS))
def test_every_form_survives_fuzzing(app, place, capsys, quiet_access_log, part):
    cast = add_states(make_world(place), place)
    forms = distinct(discover(app, cast, place))
    missing = sorted(set(post_rules(app)) - {form.rule for form in forms})
    assert not missing, f"POST rules no crawled page offers a form for: {missing}"
    costs = []
    cpu = time.process_time()
    for form in [form for form in forms[part::PARTS] if ONLY.search(form.rule)]:
        started = time.perf_counter()
        limiter.reset()
        fuzz(app, Browser(app, cast.people[form.role]), form)
        costs.append((time.perf_counter() - started, form.role, form.rule))
    with capsys.disabled():
        total = sum(cost for cost, *_ in costs)
        print(f"\npart {part}: fuzzed {len(costs)} of {len(forms)} forms x {EXAMPLES} examples "
              f"in {total:.1f} s ({time.process_time() - cpu:.1f} s of CPU); slowest:")
        for cost, role, rule in sorted(costs, reverse=True)[:5]:
            print(f"  {cost:5.1f} s  {role:10} {rule}")
