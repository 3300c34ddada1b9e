"""Hypothesis strategies that fill a discovered form with anything a client could send.

Each field gets one of its own options (so the form is sometimes valid and the view's own code
runs), arbitrary Unicode, long text or known troublemakers; fields may be missing or repeated;
extra fields (mass-assignment names or arbitrary ones) are added.
"""

from __future__ import annotations

import io

from hypothesis import strategies as st

from tests.security.forms import Field, Form
from tests.test_bad_input import NASTY as BAD_INPUT

#: Text that breaks naive code: the troublemakers of tests/test_bad_input.py (controls,
#: right-to-left marks, emoji, numbers Decimal() accepts but nothing else does, markup, SQL),
#: then dates and times out of range, ids of nothing, long text.
NASTY = [*BAD_INPUT, "9999-12-31", "0000-00-00", "2026-02-30", "25:61", "-1", "0",
         "99999999999999999999", "00000000-0000-0000-0000-000000000000", "../../etc/passwd",
         "é" * 5000, "%00", "\ud7ff", "x" * 300, "1" * 400]
#: Names of columns a form must never let a client set.
MASS_NAMES = ["role", "status", "state", "territory", "territory_id", "user_id", "resident_id",
              "volunteer_id", "match_id", "id", "owner_id", "is_enabled", "password_hash",
              "email", "registered_by_id", "neighbourhood_id", "capacity", "score"]

#: Short arbitrary Unicode mostly (drawing long text costs more than posting it); length is
#: covered by the long troublemakers above and the 2 MiB limit by tests/security/test_http.py.
text = st.one_of(st.text(max_size=40), st.sampled_from(NASTY), st.text(min_size=100, max_size=400))


def _value(field: Field) -> st.SearchStrategy[str]:
    options = [v for v in field.values if v is not None]
    if options:
        return st.one_of(st.sampled_from(options), text)
    return text


@st.composite
def submissions(draw, form: Form, token: str) -> list[tuple[str, object]]:
    """(name, value) pairs of one POST; CSRF fields always carry a valid token."""
    pairs: list[tuple[str, object]] = []
    for field in form.fields.values():
        if field.name.endswith("csrf_token"):
            pairs.append((field.name, token))
            continue
        if field.kind == "file":
            if draw(st.booleans()):
                content = draw(st.one_of(text, st.binary(max_size=2000).map(
                    lambda b: b.decode("latin-1"))))
                pairs.append((field.name, (io.BytesIO(content.encode("utf-8", "surrogatepass")),
                                           draw(st.sampled_from(["a.csv", "", "x.exe"])))))
            continue
        count = draw(st.integers(0, 3) if field.multiple else st.sampled_from([1, 1, 1, 0, 2]))
        pairs.extend((field.name, draw(_value(field))) for _ in range(count))
    extra_name = st.one_of(st.sampled_from(MASS_NAMES), st.text(min_size=1, max_size=20))
    pairs.extend(draw(st.lists(st.tuples(extra_name, text), max_size=3)))
    return pairs
