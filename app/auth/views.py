"""Account pages: log in and out, password reset and change (sign-up: :mod:`app.auth.signup`)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from app.auth import bp
from app.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    ResetPasswordForm,
)
from app.extensions import db, limiter
from app.models import Role
from app.security import sessions, throttle
from app.security.access import public
from app.security.redirects import safe_next
from app.security.timing import equal_time
from app.services import accounts

HOME_BY_ROLE = {
    Role.RESIDENT: "resident.home",
    Role.VOLUNTEER: "volunteer.home",
    Role.AGENT: "agent.home",
    Role.ADMIN: "admin.home",
}


def home_for(user) -> str:
    """The first page of a logged-in person."""
    return url_for(HOME_BY_ROLE[user.role])


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


@bp.route("/connexion", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], deduct_when=lambda r: r.status_code != 302)
def login():
    """Log in with e-mail and password; throttled per address and per account."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data
        if throttle.account_locked(email):
            form.form_errors.append(_("Trop de tentatives pour ce compte. Réessayez dans "
                                      "15 minutes, ou appelez-nous."))
        else:
            user = accounts.authenticate(email, form.password.data)
            if user is not None:
                throttle.clear_failures(email)
                sessions.start_session(user)
                login_user(user)
                db.session.commit()
                return redirect(safe_next(HOME_BY_ROLE[user.role]))
            throttle.record_failure(email)
            # One message for every failure: it never tells whether the address has an account.
            form.form_errors.append(_("Adresse e-mail ou mot de passe incorrect."))
    status = 200 if not form.errors and not form.form_errors else 422
    return render_template("auth/login.html", form=form), status


@bp.route("/deconnexion", methods=["POST"])
@public
def logout():
    """Log out: the server-side session ends, so the old cookie is worthless."""
    form = LogoutForm()
    if form.validate_on_submit():
        sessions.end_current_session()
        db.session.commit()
        flash(_("Vous êtes déconnecté·e."), "success")
    return redirect(url_for("public.home"))


@bp.route("/mot-de-passe/oubli", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether the address is known or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with equal_time():  # a known address writes a token and an e-mail, an unknown nothing
            accounts.request_password_reset(form.email.data)
            db.session.commit()
        return render_template("auth/forgot_password_sent.html")
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Choose a new password with a single-use link; no automatic login afterwards."""
    if len(token) > 100 or accounts.valid_reset_token(token) is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if not accounts.reset_password(token, form.password.data):
            db.session.rollback()
            return render_template("auth/reset_invalid.html"), 404
        db.session.commit()
        flash(_("Votre mot de passe a été changé. Vous pouvez vous connecter."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), 422 if form.errors else 200


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
def change_password():
    """Change one's password; other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if accounts.change_password(current_user, form.current.data, form.password.data):
            db.session.commit()
            flash(_("Votre mot de passe a été changé."), "success")
            return redirect(home_for(current_user))
        form.current.errors = [*form.current.errors, _("Le mot de passe actuel est incorrect.")]
    return render_template("auth/change_password.html", form=form), 422 if form.errors else 200
