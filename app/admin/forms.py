"""Forms of the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from sqlalchemy import select
from wtforms import IntegerField, SelectField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from app.extensions import db
from app.forms.fields import (
    EmailAddress,
    LocalDecimalField,
    MultiCheckboxField,
    Stripped,
)
from app.forms.rendering import attach_error  # noqa: F401  (re-exported for the views)
from app.models import Commune, Territory
from app.services.settings import DEFAULT_WEIGHTS

REQUIRED = _l("Ce champ est obligatoire.")
#: Largest neighbourhoods file accepted (20,000 lines fit in far less).
IMPORT_MAX_BYTES = 1024 * 1024
#: Bounds of the settings (a weight above 100 would let a score leave the range the database
#: allows for it).
WEIGHT_MAX = 100
RETENTION_MIN, RETENTION_MAX = 6, 120
TOO_LARGE = _l("Le fichier dépasse 1 Mo : découpez-le en plusieurs fichiers.")


def _max(n: int):
    return Length(max=n, message=_l("Écrivez au plus %(max)d caractères."))


class ListChoiceField(SelectField):
    """A drop-down list that refuses, in French, a value it does not offer (a forged request)."""

    def pre_validate(self, form):
        """Only one of the choices is accepted (an empty one is for the required check to judge)."""
        if self.data in (None, ""):
            return
        if self.validate_choice and self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_l("Choisissez dans la liste."))


class ButtonForm(FlaskForm):
    """A button alone (disable, enable): only the CSRF token is checked."""


class TerritoryNameForm(FlaskForm):
    """A territory's name (creating or renaming one)."""

    name = Stripped(_l("Nom du territoire"), [DataRequired(REQUIRED), _max(120)],
                    description=_l("Par exemple : Couronne ouest."),
                    render_kw={"maxlength": 120, "autocomplete": "off"})


class TerritoryCommunesForm(FlaskForm):
    """Which communes a territory follows; a commune belongs to one territory at most."""

    communes = MultiCheckboxField(
        _l("Communes du territoire"), choices=[], validate_choice=True,
        description=_l("Cocher une commune d'un autre territoire l'y retire. Une commune qui n'est "
                       "dans aucun territoire n'est suivie par aucun agent."))

    def load_choices(self, territory: Territory) -> None:
        """Every commune, with the territory it belongs to now when it is another one."""
        rows = db.session.execute(
            select(Commune.insee_code, Commune.name, Territory.id, Territory.name)
            .outerjoin(Territory, Territory.id == Commune.territory_id)
            .order_by(Commune.name, Commune.insee_code)).all()
        self.communes.choices = [
            (code, f"{name} ({code})" + (f" — {other}" if tid not in (None, territory.id) else ""))
            for code, name, tid, other in rows]
        if self.communes.data is None:
            self.communes.data = [code for code, _n, tid, _o in rows if tid == territory.id]


class NeighbourhoodForm(FlaskForm):
    """One neighbourhood: its name, its commune and the point distances are measured from."""

    name = Stripped(_l("Nom du quartier"), [DataRequired(REQUIRED), _max(120)],
                    render_kw={"maxlength": 120, "autocomplete": "off"})
    commune = ListChoiceField(_l("Commune"), [InputRequired(_l("Choisissez la commune."))],
                              choices=[])
    latitude = LocalDecimalField(
        _l("Latitude"), [InputRequired(REQUIRED),
                         NumberRange(-90, 90, _l("La latitude est comprise entre -90 et 90."))],
        description=_l("En degrés décimaux, par exemple 43,2951 pour Pau."),
        places=None, render_kw={"inputmode": "decimal", "autocomplete": "off"})
    longitude = LocalDecimalField(
        _l("Longitude"), [InputRequired(REQUIRED),
                          NumberRange(-180, 180,
                                      _l("La longitude est comprise entre -180 et 180."))],
        description=_l("En degrés décimaux, négative à l'ouest de Greenwich : -0,3708 pour Pau."),
        places=None, render_kw={"inputmode": "decimal", "autocomplete": "off"})

    def load_choices(self) -> None:
        """Every commune."""
        self.commune.choices = [("", _l("Choisissez dans la liste"))] + [
            (code, f"{name} ({code})") for code, name in db.session.execute(
                select(Commune.insee_code, Commune.name).order_by(Commune.name))]


class NeighbourhoodImportForm(FlaskForm):
    """A CSV file of neighbourhoods: all its lines are imported, or none."""

    file = FileField(
        _l("Fichier des quartiers (CSV)"),
        [FileRequired(_l("Choisissez un fichier.")),
         FileSize(IMPORT_MAX_BYTES, message=TOO_LARGE)],
        description=_l("Encodé en UTF-8, colonnes séparées par des virgules : commune_insee, name, "
                       "latitude, longitude (latitude et longitude avec un point décimal). "
                       "Un quartier déjà connu (même commune, même nom) est déplacé au nouveau "
                       "point. 1 Mo au plus."),
        render_kw={"accept": ".csv,text/csv"})


class AgentForm(FlaskForm):
    """A new agent account: who, and on which territory."""

    first_name = Stripped(_l("Prénom"), [DataRequired(REQUIRED), _max(80)],
                          render_kw={"autocomplete": "off"})
    last_name = Stripped(_l("Nom"), [DataRequired(REQUIRED), _max(80)],
                         render_kw={"autocomplete": "off"})
    email = Stripped(_l("Adresse e-mail professionnelle"),
                     [DataRequired(REQUIRED), _max(254), EmailAddress()],
                     description=_l("L'agent y reçoit un lien pour choisir son mot de passe."),
                     render_kw={"type": "email", "autocomplete": "off"})
    territory = ListChoiceField(_l("Territoire"), [InputRequired(_l("Choisissez un territoire."))],
                                choices=[])

    def load_choices(self) -> None:
        """Every territory."""
        self.territory.choices = [("", _l("Choisissez un territoire"))] + [
            (str(tid), name) for tid, name in db.session.execute(
                select(Territory.id, Territory.name).order_by(Territory.name))]


class AgentTerritoryForm(FlaskForm):
    """Move an agent to another territory."""

    territory = ListChoiceField(_l("Territoire"), [InputRequired(_l("Choisissez un territoire."))],
                                choices=[])

    load_choices = AgentForm.load_choices


class WholeNumberField(IntegerField):
    """A whole number, with a French message when it is not one."""

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        try:
            self.data = int("".join(valuelist[0].split()))
        except ValueError:
            self.data = None
            raise ValueError(_l("Saisissez un nombre entier, par exemple 24.")) from None


def _weight(label, name: str) -> LocalDecimalField:
    return LocalDecimalField(
        label, [InputRequired(REQUIRED),
                NumberRange(0, WEIGHT_MAX, _l("Saisissez un nombre entre 0 et %(max)s.",
                                              max=WEIGHT_MAX))],
        description=_l("Par défaut %(n)s.", n=int(DEFAULT_WEIGHTS[name])), places=None,
        render_kw={"inputmode": "decimal", "autocomplete": "off"})


class SettingsForm(FlaskForm):
    """The weights of the matching score and the retention period."""

    waiting = _weight(_l("Temps d'attente"), "waiting")
    distance = _weight(_l("Proximité"), "distance")
    slots = _weight(_l("Moments en commun"), "slots")
    interests = _weight(_l("Centres d'intérêt en commun"), "interests")
    retention = WholeNumberField(
        _l("Durée de conservation des demandes closes, en mois"),
        [InputRequired(REQUIRED),
         NumberRange(RETENTION_MIN, RETENTION_MAX,
                     _l("Choisissez une durée entre %(min)s et %(max)s mois.",
                        min=RETENTION_MIN, max=RETENTION_MAX))],
        description=_l("Après ce délai, les données des demandes closes sont anonymisées. "
                       "Par défaut 24 mois."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"})

    WEIGHTS = ("waiting", "distance", "slots", "interests")

    def validate(self, extra_validators=None) -> bool:
        """Each field, then: at least one weight above zero."""
        valid = super().validate(extra_validators)
        weights = [self[name].data for name in self.WEIGHTS]
        if all(w is not None and not self[n].errors for w, n in zip(weights, self.WEIGHTS)) \
                and not any(w > 0 for w in weights):
            message = _l("Au moins une pondération doit être supérieure à zéro.")
            self.waiting.errors = [*self.waiting.errors, message]
            return False
        return valid

    def weights(self) -> dict[str, float]:
        """The four weights as numbers, rounded to the hundredth."""
        return {name: round(float(self[name].data), 2) for name in self.WEIGHTS}

