"""Find a person's neighbourhood from their postcode, one question at a time, without JavaScript.

The person types a postcode; the page comes back with the commune when the postcode covers
several (64140: Billère and Lons), then with that commune's neighbourhoods (the only one is
preselected). A postcode outside the territory gets a message with the service's phone number.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, RadioField

from app.extensions import db
from app.models import Commune, Neighbourhood
from app.services.places import communes_for_postcode

COMMUNE_QUESTION = "commune"
NEIGHBOURHOOD_QUESTION = "neighbourhood"
COMMUNE_LABEL = _l("Dans quelle commune habitez-vous ?")


def commune_field(label=COMMUNE_LABEL) -> RadioField:
    """The commune, asked only when the postcode covers several (choices come from it)."""
    return RadioField(label, choices=[], validate_choice=False)


def neighbourhood_field() -> RadioField:
    """One of the commune's neighbourhoods (choices come from the commune)."""
    return RadioField(_l("Votre quartier"), choices=[], validate_choice=False)


def asked_field() -> HiddenField:
    """Which lists were on the page: "postcode:commune" (see :meth:`PlaceFinder.shown`)."""
    return HiddenField()


class PlaceFinder(FlaskForm):
    """Postcode, then commune (when several), then neighbourhood.

    A subclass declares its fields in the order the page shows them: ``postcode``
    (:func:`~app.forms.profile.postcode_field`), ``commune``, ``neighbourhood`` and ``asked``
    (the functions above), and any other question of the step.

    ``validate()`` checks a complete answer. A view reading what the person just sent sets
    ``interactive``: a question they have not seen yet is then asked (``follow_up``), not
    counted as an error. ``asked`` remembers, in the page, which questions were on screen.
    """

    #: True when the answer comes from the person's browser rather than from a saved draft.
    interactive = False
    #: The question to ask before moving on (COMMUNE_QUESTION, NEIGHBOURHOOD_QUESTION) or None.
    follow_up: str | None = None
    #: True when the postcode is not one of the territory's.
    unknown_postcode = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.communes: list[Commune] = []
        self.chosen_commune: Commune | None = None
        self.locate()

    # --- What the postcode gives -------------------------------------------------------------

    def locate(self) -> None:
        """Fill the commune and neighbourhood choices from the postcode and the chosen commune."""
        code = self.postcode.data if self._postcode_well_formed() else None
        self.communes = communes_for_postcode(code) if code else []
        self.commune.choices = [(c.insee_code, c.name) for c in self.communes]
        if len(self.communes) == 1:
            self.chosen_commune = self.communes[0]
        else:
            self.chosen_commune = next((c for c in self.communes
                                        if c.insee_code == self.commune.data), None)
        places = _neighbourhoods(self.chosen_commune) if self.chosen_commune else []
        self.neighbourhood.choices = [(str(n.id), n.name) for n in places]

    def _postcode_well_formed(self) -> bool:
        value = self.postcode.data
        return isinstance(value, str) and len(value) == 5 and value.isascii() and value.isdigit()

    @property
    def several_communes(self) -> bool:
        """Whether the postcode covers more than one commune (the commune is asked)."""
        return len(self.communes) > 1

    def shown(self) -> str:
        """What the page shows, kept in ``asked``: the postcode and the commune of its lists."""
        commune = self.chosen_commune.insee_code if self.chosen_commune else ""
        return f"{self.postcode.data or ''}:{commune}" if self.communes else ""

    # --- Checks ---------------------------------------------------------------------------------

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then a postcode of the territory, its commune and a neighbourhood of it."""
        self.follow_up = None
        self.unknown_postcode = False
        ok = super().validate(extra_validators)
        self.locate()
        if self.postcode.errors or not self.postcode.data:
            return False
        if not self.communes:
            self.unknown_postcode = True
            self.postcode.errors.append(_unknown_message(self.postcode.data))
            return False
        return self._check_commune() and self._check_neighbourhood() and ok

    def _seen(self) -> tuple[bool, bool]:
        """Whether the commune list, and this commune's neighbourhoods, were on the page."""
        postcode, _, commune = (self.asked.data or "").partition(":")
        lists_seen = postcode == self.postcode.data
        chosen = self.chosen_commune.insee_code if self.chosen_commune else None
        return lists_seen, lists_seen and commune == chosen

    def _check_commune(self) -> bool:
        if self.chosen_commune is not None:
            self.commune.data = self.chosen_commune.insee_code
            return True
        self.commune.data = None
        if self.interactive and not self._seen()[0]:
            self.follow_up = COMMUNE_QUESTION
        else:
            self.commune.errors.append(_l("Choisissez votre commune."))
        return False

    def _check_neighbourhood(self) -> bool:
        ids = [value for value, _ in self.neighbourhood.choices]
        if not ids:
            self.unknown_postcode = True
            self.postcode.errors.append(_unknown_message(self.postcode.data))
            return False
        if self.neighbourhood.data in ids:
            return True
        self.neighbourhood.data = ids[0] if len(ids) == 1 else None
        if not self.interactive or self._seen()[1]:
            self.neighbourhood.errors.append(_l("Choisissez votre quartier dans la liste."))
            return False
        if len(ids) == 1 and self.several_communes:
            return True  # the person just chose the commune, which has one neighbourhood
        self.follow_up = NEIGHBOURHOOD_QUESTION
        return False


def _neighbourhoods(commune: Commune) -> list[Neighbourhood]:
    return list(db.session.scalars(select(Neighbourhood).where(
        Neighbourhood.commune_insee == commune.insee_code).order_by(Neighbourhood.name)))


def _unknown_message(postcode: str):
    return _l("Le code postal %(code)s ne fait pas partie des communes du service. Vérifiez-le, "
              "ou appelez le %(phone)s : un agent vous dira à qui vous adresser.",
              code=postcode, phone=current_app.config["ORGANISATION_PHONE"])
