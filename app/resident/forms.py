"""Forms of the resident's pages: short, with a hint under every question."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import TextArea

from app import vocabulary
from app.forms.fields import (
    AvailabilityField,
    MultiCheckboxField,
    NeighbourhoodField,
    PhoneNumber,
    Stripped,
)
from app.services.requests import MAX_REASON

REQUIRED = _l("Ce champ est obligatoire.")
#: Longest description of a problem.
MAX_DESCRIPTION = 2000
#: A visit's cancel reason is stored in 250 characters.
MAX_CANCEL_REASON = 250


CONTROL_MESSAGE = _l("Ce texte contient un caractère invisible non autorisé : "
                     "effacez-le et tapez le texte à nouveau.")


class PlainLine(Stripped):
    """One line of text with no control character.

    NUL and escapes cannot be typed in a browser, and PostgreSQL refuses NUL in text: such a
    value gets a message next to the field instead of failing at the database.
    """

    #: Control characters a person may type in this field.
    allowed_controls: frozenset[str] = frozenset()

    def pre_validate(self, form):
        """Refuse invisible control characters before any other check sees them."""
        if self.data and any(unicodedata.category(c) == "Cc" and c not in self.allowed_controls
                             for c in self.data):
            raise ValidationError(CONTROL_MESSAGE)


class StrippedText(PlainLine):
    """Several lines of text: line breaks and tabs are allowed, other control characters not."""

    widget = TextArea()
    allowed_controls = frozenset("\n\r\t")


def _too_long(n: int):
    return Length(max=n, message=_l("Écrivez au plus %(n)s caractères.", n=n))


class ActionForm(FlaskForm):
    """A button alone (confirm a visit, resume the request): only the CSRF token is checked."""


class ReasonForm(FlaskForm):
    """An action that needs a reason (ask for another volunteer)."""

    reason = StrippedText(
        _l("Pourquoi ?"), [DataRequired(_l("Dites-nous en quelques mots pourquoi.")),
                           _too_long(MAX_REASON)],
        description=_l("Quelques mots suffisent : ils aident l'agent à trouver une personne "
                       "qui vous convienne mieux."),
        render_kw={"rows": 4},
    )


class OptionalReasonForm(FlaskForm):
    """An action whose reason is optional (pause or close the request)."""

    reason = StrippedText(
        _l("Pourquoi ?"), [Optional(), _too_long(MAX_REASON)],
        description=_l("Vous pouvez laisser vide. Votre réponse aide la collectivité "
                       "à améliorer le service."),
        render_kw={"rows": 3},
    )


class CancelVisitForm(FlaskForm):
    """Cancel a visit to come: the volunteer is told, with the reason."""

    reason = StrippedText(
        _l("Pourquoi annulez-vous cette visite ?"),
        [DataRequired(_l("Dites en quelques mots pourquoi vous annulez.")),
         _too_long(MAX_CANCEL_REASON)],
        description=_l("Par exemple : « J'ai un rendez-vous chez le médecin ». "
                       "Votre bénévole recevra ce message."),
        render_kw={"rows": 3},
    )


class ConcernForm(FlaskForm):
    """Tell the agents about a problem."""

    description = StrippedText(
        _l("Quel est le problème ?"),
        [DataRequired(_l("Décrivez le problème en quelques mots.")), _too_long(MAX_DESCRIPTION)],
        description=_l("Racontez avec vos mots. Un agent de la collectivité lit chaque message "
                       "et vous rappelle."),
        render_kw={"rows": 6},
    )


class ProfileForm(FlaskForm):
    """Where the resident lives, how to reach them, what visits they wish and when."""

    address = PlainLine(_l("Adresse postale"), [DataRequired(REQUIRED), _too_long(250)],
                       description=_l("Numéro et rue. Elle n'est donnée au bénévole qu'une fois "
                                      "la mise en relation acceptée."),
                       render_kw={"autocomplete": "street-address"})
    postcode = PlainLine(_l("Code postal"),
                        [DataRequired(REQUIRED),
                         Regexp(r"^\d{5}$", message=_l("Le code postal compte 5 chiffres, "
                                                       "par exemple 64000."))],
                        render_kw={"autocomplete": "postal-code", "inputmode": "numeric",
                                   "maxlength": 5})
    neighbourhood = NeighbourhoodField(_l("Votre quartier ou votre commune"))
    phone = PlainLine(_l("Téléphone"), [Optional(), _too_long(30), PhoneNumber()],
                     description=_l("Par exemple 06 12 34 56 78. Nous vous appelons à ce numéro."),
                     render_kw={"autocomplete": "tel", "type": "tel"})
    visit_kind = RadioField(_l("Quel genre de visite souhaitez-vous ?"),
                            [InputRequired(_l("Choisissez un genre de visite."))],
                            choices=vocabulary.choices(vocabulary.VISIT_KIND_LABELS))
    volunteer_gender = SelectField(
        _l("Préférence pour le bénévole"),
        choices=[("", _l("Pas de préférence")), *vocabulary.choices(vocabulary.GENDER_LABELS)],
    )
    languages = MultiCheckboxField(_l("Langues parlées"),
                                   choices=vocabulary.choices(vocabulary.LANGUAGES))
    interests = MultiCheckboxField(_l("Centres d'intérêt"),
                                   choices=vocabulary.choices(vocabulary.INTERESTS))
    availability = AvailabilityField(
        _l("Vos disponibilités dans la semaine"),
        description=_l("Cochez les moments où une visite vous convient."),
    )

    def validate_availability(self, field):
        """At least one slot, or no match can ever be found."""
        if not field.mask:
            raise ValidationError(_l("Cochez au moins un moment de la semaine."))

    def validate_languages(self, field):
        """At least one language is needed to match."""
        if not field.data:
            raise ValidationError(_l("Cochez au moins une langue."))
