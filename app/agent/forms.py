"""Forms of the agent console's residents, referrals and vetting pages.

The identity and preference fields come from the sign-up forms (:mod:`app.auth.forms`) and the
resident's own profile form (:mod:`app.resident.forms`): the agent fills in the same questions,
so the same fields, choices and checks apply. Only the voice changes ("Quartier", not "Votre
quartier"), through :func:`_relabel`, and what an agent does differently: no password, an
optional e-mail, and a consent record (who, how, when) instead of a tick box.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app import vocabulary
from app.auth.forms import ResidentSignupForm
from app.forms.fields import EmailAddress, Stripped, format_phone
from app.forms.rendering import attach_error  # noqa: F401  (re-exported for the views)
from app.models import (
    PARIS,
    ConsentMethod,
    Gender,
    ReferralStatus,
    ResidentProfile,
    VettingKind,
    VisitKind,
)
from app.resident.forms import ProfileForm, StrippedText
from app.services.accounts import Identity, Preferences
from app.services.referral_handling import ConsentGiven, Registration
from app.services.requests import MAX_REASON, PreferenceChanges

REQUIRED = _l("Ce champ est obligatoire.")
#: Longest note on a referral's outcome, and longest decision reason.
MAX_NOTE = 2000
#: A vetting step's detail column holds 250 characters.
MAX_STEP_DETAIL = 250
#: The date picker sends 2026-03-14; a browser without one lets people type 14/03/2026.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]

#: The agent's wording of the questions a resident reads in the second person.
AGENT_LABELS = {
    "neighbourhood": _l("Quartier"),
    "availability": _l("Disponibilités dans la semaine"),
    "visit_kind": _l("Genre de visite souhaité"),
    "volunteer_gender": _l("Préférence pour le bénévole"),
}
AGENT_HINTS = {
    "availability": _l("Cochez les moments où une visite convient à la personne."),
    "address": _l("Numéro et rue. Elle n'est donnée au bénévole qu'une fois la mise en "
                  "relation acceptée."),
}

#: How consent may be given when an agent registers someone (online is the person's own sign-up).
CONSENT_METHODS = {
    ConsentMethod.ORAL: _l("Oralement (au téléphone ou au guichet)"),
    ConsentMethod.WRITTEN: _l("Par écrit (lettre, courriel)"),
    ConsentMethod.SIGNED_FORM: _l("Sur un formulaire signé"),
}
#: Every way of consenting, as the record page prints it.
CONSENT_METHOD_LABELS = {ConsentMethod.ONLINE: _l("En ligne, à l'inscription"), **CONSENT_METHODS}
#: What a consent was about.
CONSENT_PURPOSES = {
    "data_processing": _l("Utilisation de ses données pour la mise en relation"),
    "referral_contact": _l("Être contacté·e après un signalement (dit par la personne qui l'a signalé·e)"),
    "charter": _l("Charte du bénévole"),
}
CONSENT_GIVERS = [("self", _l("La personne elle-même")),
                  ("relative", _l("Un proche qui parle pour elle"))]

#: The states of a resident's request in the agent's list (PRODUCT.md §1, read from the live pair).
RESIDENT_STATES = {
    "waiting": _l("En attente d'un·e bénévole"),
    "proposed": _l("Mise en relation proposée"),
    "active": _l("Mise en relation en cours"),
    "paused": _l("Demande en pause"),
    "closed": _l("Demande close"),
}
#: Waiting-time filters, in days.
WAIT_FILTERS = {"30": _l("Plus de 30 jours"), "90": _l("Plus de 90 jours"),
                "180": _l("Plus de 180 jours")}
RESIDENT_SORTS = {"attente": _l("Plus longue attente"), "nom": _l("Nom"),
                  "recent": _l("Inscription récente")}

#: The vetting queues (PRODUCT.md §1 Volunteer 2).
VOLUNTEER_QUEUES = {
    "a-traiter": _l("À traiter (candidatures et étapes expirées)"),
    "a-verifier": _l("À vérifier (candidature reçue ou en cours)"),
    "valides": _l("Validé·es"),
    "suspendus": _l("Suspendu·es"),
    "expiration": _l("Étape expirée ou expirant sous 30 jours"),
    "non-retenus": _l("Non retenu·es ou parti·es"),
    "tous": _l("Tous"),
}

REFERRAL_OUTCOMES = {
    ReferralStatus.UNREACHABLE.value: _l("La personne reste injoignable"),
    ReferralStatus.DECLINED.value: _l("La personne ne souhaite pas de visites"),
}


def paris_today() -> date:
    """Today's date in the collectivité's time zone (what an agent calls "today")."""
    return datetime.now(PARIS).date()


def _relabel(form: FlaskForm, labels: dict, hints: dict | None = None) -> None:
    """Give shared fields the agent's wording, keeping their checks and choices."""
    for name, text in labels.items():
        if name in form:
            form[name].label.text = text
    for name, text in (hints or {}).items():
        if name in form:
            form[name].description = text


def _gender(value: str | None) -> Gender | None:
    return Gender(value) if value else None


def _in_page_order(form: FlaskForm, names: tuple[str, ...]) -> None:
    """List the fields in the order the page shows them, so the error summary follows the page.

    Fields inherited from several forms are otherwise ordered by when each class was written.
    """
    fields = form._fields
    form._fields = type(fields)([(n, fields[n]) for n in names if n in fields]
                                + [(n, f) for n, f in fields.items() if n not in names])


def _too_long(n: int) -> Length:
    return Length(max=n, message=_l("Écrivez au plus %(n)s caractères.", n=n))


class NotInFuture:
    """A date that is today or before (in Paris)."""

    message = _l("La date ne peut pas être dans le futur.")

    def __call__(self, form, field):
        if field.data and field.data > paris_today():
            raise ValidationError(self.message)


# Residents -----------------------------------------------------------------------------------

class ResidentFilterForm(FlaskForm):
    """Search and filters of the residents' list (sent by GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = Stripped(_l("Rechercher"), [Optional(), _too_long(100)],
                 description=_l("Nom, prénom, téléphone ou adresse e-mail."),
                 render_kw={"type": "search"})
    etat = SelectField(_l("État de la demande"),
                       choices=[("", _l("Tous les états")), *RESIDENT_STATES.items()], default="")
    quartier = SelectField(_l("Quartier"), choices=[], default="")
    attente = SelectField(_l("Attente"), choices=[("", _l("Toutes durées")), *WAIT_FILTERS.items()],
                          default="", description=_l("Personnes encore sans bénévole."))
    tri = SelectField(_l("Trier par"), choices=list(RESIDENT_SORTS.items()), default="attente")
    page = IntegerField(_l("Page"), [Optional(), NumberRange(min=1, max=100000)], default=1)

    def __init__(self, neighbourhoods: list[tuple[str, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quartier.choices = [("", _l("Tous les quartiers")), *neighbourhoods]


class ConsentFields(FlaskForm):
    """The consent record of a registration by an agent: who gave it, how and when."""

    consent_given_by = RadioField(_l("Qui a donné son accord ?"),
                                  [InputRequired(_l("Dites qui a donné son accord."))],
                                  choices=CONSENT_GIVERS, default="self")
    consent_relative = Stripped(
        _l("Nom et lien du proche"), [Optional(), _too_long(160)],
        description=_l("Seulement si un proche a parlé pour la personne, par exemple "
                       "« sa fille, Mme Durand »."))
    consent_method = RadioField(_l("Comment l'accord a-t-il été donné ?"),
                                [InputRequired(_l("Dites comment l'accord a été donné."))],
                                choices=vocabulary.choices(CONSENT_METHODS),
                                default=ConsentMethod.ORAL.value)
    consent_date = DateField(_l("Date de l'accord"), [InputRequired(REQUIRED), NotInFuture()],
                             format=DATE_FORMATS, default=paris_today,
                             description=_l("Sous la forme jj/mm/aaaa si aucun calendrier ne "
                                            "s'affiche."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: a relative who spoke for the person is named.

        (An inline ``validate_consent_relative`` would never run on an empty field: ``Optional``
        stops the chain first.)
        """
        ok = super().validate(extra_validators)
        if (self.consent_given_by.data == "relative" and not self.consent_relative.data
                and not self.consent_relative.errors):
            self.consent_relative.errors.append(
                _l("Indiquez le nom du proche et son lien avec la personne."))
            ok = False
        return ok

    @property
    def given_by(self) -> str | None:
        """Who gave the consent, or None when it is the person themself."""
        return self.consent_relative.data if self.consent_given_by.data == "relative" else None


class ResidentRegistrationForm(ResidentSignupForm, ConsentFields):
    """An agent registers a resident at the desk or by phone: no password, the consent recorded.

    The sign-up form's fields and checks, without the password (no login is created) and the
    tick box (replaced by the consent record); the e-mail becomes optional.
    """

    #: The order of the page (templates/agent/residents/_registration_fields.html).
    PAGE_ORDER = ("first_name", "last_name", "phone", "email", "address", "postcode",
                  "neighbourhood", "visit_kind", "volunteer_gender", "languages", "interests",
                  "availability", "consent_given_by", "consent_relative", "consent_method",
                  "consent_date")

    password = None
    consent = None
    email = Stripped(_l("Adresse e-mail"), [Optional(), _too_long(254), EmailAddress()],
                     description=_l("Aucun compte de connexion n'est créé : elle sert seulement "
                                    "à écrire à la personne."),
                     render_kw={"type": "email"})
    postcode = Stripped(_l("Code postal"),
                        [DataRequired(REQUIRED),
                         Regexp(r"^\d{5}$", message=_l("Le code postal compte 5 chiffres, "
                                                       "par exemple 64000."))],
                        render_kw={"inputmode": "numeric", "maxlength": 5})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, AGENT_LABELS, AGENT_HINTS)
        self.phone.description = _l("Par exemple 06 12 34 56 78. Un téléphone ou une adresse "
                                    "e-mail est nécessaire pour organiser les visites.")
        _in_page_order(self, self.PAGE_ORDER)

    def registration(self) -> Registration:
        """What the service needs, from the checked form."""
        return Registration(
            identity=Identity(first_name=self.first_name.data, last_name=self.last_name.data,
                              email=self.email.data, phone=self.phone.data),
            prefs=Preferences(uuid.UUID(self.neighbourhood.data), self.availability.mask,
                              self.languages.data, self.interests.data),
            address=self.address.data, postcode=self.postcode.data,
            visit_kind=VisitKind(self.visit_kind.data),
            volunteer_gender=_gender(self.volunteer_gender.data),
            consent=ConsentGiven(method=ConsentMethod(self.consent_method.data),
                                 given_on=self.consent_date.data, relative=self.given_by),
        )

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: the person can be reached, by phone or e-mail."""
        ok = super().validate(extra_validators)
        if not (self.phone.data or self.email.data or self.phone.errors or self.email.errors):
            self.phone.errors.append(_l("Indiquez un téléphone ou une adresse e-mail."))
            ok = False
        return ok


class ResidentEditForm(ProfileForm):
    """An agent changes a resident's place, contact and wishes (the resident's own form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, AGENT_LABELS, AGENT_HINTS)
        self.phone.description = _l("Par exemple 06 12 34 56 78.")
        _in_page_order(self, ("address", "postcode", "neighbourhood", "phone", "visit_kind",
                              "volunteer_gender", "languages", "interests", "availability"))

    @classmethod
    def of(cls, profile: ResidentProfile) -> ResidentEditForm:
        """The form filled with the resident's current values."""
        return cls(data={
            "address": profile.address, "postcode": profile.postcode,
            "neighbourhood": str(profile.neighbourhood_id),
            "phone": format_phone(profile.user.phone), "visit_kind": profile.visit_kind.value,
            "volunteer_gender": profile.volunteer_gender.value if profile.volunteer_gender else "",
            "languages": list(profile.languages), "interests": list(profile.interests),
            "availability": profile.slots,
        })

    def changes(self) -> PreferenceChanges:
        """What the service needs, from the checked form."""
        return PreferenceChanges(
            address=self.address.data, postcode=self.postcode.data,
            neighbourhood_id=uuid.UUID(self.neighbourhood.data), phone=self.phone.data,
            visit_kind=VisitKind(self.visit_kind.data),
            volunteer_gender=_gender(self.volunteer_gender.data),
            availability=self.availability.mask, languages=self.languages.data,
            interests=self.interests.data,
        )


class PauseForm(FlaskForm):
    """Pause a request, with an optional reason kept on the request."""

    reason = StrippedText(
        _l("Pourquoi ?"), [Optional(), _too_long(MAX_REASON)],
        description=_l("Par exemple : « hospitalisée jusqu'à fin mars »."),
        render_kw={"rows": 3},
    )


class CloseForm(FlaskForm):
    """Close a request for good: a reason is required."""

    reason = StrippedText(
        _l("Pourquoi clore la demande ?"),
        [DataRequired(_l("Indiquez pourquoi la demande est close.")), _too_long(MAX_REASON)],
        description=_l("Par exemple : « entrée en EHPAD », « ne souhaite plus de visites »."),
        render_kw={"rows": 3},
    )


class ButtonForm(FlaskForm):
    """A button alone (resume, approve, reinstate): only the CSRF token is checked."""


# Referrals -----------------------------------------------------------------------------------

class ReferralOutcomeForm(FlaskForm):
    """The person could not be reached, or does not want visits: with a note."""

    outcome = RadioField(_l("Résultat de l'appel"), [InputRequired(_l("Choisissez un résultat."))],
                         choices=list(REFERRAL_OUTCOMES.items()))
    note = StrippedText(_l("Note"), [DataRequired(_l("Écrivez une courte note.")),
                                     _too_long(MAX_NOTE)],
                        description=_l("Par exemple : « trois appels sans réponse, courrier "
                                       "envoyé ». Aucun détail médical."),
                        render_kw={"rows": 3})


# Vetting -------------------------------------------------------------------------------------

class VolunteerFilterForm(FlaskForm):
    """Search and queue of the volunteers' list (GET)."""

    class Meta:
        csrf = False

    q = Stripped(_l("Rechercher"), [Optional(), _too_long(100)],
                 description=_l("Nom, prénom, téléphone ou adresse e-mail."),
                 render_kw={"type": "search"})
    file = SelectField(_l("Liste"), choices=list(VOLUNTEER_QUEUES.items()), default="a-traiter")
    page = IntegerField(_l("Page"), [Optional(), NumberRange(min=1, max=100000)], default=1)


class VettingStepForm(FlaskForm):
    """Record one vetting step: what, when, until when, and a short detail (never the document)."""

    kind = SelectField(_l("Étape"), [InputRequired(REQUIRED)],
                       choices=[("", _l("Choisissez l'étape")),
                                *vocabulary.choices(vocabulary.VETTING_LABELS)])
    done_on = DateField(_l("Faite le"), [InputRequired(REQUIRED), NotInFuture()],
                        format=DATE_FORMATS, default=paris_today,
                        description=_l("Sous la forme jj/mm/aaaa si aucun calendrier ne s'affiche."))
    expires_on = DateField(_l("Valable jusqu'au"), [Optional()], format=DATE_FORMATS,
                           description=_l("Laissé vide, l'extrait de casier judiciaire vaut "
                                          "12 mois ; les autres étapes n'expirent pas."))
    detail = Stripped(_l("Précision"), [Optional(), _too_long(MAX_STEP_DETAIL)],
                      description=_l("Par exemple « passeport vu », « charte version 2026-1 ». "
                                     "Ne notez jamais le numéro ni le contenu d'un document."),
                      render_kw={"maxlength": MAX_STEP_DETAIL})

    def validate_kind(self, field):
        """A kind of the list (the empty choice is there only to make the agent pick)."""
        if field.data not in {k.value for k in VettingKind}:
            raise ValidationError(_l("Choisissez l'étape dans la liste."))

    def validate_expires_on(self, field):
        """An expiry after the day the step was done."""
        if field.data and self.done_on.data and field.data < self.done_on.data:
            raise ValidationError(_l("L'expiration doit suivre la date de l'étape."))


class DecisionReasonForm(FlaskForm):
    """Reject or suspend a volunteer: the reason is required, and the volunteer can read it."""

    reason = StrippedText(_l("Motif"), [DataRequired(_l("Indiquez le motif de la décision.")),
                                        _too_long(MAX_REASON)],
                          description=_l("Le bénévole pourra lire ce motif."),
                          render_kw={"rows": 3})


class LeaveForm(FlaskForm):
    """Record that a volunteer left, with an optional reason."""

    reason = StrippedText(_l("Motif"), [Optional(), _too_long(MAX_REASON)],
                          description=_l("Le bénévole pourra le lire."),
                          render_kw={"rows": 2})


REFERRAL_STATUS_LABELS = {
    ReferralStatus.PENDING: _l("À traiter"), ReferralStatus.CONVERTED: _l("Inscrit·e"),
    ReferralStatus.UNREACHABLE: _l("Injoignable"), ReferralStatus.DECLINED: _l("A refusé"),
}

#: The label tables the console's templates read, as ``console_labels`` (see app.agent.residents).
CONSOLE_LABELS = SimpleNamespace(
    resident_states=RESIDENT_STATES, resident_sorts=RESIDENT_SORTS,
    consent_methods=CONSENT_METHOD_LABELS, consent_purposes=CONSENT_PURPOSES,
    volunteer_queues=VOLUNTEER_QUEUES, referral_statuses=REFERRAL_STATUS_LABELS,
)
