"""Run a sign-up journey: show a step, keep its answers, go on or back, check everything, send.

Rules, the same for every journey:
- a step opens only when every step before it is complete; otherwise the person is sent to the
  first step that is not (a skipped step, a tampered or expired draft, a neighbourhood removed
  meanwhile): the saved answers are checked again by the steps' own forms on every request;
- "Continuer" checks the step alone (422 and messages next to the fields when wrong) and goes to
  the next step, or back to the summary when the person came from its "Modifier" link;
- "Retour" keeps what was typed on the step it leaves, even unfinished, and goes back one step;
- the summary shows every answer and sends the sign-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.auth import drafts
from app.auth.steps import SUMMARY, Journey, SendForm, SendWithPasswordForm
from app.auth.summary import summary_rows
from app.extensions import db
from app.services.errors import DomainError

#: Sends a complete sign-up: (checked forms by step slug, password or None) -> the next page.
Finish = Callable[[dict, "str | None"], str]
#: The query argument of the summary's "Modifier" links, and the hidden field that carries it.
FROM = "depuis"


@dataclass
class Progress:
    """The checked forms of the complete steps, and the position of the first step that is not."""

    forms: dict
    first_missing: int


def step_url(journey: Journey, index: int) -> str:
    """The address of a step (the first one is the journey's entry address) or of the summary."""
    slug = journey.steps[index].slug if index < len(journey.steps) else SUMMARY
    return url_for(journey.endpoint, slug=slug)


def load(journey: Journey) -> drafts.Draft:
    """The journey's draft; a draft left too long is dropped, and the person is told."""
    draft = drafts.Draft.load(journey.kind, {step.slug for step in journey.steps})
    if draft.expired:
        flash(_("Vous aviez commencé votre inscription il y a plus de 2 heures : par prudence, "
                "vos réponses ont été effacées. Merci de recommencer."), "warning")
    return draft


def check(journey: Journey, draft: drafts.Draft) -> Progress:
    """Check the saved steps in order, as if the person had just sent them."""
    forms = {}
    for index, step in enumerate(journey.steps):
        answers = draft.steps.get(step.slug)
        if answers is None:
            return Progress(forms, index)
        form = step.form(formdata=_formdata(answers), meta={"csrf": False})
        if not form.validate():
            return Progress(forms, index)
        forms[step.slug] = form
    return Progress(forms, len(journey.steps))


def _formdata(answers: drafts.Answers) -> MultiDict:
    return MultiDict([(name, value) for name, values in answers.items()
                      for value in (values if isinstance(values, list) else [values])])


def run_step(journey: Journey, slug: str, finish: Finish):
    """GET shows a step with its saved answers; POST keeps them and moves on or back."""
    if slug == SUMMARY:
        return run_summary(journey, finish)
    index = journey.find(slug)
    if index is None:
        abort(404)
    step = journey.steps[index]
    draft = load(journey)
    progress = check(journey, draft)
    if index > progress.first_missing:
        return _go(step_url(journey, progress.first_missing))
    status = 200
    if request.method == "POST":
        form = step.form()
        if request.form.get("action") == "back":
            draft.steps[step.slug] = drafts.answers_of(form)
            if _save(draft, form):
                return _go(step_url(journey, index - 1) if index else url_for("auth.signup"))
        else:
            form.interactive = True
            if form.validate():
                draft.steps[step.slug] = drafts.answers_of(form)
                if _save(draft, form):
                    return _go(_next_url(journey, index, draft))
        status = 422 if form.errors or form.form_errors else 200
    else:
        saved = draft.steps.get(step.slug)
        form = step.form(formdata=_formdata(saved) if saved else None)
    return render_template(
        f"auth/steps/{step.template}", journey=journey, step=step, index=index, form=form,
        complete=set(progress.forms), from_summary=_from_summary(),
    ), status


def _from_summary() -> bool:
    return (request.values.get(FROM) or "") == SUMMARY


def _next_url(journey: Journey, index: int, draft: drafts.Draft) -> str:
    if _from_summary():
        return step_url(journey, check(journey, draft).first_missing)
    return step_url(journey, index + 1)


def _save(draft: drafts.Draft, form) -> bool:
    """Keep the draft in the cookie, unless the cookie would be too big to be kept."""
    before = session.get(drafts.KEY)
    draft.save()
    if drafts.fits():
        return True
    if before is None:
        session.pop(drafts.KEY, None)
    else:
        session[drafts.KEY] = before
    form.form_errors.append(_("Vos réponses sont trop longues pour être gardées : raccourcissez "
                              "les textes les plus longs (nom, adresse), ou appelez-nous."))
    return False


def _go(url: str):
    # 303 after a POST (the browser then asks for the page with GET); a plain 302 after a GET.
    return redirect(url, 303 if request.method == "POST" else 302)


def run_summary(journey: Journey, finish: Finish):
    """Show every answer with a "Modifier" link per step; POST sends the sign-up through ``finish``."""
    draft = load(journey)
    progress = check(journey, draft)
    if progress.first_missing < len(journey.steps):
        return _go(step_url(journey, progress.first_missing))
    has_email = bool(progress.forms["vous"].email.data)
    form = SendWithPasswordForm() if has_email else SendForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            password = form.password.data if has_email else None
            try:
                target = finish(progress.forms, password)
            except DomainError as error:
                db.session.rollback()
                form.form_errors.append(error.message)
            else:
                drafts.Draft.clear()
                db.session.commit()
                return _go(target)
        status = 422
    rows = [(step, summary_rows(progress.forms[step.slug])) for step in journey.steps]
    return render_template("auth/steps/summary.html", journey=journey, step=None, index=None,
                           form=form, rows=rows, has_email=has_email,
                           complete=set(progress.forms), you=progress.forms["vous"]), status
