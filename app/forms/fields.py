"""Fields and validators used by several forms: phone, e-mail, password, weekly grid, checkboxes."""

from __future__ import annotations

import decimal
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DecimalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from app.extensions import db
from app.models import Commune, Neighbourhood
from app.models.availability import SLOTS, mask_from_slots, slots_from_mask
from app.security.passwords import MAX_LENGTH, MIN_LENGTH, password_problem


class Stripped(StringField):
    """A text field whose value loses surrounding blanks, and None when empty.

    Control characters (NUL, escapes) cannot be typed in a browser and PostgreSQL refuses NUL
    in text: such a value is refused with a message instead of failing at the database.
    """

    control_message = _l("Ce champ contient un caractère invisible non autorisé : "
                         "effacez-le et tapez le texte à nouveau.")

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip() or None

    def pre_validate(self, form):
        """Refuse control characters before any other check sees them."""
        refuse_controls(self.data)


def refuse_controls(text: str | None, allowed: str = "") -> None:
    """Raise :attr:`Stripped.control_message` when ``text`` holds a control character not in
    ``allowed``."""
    if text and any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
        raise ValidationError(Stripped.control_message)


class Paragraph(TextAreaField):
    """A text area: line breaks and tabs are welcome, other control characters are refused.

    PostgreSQL refuses NUL in text, so a NUL posted by a client would fail at the database.
    """

    def pre_validate(self, form):
        """Refuse control characters other than line breaks and tabs, with the field's message."""
        refuse_controls(self.data, allowed="\r\n\t")


class Postcode(Stripped):
    """A French postcode; "64 000" is read as "64000" (people often type the space)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = "".join(self.data.split()) or None


class PhoneNumber:
    """A French (or international) phone number, stored in E.164 form."""

    message = _l("Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78.")

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            number = phonenumbers.parse(field.data, "FR")
        except phonenumbers.NumberParseException:
            raise ValidationError(self.message) from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(self.message)
        field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class EmailAddress:
    """A well-formed e-mail address, lower-cased; no DNS look-up (no request leaves the machine)."""

    message = _l("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.")

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            result = validate_email(field.data, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(self.message) from None
        field.data = result.normalized.lower()


class StrongPassword:
    """At least 12 characters, at most 128, any characters, not a common password."""

    messages = {
        "too_short": _l("Choisissez un mot de passe d'au moins %(n)s caractères.", n=MIN_LENGTH),
        "too_long": _l("Choisissez un mot de passe d'au plus %(n)s caractères.", n=MAX_LENGTH),
        "too_common": _l("Ce mot de passe est trop courant : choisissez-en un autre, "
                         "par exemple une phrase de quelques mots."),
    }

    def __call__(self, form, field):
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(self.messages[problem])


class LocalDecimalField(DecimalField):
    """A decimal number typed the French way ("2,5" as well as "2.5"); only finite values.

    Decimal() also reads "NaN", "sNaN" and "Infinity", which break range checks and sums.
    A text box, not ``type="number"``: a browser shows a number box empty when its value is
    written with a comma ("5,0"), and the person would think the answer was lost.
    """

    widget = TextInput()
    invalid_message = _l("Saisissez un nombre, par exemple 2,5.")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        # Spaces (also the narrow no-break space of "1 000") and a decimal comma are accepted.
        text = "".join((valuelist[0] or "").split()).replace(",", ".")
        if not text:
            self.data = None  # the required-field check says what is missing
            return
        try:
            value = decimal.Decimal(text)
        except (decimal.InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite():
            self.data = None
            raise ValueError(self.invalid_message)
        self.data = value

    def _value(self):
        """What the person typed, else the stored value written with a decimal comma."""
        text = super()._value()
        return text if self.raw_data else text.replace(".", ",")


def format_phone(e164: str | None) -> str:
    """A phone number as French people write it (06 12 34 56 78), or the international form."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "FR")
    except phonenumbers.NumberParseException:
        return e164
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as checkboxes (rendered in a fieldset by the form macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AtLeastOne:
    """A group of checkboxes (or the weekly grid) with at least one box ticked."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise ValidationError(self.message)


class AvailabilityField(SelectMultipleField):
    """The weekly grid: 7 days x morning / afternoon / evening; ``data`` is a list of slot names."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=[(s, s) for s in SLOTS], **kwargs)

    @property
    def mask(self) -> int:
        """The chosen slots as the stored 21-bit mask."""
        return mask_from_slots(s for s in (self.data or []) if s in SLOTS)

    def set_mask(self, mask: int) -> None:
        """Fill the field from a stored mask."""
        self.data = slots_from_mask(mask)

    def pre_validate(self, form):
        """Unknown slot names are refused rather than silently dropped."""
        for value in self.data or []:
            if value not in SLOTS:
                raise ValidationError(_l("Choix de créneau inconnu."))


class NeighbourhoodField(SelectField):
    """A neighbourhood picked from the list, grouped by commune."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=[], **kwargs)

    def load_choices(self, communes: list[str] | None = None) -> None:
        """Fill the grouped choices from the database (optionally for some communes only)."""
        stmt = (select(Neighbourhood.id, Neighbourhood.name, Commune.name)
                .join(Commune).order_by(Commune.name, Neighbourhood.name))
        if communes is not None:
            stmt = stmt.where(Commune.insee_code.in_(communes))
        groups: dict[str, list[tuple[str, str]]] = {}
        for nid, name, commune in db.session.execute(stmt):
            groups.setdefault(commune, []).append((str(nid), name))
        self.choices = {"": [("", _l("Choisissez dans la liste"))], **groups}

    def pre_validate(self, form):
        """Only a neighbourhood that exists is accepted."""
        valid = {value for group in self.choices.values() for value, _ in group if value}
        if self.data not in valid:
            raise ValidationError(_l("Choisissez votre quartier dans la liste."))
