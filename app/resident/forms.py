"""Forms of the resident's pages: short, with a hint under every question."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Optional, ValidationError
from wtforms.widgets import TextArea

from app.forms.fields import Stripped
from app.forms.profile import (
    address_field,
    availability_field,
    interests_field,
    languages_field,
    neighbourhood_list_field,
    phone_field,
    postcode_field,
    too_long,
    visit_kind_field,
    volunteer_gender_field,
)
from app.services.requests import MAX_REASON

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


class ActionForm(FlaskForm):
    """A button alone (confirm a visit, resume the request): only the CSRF token is checked."""


class ReasonForm(FlaskForm):
    """An action that needs a reason (ask for another volunteer)."""

    reason = StrippedText(
        _l("Pourquoi ?"), [DataRequired(_l("Dites-nous en quelques mots pourquoi.")),
                           too_long(MAX_REASON)],
        description=_l("Quelques mots suffisent : ils aident l'agent à trouver une personne "
                       "qui vous convienne mieux."),
        render_kw={"rows": 4},
    )


class OptionalReasonForm(FlaskForm):
    """An action whose reason is optional (pause or close the request)."""

    reason = StrippedText(
        _l("Pourquoi ?"), [Optional(), too_long(MAX_REASON)],
        description=_l("Vous pouvez laisser vide. Votre réponse aide la collectivité "
                       "à améliorer le service."),
        render_kw={"rows": 3},
    )


class CancelVisitForm(FlaskForm):
    """Cancel a visit to come: the volunteer is told, with the reason."""

    reason = StrippedText(
        _l("Pourquoi annulez-vous cette visite ?"),
        [DataRequired(_l("Dites en quelques mots pourquoi vous annulez.")),
         too_long(MAX_CANCEL_REASON)],
        description=_l("Par exemple : « J'ai un rendez-vous chez le médecin ». "
                       "Votre bénévole recevra ce message."),
        render_kw={"rows": 3},
    )


class ConcernForm(FlaskForm):
    """Tell the agents about a problem."""

    description = StrippedText(
        _l("Quel est le problème ?"),
        [DataRequired(_l("Décrivez le problème en quelques mots.")), too_long(MAX_DESCRIPTION)],
        description=_l("Racontez avec vos mots. Un agent de la collectivité lit chaque message "
                       "et vous rappelle."),
        render_kw={"rows": 6},
    )


class ProfileForm(FlaskForm):
    """Where the resident lives, how to reach them, what visits they wish and when.

    The same questions as the sign-up steps, defined once in :mod:`app.forms.profile`.
    """

    address = address_field()
    postcode = postcode_field()
    neighbourhood = neighbourhood_list_field()
    phone = phone_field()
    visit_kind = visit_kind_field()
    volunteer_gender = volunteer_gender_field()
    languages = languages_field()
    interests = interests_field()
    availability = availability_field()
