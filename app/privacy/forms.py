"""Forms of the privacy pages: erasure is confirmed with the password (or, by an agent, a box)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from app.forms.profile import REQUIRED


class EraseForm(FlaskForm):
    """The person confirms with their password and a box they tick."""

    password = PasswordField(_l("Votre mot de passe"), [DataRequired(REQUIRED), Length(max=1024)],
                             description=_l("Pour être sûrs que c'est bien vous."),
                             render_kw={"autocomplete": "current-password"})
    confirm = BooleanField(
        _l("J'ai compris : mes données seront effacées et je ne pourrai plus me connecter."),
        [DataRequired(_l("Cochez la case pour confirmer."))])


class AgentEraseForm(FlaskForm):
    """An agent erases a resident registered at the desk, at their request."""

    confirm = BooleanField(
        _l("La personne (ou son représentant) a demandé l'effacement et j'ai vérifié son identité."),
        [DataRequired(_l("Cochez la case pour confirmer."))])
