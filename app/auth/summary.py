"""The answers of a checked step, as the summary page prints them: short labels, plain values."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
)

from app import vocabulary
from app.forms.fields import AvailabilityField, format_phone

#: Shorter labels than the questions ("Dans quelle commune habitez-vous ?" reads "Commune").
LABELS = {
    "commune": _l("Commune"),
    "neighbourhood": _l("Quartier"),
    "visit_kind": _l("Genre de visite"),
    "availability": _l("Moments de la semaine"),
    "max_km": _l("Distance maximale"),
    "capacity": _l("Personnes que vous pouvez suivre"),
    "consent": _l("Utilisation de vos données"),
    "charter": _l("Charte du bénévole"),
}
#: What a ticked box says in the summary.
TICKED = {"consent": _l("Accord donné"), "charter": _l("Charte acceptée")}
HIDDEN = {"csrf_token", "asked"}


def summary_rows(form) -> list[tuple[str, str | list[str]]]:
    """(label, value) for every answer of a step; a list value is printed as a list."""
    rows = []
    for field in form:
        if field.name in HIDDEN or isinstance(field, PasswordField):
            continue
        if field.name == "commune" and not getattr(form, "several_communes", False):
            continue  # one commune for the postcode: the neighbourhood says it
        rows.append((str(LABELS.get(field.name, field.label.text)), _value(field)))
    return rows


def _value(field) -> str | list[str]:
    if isinstance(field, AvailabilityField):
        return availability_lines(field.data or [])
    if isinstance(field, SelectMultipleField):
        labels = dict(field.choices)
        return ", ".join(str(labels[v]) for v in field.data or [] if v in labels) or _("Aucun")
    if isinstance(field, BooleanField):
        return str(TICKED.get(field.name, _l("Oui"))) if field.data else _("Non")
    if isinstance(field, (RadioField, SelectField)):
        return str(dict(field.choices).get(field.data, ""))
    if field.name == "phone":
        return format_phone(field.data) or _("Pas de téléphone")
    if field.name == "email":
        return field.data or _("Pas d'adresse e-mail")
    if field.name == "max_km":
        return _("%(km)s km", km=field._value())
    return "" if field.data is None else str(field.data)


def availability_lines(slots: list[str]) -> list[str]:
    """ "Lundi : matin, soir" for each day with a slot, in week order."""
    lines = []
    for day, day_label in vocabulary.DAY_LABELS.items():
        periods = [str(label).lower() for period, label in vocabulary.PERIOD_LABELS.items()
                   if f"{day}-{period}" in slots]
        if periods:
            lines.append(_("%(day)s : %(periods)s", day=day_label, periods=", ".join(periods)))
    return lines
