"""Privacy pages: "Mes données" (what is held, download as JSON, erase) and an agent's erasure.

Views stay thin: they load, check, call :mod:`app.privacy.export` or :mod:`app.privacy.erasure`,
commit and answer.
"""

from __future__ import annotations

import json
import uuid

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from app.extensions import db
from app.forms.rendering import form_page
from app.models import Role
from app.privacy import bp
from app.privacy.erasure import erase
from app.privacy.export import collect, export
from app.privacy.forms import AgentEraseForm, EraseForm
from app.security.access import acting_user, role_required
from app.security.passwords import verify_password
from app.security.sessions import end_current_session

#: Who may erase their own account here; staff accounts are closed by an administrator.
SELF_ERASABLE = (Role.RESIDENT, Role.VOLUNTEER)
#: Plain names of the tables, for the summary of "Mes données" (others show their own name).
TABLE_LABELS = {
    "users": _l("Votre compte"), "resident_profiles": _l("Votre demande de visites"),
    "volunteer_profiles": _l("Votre engagement de bénévole"),
    "vetting_steps": _l("Étapes de validation"), "consent_records": _l("Consentements"),
    "matches": _l("Mises en relation"), "visits": _l("Visites"),
    "visit_logs": _l("Comptes rendus de visite"), "concerns": _l("Alertes"),
    "concern_notes": _l("Notes sur les alertes"), "campaign_calls": _l("Appels de campagne"),
    "referrals": _l("Signalements"), "outbox_messages": _l("Messages envoyés"),
    "user_sessions": _l("Connexions"), "password_reset_tokens": _l("Liens de mot de passe"),
    "audit_entries": _l("Actions enregistrées au journal"),
    "matching_runs": _l("Calculs de mise en relation lancés"), "campaigns": _l("Campagnes"),
    "settings": _l("Réglages modifiés"),
}


@bp.route("/mes-donnees")
def my_data():
    """What is held about the logged-in person, by kind, with the download and erasure links."""
    held = collect(acting_user())
    summary = [(str(TABLE_LABELS.get(name, name)), len(rows))
               for name, rows in held.items() if rows]
    return render_template("privacy/my_data.html", summary=summary,
                           can_erase=current_user.role in SELF_ERASABLE)


@bp.route("/mes-donnees/export.json")
def download():
    """Everything held about the person, as a JSON file (secrets left out)."""
    user = acting_user()
    body = json.dumps(export(user), ensure_ascii=False, indent=2, sort_keys=True)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="mes-donnees-voisinage.json"'})


@bp.route("/mes-donnees/effacer", methods=["GET", "POST"])
def erase_me():
    """Erase one's own data, confirmed with the password; the session ends at once."""
    user = acting_user()
    if user.role not in SELF_ERASABLE:
        abort(403)
    form = EraseForm()
    if form.validate_on_submit():
        if verify_password(user.password_hash, form.password.data):
            erase(user, user, by="self")
            end_current_session()
            db.session.commit()
            logout_user()
            flash(_("Vos données ont été effacées. Merci d'avoir fait partie de Voisinage."),
                  "success")
            return redirect(url_for("public.home"), 303)
        form.password.errors = [*form.password.errors, _("Le mot de passe est incorrect.")]
    return form_page("privacy/erase.html", form)


@bp.route("/agent/habitants/<uuid:resident_id>/effacer", methods=["GET", "POST"])
@role_required(Role.AGENT, Role.ADMIN)
def agent_erase(resident_id: uuid.UUID):
    """An agent erases a resident registered at the desk (no login), at the person's request.

    A resident with a login erases their own data from "Mes données" (their password proves
    who asks); the page says so and offers no button.
    """
    from app.agent.residents import load_resident

    profile = load_resident(resident_id)
    form = AgentEraseForm()
    has_login = profile.user.password_hash is not None
    if not has_login and form.validate_on_submit():
        erase(profile.user, acting_user(), by="agent")
        db.session.commit()
        flash(_("Les données de cette personne ont été effacées."), "success")
        return redirect(url_for("agent.residents"), 303)
    if has_login and form.is_submitted():
        form.form_errors.append(_("Cette personne a un compte : elle efface ses données "
                                  "elle-même, depuis « Mes données »."))
    return form_page("privacy/agent_erase.html", form, profile=profile, has_login=has_login)
