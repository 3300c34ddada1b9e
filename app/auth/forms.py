"""Forms of the account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, RadioField, SelectField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app import vocabulary
from app.forms.fields import (
    AvailabilityField,
    EmailAddress,
    LocalDecimalField,
    MultiCheckboxField,
    NeighbourhoodField,
    PhoneNumber,
    Stripped,
    StrongPassword,
)

REQUIRED = _l("Ce champ est obligatoire.")


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = Stripped(_l("Adresse e-mail"), [DataRequired(REQUIRED), Length(max=254)],
                     render_kw={"autocomplete": "username", "type": "email"})
    password = PasswordField(_l("Mot de passe"), [DataRequired(REQUIRED), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class IdentityFields(FlaskForm):
    """Who the person is and how to reach them; an account needs an e-mail and a password."""

    first_name = Stripped(_l("Prénom"), [DataRequired(REQUIRED), Length(max=80)],
                          render_kw={"autocomplete": "given-name"})
    last_name = Stripped(_l("Nom"), [DataRequired(REQUIRED), Length(max=80)],
                         render_kw={"autocomplete": "family-name"})
    email = Stripped(_l("Adresse e-mail"), [DataRequired(REQUIRED), Length(max=254), EmailAddress()],
                     description=_l("Elle sert à vous connecter et à recevoir les messages du service."),
                     render_kw={"autocomplete": "email", "type": "email"})
    phone = Stripped(_l("Téléphone"), [Optional(), Length(max=30), PhoneNumber()],
                     description=_l("Par exemple 06 12 34 56 78."),
                     render_kw={"autocomplete": "tel", "type": "tel"})
    password = PasswordField(
        _l("Mot de passe"), [DataRequired(REQUIRED), StrongPassword()],
        description=_l("Au moins 12 caractères. Une phrase de quelques mots est facile à retenir."),
        render_kw={"autocomplete": "new-password"},
    )


class PreferenceFields(FlaskForm):
    """Place, weekly availability, languages and interests."""

    neighbourhood = NeighbourhoodField(_l("Votre quartier ou votre commune"))
    availability = AvailabilityField(
        _l("Vos disponibilités dans la semaine"),
        description=_l("Cochez les moments qui vous conviennent."),
    )
    languages = MultiCheckboxField(_l("Langues parlées"), choices=vocabulary.choices(vocabulary.LANGUAGES),
                                   default=["fr"])
    interests = MultiCheckboxField(_l("Centres d'intérêt"),
                                   choices=vocabulary.choices(vocabulary.INTERESTS))
    consent = BooleanField(
        _l("J'accepte que mes données soient utilisées pour me mettre en relation, "
           "comme l'explique la notice ci-dessus."),
        [DataRequired(_l("Votre accord est nécessaire pour utiliser le service."))],
    )

    def validate_availability(self, field):
        """At least one slot, or no match can ever be found."""
        if not field.mask:
            raise ValidationError(_l("Cochez au moins un moment de la semaine."))

    def validate_languages(self, field):
        """At least one language is needed to match."""
        if not field.data:
            raise ValidationError(_l("Cochez au moins une langue."))


class ResidentSignupForm(IdentityFields, PreferenceFields):
    """A resident's sign-up (the single-page version; the journey issue makes it steps)."""

    address = Stripped(_l("Adresse postale"), [DataRequired(REQUIRED), Length(max=250)],
                       description=_l("Numéro et rue. Elle n'est donnée au bénévole qu'une fois "
                                      "la mise en relation acceptée."),
                       render_kw={"autocomplete": "street-address"})
    postcode = Stripped(_l("Code postal"), [DataRequired(REQUIRED), Length(min=5, max=5)],
                        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"})
    visit_kind = RadioField(_l("Quel genre de visite souhaitez-vous ?"),
                            [InputRequired(_l("Choisissez un genre de visite."))],
                            choices=vocabulary.choices(vocabulary.VISIT_KIND_LABELS))
    volunteer_gender = SelectField(
        _l("Préférence pour le bénévole (facultatif)"),
        choices=[("", _l("Pas de préférence")), *vocabulary.choices(vocabulary.GENDER_LABELS)],
    )


class VolunteerSignupForm(IdentityFields, PreferenceFields):
    """A volunteer's application."""

    max_km = LocalDecimalField(_l("Distance maximale que vous acceptez de parcourir (km)"),
                               [InputRequired(REQUIRED), NumberRange(min=0.5, max=50,
                                message=_l("Indiquez une distance entre 0,5 et 50 km."))],
                               default=5, places=1, render_kw={"inputmode": "decimal"})
    capacity = IntegerField(_l("Combien de personnes pouvez-vous suivre ?"),
                            [InputRequired(REQUIRED), NumberRange(min=1, max=5,
                             message=_l("Indiquez un nombre entre 1 et 5."))],
                            default=1, render_kw={"inputmode": "numeric"})
    gender = SelectField(_l("Genre (facultatif)"),
                         choices=[("", _l("Je préfère ne pas le dire")),
                                  *vocabulary.choices(vocabulary.GENDER_LABELS)])
    charter = BooleanField(_l("J'ai lu la charte du bénévole et je m'engage à la respecter."),
                           [DataRequired(_l("L'acceptation de la charte est nécessaire."))])


class ForgotPasswordForm(FlaskForm):
    """Ask for a reset link."""

    email = Stripped(_l("Adresse e-mail"), [DataRequired(REQUIRED), Length(max=254), EmailAddress()],
                     render_kw={"autocomplete": "email", "type": "email"})


class ResetPasswordForm(FlaskForm):
    """Choose a new password from a reset link."""

    password = PasswordField(_l("Nouveau mot de passe"), [DataRequired(REQUIRED), StrongPassword()],
                             description=_l("Au moins 12 caractères."),
                             render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(ResetPasswordForm):
    """Change one's password while logged in."""

    current = PasswordField(_l("Mot de passe actuel"), [DataRequired(REQUIRED), Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})


class LogoutForm(FlaskForm):
    """An empty form: logging out is a POST with a CSRF token."""
