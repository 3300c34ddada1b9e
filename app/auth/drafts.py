"""A sign-up's answers between steps, kept in the signed session cookie until the last step.

No database row exists before the person sends the whole sign-up. The cookie is signed, not
encrypted: it holds what the person typed on their own device, never a password. Every value is
read back as untrusted input (each step's form checks it again, :mod:`app.auth.wizard`).

Size: with every field filled to its maximum, the cookie stays under the 4 KB browsers keep
(``tests/test_signup_wizard.py`` measures it). Text built to defeat compression could still go
over: :func:`fits` refuses such a save with a message instead of letting the browser drop the
cookie silently.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app, session
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import Length

KEY = "signup"
#: A draft left alone this long is forgotten (a shared computer, a library, a desk).
LIFETIME = timedelta(hours=2)
#: Largest session cookie we write; browsers drop a cookie over 4096 bytes, name and attributes
#: included.
COOKIE_BUDGET = 3900
#: Fields that are not answers.
NOT_ANSWERS = {"csrf_token", "asked"}
#: How much of a number's text is kept when it has no length limit of its own.
NUMBER_TEXT = 10

Answers = dict[str, str | list[str]]


def now() -> float:
    """Seconds since the epoch (a function, so tests can move the clock)."""
    return time.time()


class Draft:
    """The answers of one journey, step by step; ``expired`` says a stale draft was dropped."""

    def __init__(self, kind: str, steps: dict[str, Answers], expired: bool = False):
        self.kind = kind
        self.steps = steps
        self.expired = expired

    @classmethod
    def load(cls, kind: str, slugs: set[str]) -> Draft:
        """The draft of ``kind`` in the cookie, keeping only well-formed answers of known steps."""
        raw = session.get(KEY)
        if not isinstance(raw, dict) or raw.get("kind") != kind:
            return cls(kind, {})
        saved_at = raw.get("at")
        if not isinstance(saved_at, (int, float)) or isinstance(saved_at, bool) \
                or not now() - LIFETIME.total_seconds() <= saved_at <= now() + 60:
            session.pop(KEY, None)
            return cls(kind, {}, expired=True)
        steps = raw.get("steps")
        if not isinstance(steps, dict):
            return cls(kind, {})
        return cls(kind, {slug: _well_formed(answers) for slug, answers in steps.items()
                          if slug in slugs and isinstance(answers, dict)})

    def save(self) -> None:
        """Write the draft into the session (the response sets the cookie)."""
        session[KEY] = {"kind": self.kind, "at": int(now()), "steps": self.steps}

    @staticmethod
    def clear() -> None:
        """Forget the draft (the sign-up is sent, or the person starts again)."""
        session.pop(KEY, None)


def _well_formed(answers: dict) -> Answers:
    """Strings and lists of strings only: anything else in a tampered cookie is dropped."""
    kept: Answers = {}
    for name, value in answers.items():
        if isinstance(value, str) or (isinstance(value, list)
                                      and all(isinstance(v, str) for v in value)):
            kept[name] = value
    return kept


def answers_of(form) -> Answers:
    """What the person sent in a step, bounded: text cut to the field's limit, real choices only.

    Kept even when the step is not valid yet (the "Retour" button keeps what was typed); the
    step is checked again whenever the draft is read.
    """
    answers: Answers = {}
    for field in form:
        if field.name in NOT_ANSWERS or isinstance(field, PasswordField):
            continue
        raw = [v for v in (field.raw_data or []) if isinstance(v, str)]
        if isinstance(field, SelectMultipleField):
            allowed = _choice_values(field)
            chosen = [v for v in dict.fromkeys(raw) if v in allowed]
            if chosen:
                answers[field.name] = chosen
        elif isinstance(field, BooleanField):
            if field.data:
                answers[field.name] = "y"
        elif isinstance(field, (RadioField, SelectField)):
            # "" is kept when it is a choice ("Pas de préférence"), so the step reads back valid.
            value = field.data if isinstance(field.data, str) else (raw[0] if raw else None)
            if value is not None and value in _choice_values(field):
                answers[field.name] = value
        else:
            text = (raw[0] if raw else "").strip()[:_text_limit(field)]
            if text:
                answers[field.name] = text
    return answers


def _choice_values(field) -> set[str]:
    choices = field.choices or []
    if isinstance(choices, dict):
        choices = [choice for group in choices.values() for choice in group]
    return {str(choice[0]) for choice in choices}


def _text_limit(field) -> int:
    lengths = [v.max for v in field.validators if isinstance(v, Length) and v.max not in (None, -1)]
    return min(lengths) if lengths else NUMBER_TEXT


def cookie_size() -> int:
    """The length of the session cookie this response would set, in bytes (name and value)."""
    interface = current_app.session_interface
    serializer = interface.get_signing_serializer(current_app)
    value = serializer.dumps(dict(session))
    return len(current_app.config["SESSION_COOKIE_NAME"]) + 1 + len(value)


def fits() -> bool:
    """Whether the session, as it stands, makes a cookie browsers keep."""
    return cookie_size() <= COOKIE_BUDGET
