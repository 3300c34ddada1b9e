"""Forms of the volunteer pages: decide on a proposal, follow a pair, plan and note visits."""

from __future__ import annotations

from datetime import date, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app import vocabulary
from app.forms.fields import Paragraph, Stripped
from app.models import Mood, Severity
from app.models.availability import PERIODS
from app.services.visits import MAX_WEEKS

REQUIRED = _l("Ce champ est obligatoire.")

#: Why a volunteer declines a proposal: a few common reasons, then free text.
DECLINE_REASONS = {
    "too_far": _l("C'est trop loin de chez moi"),
    "schedule": _l("Nos horaires ne vont pas ensemble"),
    "not_available": _l("Je ne suis plus disponible en ce moment"),
    "visit_kind": _l("Ce genre de visite ne me convient pas"),
    "other": _l("Autre raison"),
}

#: Start times offered, by period: sensible hours to visit someone at home, every 30 minutes.
#: The time offered first, by period of the first moment both people are free.
DEFAULT_TIME = {"am": "10:00", "pm": "15:00", "eve": "18:30"}
START_TIMES = {
    "am": [time(9, 0), time(9, 30), time(10, 0), time(10, 30), time(11, 0), time(11, 30)],
    "pm": [time(h, m) for h in range(14, 18) for m in (0, 30)],
    "eve": [time(18, 0), time(18, 30), time(19, 0), time(19, 30), time(20, 0)],
}
DURATIONS = [(30, _l("30 minutes")), (60, _l("1 heure")), (90, _l("1 heure 30")),
             (120, _l("2 heures"))]
#: How far ahead a first visit may be planned.
MAX_DAYS_AHEAD = 365

#: Severities in plain words, with the delay agents have to act (services.concerns.DUE_AFTER).
SEVERITY_CHOICES = [
    (Severity.LOW.value, _l("Pas urgent (sous 7 jours)")),
    (Severity.MEDIUM.value, _l("Assez urgent (sous 3 jours)")),
    (Severity.HIGH.value, _l("Urgent (sous 24 heures)")),
]
MOOD_CHOICES = [
    (Mood.GOOD.value, _l("Bien")),
    (Mood.FAIR.value, _l("Moyen : un peu fatigué·e, triste ou seul·e")),
    (Mood.WORRYING.value, _l("Inquiétant : je m'inquiète pour sa santé ou sa sécurité")),
]


def _time_choices() -> list[SelectChoice]:
    """Start times grouped by period (rendered as option groups)."""
    return [SelectChoice(t.strftime("%H:%M"), optgroup=vocabulary.PERIOD_LABELS[period])
            for period in PERIODS for t in START_TIMES[period]]


def _week_choices() -> list[tuple[int, object]]:
    return [(1, _l("Une seule visite"))] + [
        (n, _l("Chaque semaine, %(n)s visites en tout", n=n)) for n in range(2, MAX_WEEKS + 1)
    ]


class ActionForm(FlaskForm):
    """A button alone (accept, resume, the calendar link): it carries the CSRF token, which
    CSRFProtect checks app-wide before any POST view runs."""


class DeclineForm(FlaskForm):
    """Decline a proposal, saying why."""

    reason = RadioField(_l("Pourquoi déclinez-vous ?"), [InputRequired(_l("Choisissez une raison."))],
                        choices=vocabulary.choices(DECLINE_REASONS))
    detail = Paragraph(_l("Précisez"), [Length(max=500)],
                           description=_l("Facultatif, sauf si vous avez choisi « Autre raison ». "
                                          "Les agents le lisent pour mieux vous proposer quelqu'un."),
                           render_kw={"rows": 3, "maxlength": 500})

    def validate_detail(self, field):
        """"Other" says nothing by itself: ask for a word."""
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Dites en quelques mots pourquoi vous déclinez."))

    @property
    def reason_text(self) -> str:
        """The reason as the agents will read it."""
        label = str(DECLINE_REASONS.get(self.reason.data, self.reason.data))
        detail = (self.detail.data or "").strip()
        return f"{label} — {detail}" if detail else label


class PauseForm(FlaskForm):
    """Pause a pair: a reason, then the confirmation button."""

    reason = Paragraph(_l("Pour quelle raison ?"), [DataRequired(REQUIRED), Length(max=500)],
                           description=_l("Par exemple : vacances, déménagement en cours, "
                                          "hospitalisation de la personne."),
                           render_kw={"rows": 3, "maxlength": 500})


class EndForm(FlaskForm):
    """End a pair: a reason, then the confirmation button."""

    reason = Paragraph(_l("Pour quelle raison ?"), [DataRequired(REQUIRED), Length(max=500)],
                           description=_l("Les agents le lisent pour accompagner la personne "
                                          "et, si besoin, vous proposer quelqu'un d'autre."),
                           render_kw={"rows": 3, "maxlength": 500})


class ScheduleForm(FlaskForm):
    """Plan a visit, or the same visit every week."""

    # The date picker sends 2025-03-14; a browser without one lets people type 14/03/2025.
    starts_on = DateField(_l("Date de la (première) visite"), [InputRequired(REQUIRED)],
                          format=["%Y-%m-%d", "%d/%m/%Y"],
                          description=_l("Sous la forme jj/mm/aaaa si aucun calendrier ne "
                                         "s'affiche."))
    starts_at = SelectField(_l("Heure d'arrivée"), [InputRequired(REQUIRED)], choices=_time_choices(),
                            default="14:00")
    duration = SelectField(_l("Durée"), coerce=int, choices=DURATIONS, default=60)
    weeks = SelectField(_l("Répéter"), coerce=int, choices=_week_choices(), default=1,
                        description=_l("Une visite chaque semaine, le même jour et à la même heure."))

    def validate_starts_on(self, field):
        """Not too far ahead (the past is refused by the service, with the time of day)."""
        if field.data and field.data > date.today() + timedelta(days=MAX_DAYS_AHEAD):
            raise ValidationError(_l("Choisissez une date dans l'année qui vient."))

    @property
    def start_time(self) -> time:
        """The chosen time of day."""
        hours, minutes = self.starts_at.data.split(":")
        return time(int(hours), int(minutes))


class CancelForm(FlaskForm):
    """Cancel a visit to come."""

    reason = Stripped(_l("Pourquoi annulez-vous ?"), [DataRequired(REQUIRED), Length(max=250)],
                      description=_l("La personne en est prévenue. Par exemple : « je suis malade »."),
                      render_kw={"maxlength": 250})


class LogForm(FlaskForm):
    """What happened at a visit: done or missed, how the person seemed, a short note."""

    outcome = RadioField(_l("La visite a-t-elle eu lieu ?"), [InputRequired(_l("Dites si la visite a eu lieu."))],
                         choices=[("done", _l("Oui, elle a eu lieu")),
                                  ("missed", _l("Non, elle n'a pas eu lieu"))])
    # Checked by validate_mood alone: required when the visit took place, ignored otherwise.
    mood = RadioField(_l("Comment allait la personne ?"), choices=MOOD_CHOICES, validate_choice=False,
                      description=_l("Seulement si la visite a eu lieu."))
    note = Paragraph(
        _l("Une courte note"), [Length(max=1000, message=_l("Écrivez au plus 1000 caractères."))],
        description=_l("Seuls les agents de la collectivité la lisent, jamais la "
                       "personne visitée. N'y écrivez aucun détail médical (maladie, traitement) : "
                       "si vous êtes inquiet·e, choisissez « Inquiétant »."),
        render_kw={"rows": 4, "maxlength": 1000},
    )

    def validate_mood(self, field):
        """How the person seemed is asked only when the visit took place."""
        if self.outcome.data != "done":
            return
        if not field.data:
            raise ValidationError(_l("Dites comment allait la personne."))
        if field.data not in {value for value, _label in MOOD_CHOICES}:
            raise ValidationError(_l("Choisissez une des réponses proposées."))

    @property
    def done(self) -> bool:
        """Whether the visit took place."""
        return self.outcome.data == "done"

    @property
    def mood_value(self) -> Mood | None:
        """The mood, only when the visit took place."""
        return Mood(self.mood.data) if self.done and self.mood.data else None


class ConcernForm(FlaskForm):
    """Tell the agents that something worries you about the person you visit."""

    description = Paragraph(
        _l("Qu'est-ce qui vous inquiète ?"), [DataRequired(REQUIRED), Length(max=2000)],
        description=_l("Décrivez ce que vous avez vu ou entendu. Un agent de la collectivité "
                       "vous rappellera si besoin."),
        render_kw={"rows": 5, "maxlength": 2000},
    )
    severity = SelectField(_l("Est-ce urgent ?"), choices=SEVERITY_CHOICES,
                           default=Severity.MEDIUM.value)
