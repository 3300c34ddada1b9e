"""Forms of the account pages (the sign-up steps are in :mod:`app.auth.steps`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from app.forms.fields import EmailAddress, Stripped, StrongPassword
from app.forms.profile import REQUIRED, ResidentDetailsForm


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = Stripped(_l("Adresse e-mail"), [DataRequired(REQUIRED), Length(max=254)],
                     render_kw={"autocomplete": "username", "type": "email"})
    password = PasswordField(_l("Mot de passe"), [DataRequired(REQUIRED), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


#: The agent console registers a resident with every question on one page; it built on the old
#: single-page sign-up under this name. The sign-up is now in steps (:mod:`app.auth.steps`).
ResidentSignupForm = ResidentDetailsForm


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
