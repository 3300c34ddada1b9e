"""How every view answers with a form: 422 when it came back with errors, refusals next to fields."""

from __future__ import annotations

from flask import render_template, request
from flask_wtf import FlaskForm

from app.extensions import db
from app.services.errors import DomainError


def attach_error(form: FlaskForm, error: DomainError) -> bool:
    """Put a service's refusal next to its field (True), or at the top of the form (False)."""
    target = form._fields.get(error.field) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
        return True
    form.form_errors.append(error.message)
    return False


def form_page(template: str, form: FlaskForm, **context):
    """A form page: 422 when the form came back with errors, so browsers and tests can tell."""
    return render_template(template, form=form, **context), 422 if form.errors else 200


def refused(form: FlaskForm, error: DomainError, template: str, **context):
    """The service refused: nothing is kept of the attempt, the message is shown, the input kept."""
    db.session.rollback()
    attach_error(form, error)
    return render_template(template, form=form, **context), 422


def page_arg(name: str = "page") -> int:
    """A page number from the query string; anything odd reads as the first page."""
    value = request.args.get(name, "1")
    return int(value) if value.isdigit() and 0 < int(value) < 1_000_000 else 1
