"""The questions asked about a person, defined once for the sign-up steps and the profile forms.

Each function returns a new (unbound) field: a form class assigns it to an attribute, so the
field's place in the form follows the class body and every form asks the same question with the
same label, hint, choices and checks. The sign-up asks them over several short steps
(:mod:`app.auth.steps`), the resident's profile on one page (:mod:`app.resident.forms`), the
agent console with all of them at once (:class:`ResidentDetailsForm`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from app import vocabulary
from app.forms.fields import (
    AtLeastOne,
    AvailabilityField,
    EmailAddress,
    LocalDecimalField,
    MultiCheckboxField,
    NeighbourhoodField,
    PhoneNumber,
    Postcode,
    Stripped,
)

REQUIRED = _l("Ce champ est obligatoire.")
#: Longest names, address and e-mail, as the columns store them.
MAX_NAME, MAX_ADDRESS, MAX_EMAIL, MAX_PHONE = 80, 250, 254, 30
PHONE_HINT = _l("Par exemple 06 12 34 56 78. Nous vous appelons à ce numéro.")
AVAILABILITY_HINT = _l("Cochez les moments où une visite vous convient.")
CONTACT_MESSAGE = _l("Indiquez un téléphone ou une adresse e-mail : au moins l'un des deux.")


def too_long(n: int) -> Length:
    """At most ``n`` characters, said in French."""
    return Length(max=n, message=_l("Écrivez au plus %(n)s caractères.", n=n))


def first_name_field() -> Stripped:
    """The first name, as the volunteer or the resident will be called."""
    return Stripped(_l("Prénom"), [DataRequired(REQUIRED), too_long(MAX_NAME)],
                    render_kw={"autocomplete": "given-name"})


def last_name_field() -> Stripped:
    """The family name."""
    return Stripped(_l("Nom"), [DataRequired(REQUIRED), too_long(MAX_NAME)],
                    render_kw={"autocomplete": "family-name"})


def email_field(*, required: bool, description=None) -> Stripped:
    """An e-mail address: required to log in, optional for a resident reached by phone."""
    first = DataRequired(REQUIRED) if required else Optional()
    return Stripped(_l("Adresse e-mail"), [first, too_long(MAX_EMAIL), EmailAddress()],
                    description=description, render_kw={"autocomplete": "email", "type": "email"})


def phone_field(description=PHONE_HINT) -> Stripped:
    """A phone number (optional on its own; :func:`require_contact` asks for phone or e-mail)."""
    return Stripped(_l("Téléphone"), [Optional(), too_long(MAX_PHONE), PhoneNumber()],
                    description=description, render_kw={"autocomplete": "tel", "type": "tel"})


def address_field() -> Stripped:
    """Number and street; given to the volunteer only once the match is accepted."""
    return Stripped(_l("Adresse postale"), [DataRequired(REQUIRED), too_long(MAX_ADDRESS)],
                    description=_l("Numéro et rue. Elle n'est donnée au bénévole qu'une fois "
                                   "la mise en relation acceptée."),
                    render_kw={"autocomplete": "street-address"})


def postcode_field(description=None) -> Postcode:
    """Five digits; "64 000" is accepted."""
    return Postcode(_l("Code postal"),
                    [DataRequired(REQUIRED),
                     Regexp(r"^[0-9]{5}$", message=_l("Le code postal compte 5 chiffres, "
                                                   "par exemple 64000."))],
                    description=description,
                    render_kw={"autocomplete": "postal-code", "inputmode": "numeric",
                               "maxlength": 6})


def neighbourhood_list_field() -> NeighbourhoodField:
    """The neighbourhood picked from the whole list, grouped by commune (profile forms)."""
    return NeighbourhoodField(_l("Votre quartier ou votre commune"))


def visit_kind_field() -> RadioField:
    """Chat at home, walk, phone call or errands."""
    return RadioField(_l("Quel genre de visite souhaitez-vous ?"),
                      [InputRequired(_l("Choisissez un genre de visite."))],
                      choices=vocabulary.choices(vocabulary.VISIT_KIND_LABELS))


def volunteer_gender_field() -> SelectField:
    """A resident's optional wish about the volunteer's gender."""
    return SelectField(
        _l("Préférence pour le bénévole"),
        choices=[("", _l("Pas de préférence")), *vocabulary.choices(vocabulary.GENDER_LABELS)],
    )


def own_gender_field() -> SelectField:
    """A volunteer's own gender, which they may keep for themself."""
    return SelectField(_l("Genre"), choices=[("", _l("Je préfère ne pas le dire")),
                                             *vocabulary.choices(vocabulary.GENDER_LABELS)])


def languages_field(default=None) -> MultiCheckboxField:
    """Languages spoken; at least one, or no match can be found."""
    return MultiCheckboxField(_l("Langues parlées"), [AtLeastOne(_l("Cochez au moins une langue."))],
                              choices=vocabulary.choices(vocabulary.LANGUAGES), default=default)


def interests_field() -> MultiCheckboxField:
    """Interests, to find something to share; none is fine."""
    return MultiCheckboxField(_l("Centres d'intérêt"),
                              choices=vocabulary.choices(vocabulary.INTERESTS))


def availability_field(description=AVAILABILITY_HINT) -> AvailabilityField:
    """The weekly grid; at least one slot, or no match can ever be found."""
    return AvailabilityField(_l("Vos disponibilités dans la semaine"),
                             [AtLeastOne(_l("Cochez au moins un moment de la semaine."))],
                             description=description)


def max_km_field() -> LocalDecimalField:
    """How far a volunteer will go, typed the French way ("2,5")."""
    return LocalDecimalField(
        _l("Distance maximale que vous acceptez de parcourir (km)"),
        [InputRequired(REQUIRED), NumberRange(min=0.5, max=50, message=_l(
            "Indiquez une distance entre 0,5 et 50 km."))],
        description=_l("Entre 0,5 et 50 km, depuis votre quartier. Par exemple 3 ou 2,5."),
        default=5, places=1, render_kw={"inputmode": "decimal", "maxlength": 10})


def capacity_field() -> IntegerField:
    """How many residents a volunteer can follow at once."""
    return IntegerField(_l("Combien de personnes pouvez-vous suivre ?"),
                        [InputRequired(REQUIRED), NumberRange(min=1, max=5, message=_l(
                            "Indiquez un nombre entre 1 et 5."))],
                        description=_l("De 1 à 5. Une seule, c'est déjà beaucoup."),
                        default=1, render_kw={"inputmode": "numeric", "maxlength": 2})


def consent_field() -> BooleanField:
    """The tick box under the information notice."""
    return BooleanField(
        _l("J'accepte que mes données soient utilisées pour me mettre en relation, "
           "comme l'explique la notice ci-dessus."),
        [DataRequired(_l("Votre accord est nécessaire pour utiliser le service."))],
    )


def charter_field() -> BooleanField:
    """A volunteer's commitment to the charter shown above it."""
    return BooleanField(_l("J'ai lu la charte du bénévole et je m'engage à la respecter."),
                        [DataRequired(_l("L'acceptation de la charte est nécessaire."))])


def require_contact(form, message=CONTACT_MESSAGE) -> bool:
    """Whether the person can be reached (phone or e-mail); else say so next to the phone."""
    if form.phone.data or form.email.data or form.phone.errors or form.email.errors:
        return True
    form.phone.errors.append(message)
    return False


class ResidentDetailsForm(FlaskForm):
    """Every question about a resident on one page (the agent console registers people with it).

    The online sign-up asks the same questions over several steps (:mod:`app.auth.steps`). A form
    built on this one adds its own rules, such as :func:`require_contact`.
    """

    first_name = first_name_field()
    last_name = last_name_field()
    email = email_field(required=False)
    phone = phone_field()
    address = address_field()
    postcode = postcode_field()
    neighbourhood = neighbourhood_list_field()
    visit_kind = visit_kind_field()
    volunteer_gender = volunteer_gender_field()
    languages = languages_field(default=["fr"])
    interests = interests_field()
    availability = availability_field()
