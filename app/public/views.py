"""Public pages."""

from __future__ import annotations

from flask import current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from app.extensions import db
from app.public import bp
from app.public.forms import ReferralForm
from app.security.access import public
from app.security.redirects import safe_next, safe_referrer
from app.services.referrals import ReferralInput, submit_referral
from app.services.settings import matching_weights


@bp.route("/")
@public
def home():
    """What the service is, and the ways in."""
    return render_template("public/home.html")


@bp.route("/healthz")
@public
def healthz():
    """Health check for the load balancer: JSON with the database status."""
    try:
        db.session.execute(text("SELECT 1"))
        return jsonify(status="ok", database="ok")
    except Exception:  # noqa: BLE001  (any database failure means "not healthy")
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503


@bp.route("/comment-ca-marche")
@public
def how_matching_works():
    """The matching rules and the weights in force, in plain French (CRPA art. L311-3-1)."""
    return render_template("public/how_matching_works.html", weights=matching_weights())


@bp.route("/mentions-legales")
@public
def legal_notice():
    """Mentions légales."""
    return render_template("public/legal_notice.html")


@bp.route("/donnees-personnelles")
@public
def privacy():
    """How personal data is processed, and people's rights."""
    return render_template("public/privacy.html")


@bp.route("/accessibilite")
@public
def accessibility():
    """Accessibility statement."""
    return render_template("public/accessibility.html")


@bp.route("/langue", methods=["POST"])
@public
def choose_language():
    """The header's language switch (a form with CSRF): a cookie, and the account's language.

    The account's language is the one its e-mails and SMS are written in.
    """
    code = request.form.get("lang", "")
    response = _language_response(code, safe_next() if "next" in request.form else safe_referrer())
    if code in current_app.config["LANGUAGES"] and current_user.is_authenticated \
            and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
    return response


@bp.route("/langue/<code>")
@public
def set_language(code: str):
    """A link that switches the language (the cookie only: a GET changes no account)."""
    return _language_response(code, safe_next() if "next" in request.args else safe_referrer())


def _language_response(code: str, target: str):
    """Back to ``target``, with the language cookie when ``code`` is a language of the service."""
    response = make_response(redirect(target))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/signaler", methods=["GET", "POST"])
@public
def refer():
    """Signal an isolated person who agreed to be contacted; the referrer sees a confirmation only."""
    form = ReferralForm()
    if form.validate_on_submit():
        submit_referral(ReferralInput(
            first_name=form.first_name.data, last_name=form.last_name.data,
            phone=form.phone.data, email=form.email.data, address=form.address.data,
            commune_insee=form.commune.data, reason=form.reason.data.strip(),
            referrer_name=form.referrer_name.data, referrer_relation=form.referrer_relation.data,
            referrer_phone=form.referrer_phone.data, referrer_email=form.referrer_email.data,
            person_agreed=True,
        ))
        db.session.commit()
        return redirect(url_for("public.refer_done"))
    return render_template("public/refer.html", form=form), 422 if form.errors else 200


@bp.route("/signaler/merci")
@public
def refer_done():
    """Confirmation after a referral."""
    return render_template("public/refer_done.html")
