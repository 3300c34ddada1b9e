"""Administration: the weights of the matching score and the retention period."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import actions, bp
from app.admin.forms import SettingsForm
from app.extensions import db
from app.security.access import acting_user
from app.services.settings import matching_weights, retention_months


@bp.route("/parametres", methods=["GET", "POST"])
def settings():
    """Change the four weights (read by the matching and the public page) and the retention."""
    if request.method == "GET":
        weights = {k: int(v) if float(v).is_integer() else v for k, v in matching_weights().items()}
        form = SettingsForm(formdata=None, retention=retention_months(), **weights)
        return render_template("admin/settings.html", form=form)
    form = SettingsForm()
    if not form.validate_on_submit():
        return render_template("admin/settings.html", form=form), 422
    changed = actions.save_settings(form.weights(), form.retention.data,
                                    acting_user())
    db.session.commit()
    flash(_("Paramètres enregistrés.") if changed else _("Rien n'a changé."), "success")
    return redirect(url_for(".settings"))
