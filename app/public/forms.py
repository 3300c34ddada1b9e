"""The public referral form: "Signaler une personne isolée"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Length, Optional

from app.extensions import db
from app.forms.fields import EmailAddress, Paragraph, PhoneNumber, Stripped
from app.models import Commune

REQUIRED = _l("Ce champ est obligatoire.")

RELATIONS = [
    ("", _l("Choisissez dans la liste")),
    ("family", _l("Membre de la famille")),
    ("neighbour", _l("Voisin ou voisine")),
    ("friend", _l("Ami ou amie")),
    ("pharmacist", _l("Pharmacien ou pharmacienne")),
    ("health", _l("Professionnel de santé")),
    ("social_worker", _l("Travailleur social")),
    ("other", _l("Autre")),
]


class ReferralForm(FlaskForm):
    """Who the person is, how to reach them, why they seem isolated, and who signals them."""

    first_name = Stripped(_l("Prénom de la personne"), [DataRequired(REQUIRED), Length(max=80)])
    last_name = Stripped(_l("Nom de la personne"), [DataRequired(REQUIRED), Length(max=80)])
    phone = Stripped(_l("Son téléphone"), [Optional(), Length(max=30), PhoneNumber()],
                     render_kw={"type": "tel"})
    email = Stripped(_l("Son adresse e-mail"), [Optional(), Length(max=254), EmailAddress()],
                     render_kw={"type": "email"})
    address = Stripped(_l("Son adresse postale"), [Optional(), Length(max=250)])
    commune = SelectField(_l("Sa commune"), [DataRequired(_l("Choisissez la commune."))])
    reason = Paragraph(
        _l("Pourquoi cette personne vous semble-t-elle isolée ?"),
        [DataRequired(REQUIRED), Length(max=2000)],
        description=_l("Quelques mots suffisent. N'indiquez pas de détail médical."),
    )
    referrer_name = Stripped(_l("Votre nom"), [DataRequired(REQUIRED), Length(max=160)],
                             render_kw={"autocomplete": "name"})
    referrer_relation = SelectField(_l("Vous êtes"), [DataRequired(_l("Choisissez dans la liste."))],
                                    choices=RELATIONS)
    referrer_phone = Stripped(_l("Votre téléphone"), [Optional(), Length(max=30), PhoneNumber()],
                              render_kw={"type": "tel", "autocomplete": "tel"})
    referrer_email = Stripped(_l("Votre adresse e-mail"), [Optional(), Length(max=254), EmailAddress()],
                              render_kw={"type": "email", "autocomplete": "email"})
    person_agreed = BooleanField(
        _l("La personne est d'accord pour être contactée par le service."),
        [DataRequired(_l("Nous ne pouvons contacter la personne qu'avec son accord."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        communes = db.session.execute(select(Commune.insee_code, Commune.name).order_by(Commune.name))
        self.commune.choices = [("", _l("Choisissez dans la liste")),
                                *((code, name) for code, name in communes)]

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: the person must be reachable, and so must the referrer."""
        ok = super().validate(extra_validators)
        if not (self.phone.data or self.email.data or self.address.data) and not self.phone.errors:
            self.phone.errors.append(_l("Indiquez au moins un moyen de joindre la personne : "
                                        "téléphone, e-mail ou adresse."))
            ok = False
        if not (self.referrer_phone.data or self.referrer_email.data) and not self.referrer_phone.errors:
            self.referrer_phone.errors.append(_l("Indiquez votre téléphone ou votre adresse e-mail."))
            ok = False
        return ok
