"""The sign-up in short steps: one form per step, and the list of steps of each journey.

Each step asks one group of questions (:mod:`app.forms.profile` defines them once for the
sign-up and the profile forms). A step's form checks the step alone; :mod:`app.auth.wizard`
runs the steps, keeps the answers in a draft and sends the last one to the services.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired

from app.forms.fields import StrongPassword
from app.forms.place import PlaceFinder, asked_field, commune_field, neighbourhood_field
from app.forms.profile import (
    REQUIRED,
    address_field,
    availability_field,
    capacity_field,
    charter_field,
    consent_field,
    email_field,
    first_name_field,
    interests_field,
    languages_field,
    last_name_field,
    max_km_field,
    own_gender_field,
    phone_field,
    postcode_field,
    require_contact,
    visit_kind_field,
    volunteer_gender_field,
)

# --- Resident -----------------------------------------------------------------------------------


class ResidentYou(FlaskForm):
    """Step 1: names, and a phone or an e-mail (an e-mail only to follow the request online)."""

    first_name = first_name_field()
    last_name = last_name_field()
    phone = phone_field(_l("Par exemple 06 12 34 56 78. Un agent vous appelle à ce numéro."))
    email = email_field(required=False, description=_l(
        "Facultative. Avec une adresse e-mail, vous pourrez suivre votre demande sur ce site : "
        "vous choisirez un mot de passe à la fin."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: a phone or an e-mail."""
        ok = super().validate(extra_validators)
        return require_contact(self) and ok


class ResidentPlace(PlaceFinder):
    """Step 2: address, postcode, then commune and neighbourhood."""

    address = address_field()
    postcode = postcode_field()
    commune = commune_field()
    neighbourhood = neighbourhood_field()
    asked = asked_field()


class ResidentVisits(FlaskForm):
    """Step 3: kind of visit and an optional wish about the volunteer."""

    visit_kind = visit_kind_field()
    volunteer_gender = volunteer_gender_field()


class Tastes(FlaskForm):
    """Languages and interests."""

    languages = languages_field(default=["fr"])
    interests = interests_field()


class Availability(FlaskForm):
    """The weekly grid."""

    availability = availability_field()


class ResidentConsent(FlaskForm):
    """Step 6: the information notice and the tick box."""

    consent = consent_field()


# --- Volunteer ----------------------------------------------------------------------------------


class VolunteerYou(FlaskForm):
    """Step 1: names, e-mail (to log in and follow the application), phone."""

    first_name = first_name_field()
    last_name = last_name_field()
    email = email_field(required=True, description=_l(
        "Elle sert à vous connecter et à recevoir les messages du service."))
    phone = phone_field(_l("Facultatif. Par exemple 06 12 34 56 78."))


class VolunteerPlace(PlaceFinder):
    """Step 2: the neighbourhood one leaves from, and how far one will go."""

    postcode = postcode_field(_l("Celui de l'endroit d'où vous partez pour les visites, "
                                 "par exemple votre domicile."))
    commune = commune_field(_l("Dans quelle commune ?"))
    neighbourhood = neighbourhood_field()
    asked = asked_field()
    max_km = max_km_field()


class VolunteerAvailability(Availability):
    """Step 3: the weekly grid and how many residents one can follow."""

    capacity = capacity_field()


class VolunteerTastes(Tastes):
    """Step 4: languages, interests and, if one wishes, one's gender."""

    gender = own_gender_field()


class VolunteerCommitments(FlaskForm):
    """Step 5: the charter and the information notice."""

    charter = charter_field()
    consent = consent_field()


# --- The last page --------------------------------------------------------------------------------


class SendForm(FlaskForm):
    """The summary's button, for a resident who gave no e-mail (no login, so no password)."""


class SendWithPasswordForm(FlaskForm):
    """The summary's button with the password, asked last so it is never kept between steps."""

    password = PasswordField(
        _l("Choisissez un mot de passe"), [DataRequired(REQUIRED), StrongPassword()],
        description=_l("Au moins 12 caractères. Une phrase de quelques mots est facile à "
                       "retenir, par exemple « le chat dort sur le banc »."),
        render_kw={"autocomplete": "new-password"},
    )


# --- Journeys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One screen of a journey."""

    #: The end of the step's address, in French (/inscription/habitant/adresse).
    slug: str
    title: object
    form: type[FlaskForm]
    #: The template under templates/auth/steps/.
    template: str


@dataclass(frozen=True)
class Journey:
    """The steps of one sign-up, in order; ``kind`` names its draft."""

    kind: str
    endpoint: str
    title: object
    steps: tuple[Step, ...]

    def find(self, slug: str) -> int | None:
        """The position of the step with this slug, or None."""
        return next((i for i, step in enumerate(self.steps) if step.slug == slug), None)


#: The slug of the summary page that ends every journey.
SUMMARY = "verifier"

RESIDENT = Journey("resident", "auth.signup_resident", _l("Demander des visites"), (
    Step("vous", _l("Vous"), ResidentYou, "resident_you.html"),
    Step("adresse", _l("Où vous habitez"), ResidentPlace, "place.html"),
    Step("visites", _l("Vos visites"), ResidentVisits, "resident_visits.html"),
    Step("langues", _l("Langues et centres d'intérêt"), Tastes, "tastes.html"),
    Step("disponibilites", _l("Vos disponibilités"), Availability, "availability.html"),
    Step("accord", _l("Votre accord"), ResidentConsent, "consent.html"),
))

VOLUNTEER = Journey("volunteer", "auth.signup_volunteer", _l("Devenir bénévole"), (
    Step("vous", _l("Vous"), VolunteerYou, "volunteer_you.html"),
    Step("secteur", _l("Votre secteur"), VolunteerPlace, "place.html"),
    Step("disponibilites", _l("Vos disponibilités"), VolunteerAvailability, "availability.html"),
    Step("langues", _l("Langues et centres d'intérêt"), VolunteerTastes, "tastes.html"),
    Step("charte", _l("La charte et votre accord"), VolunteerCommitments, "charter.html"),
))
