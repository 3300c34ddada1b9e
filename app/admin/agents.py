"""Administration: agent accounts — list, create (with an e-mailed link), move, disable, enable."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.admin import actions, bp
from app.admin.forms import AgentForm, AgentTerritoryForm, ButtonForm, attach_error
from app.extensions import db
from app.models import Role, Territory, User
from app.security.access import acting_user
from app.services.errors import DomainError

_me = acting_user


@bp.route("/agents")
def agents():
    """Every agent account with its territory and whether it is enabled."""
    rows = db.session.execute(
        select(User, Territory.name).outerjoin(Territory, Territory.id == User.territory_id)
        .where(User.role == Role.AGENT)
        .order_by(User.is_enabled.desc(), func.lower(User.last_name), func.lower(User.first_name))
    ).all()
    return render_template("admin/agents/list.html", rows=rows)


def _new_page(form: AgentForm, status: int = 200):
    form.load_choices()
    return render_template("admin/agents/new.html", form=form), status


@bp.route("/agents/nouveau", methods=["GET", "POST"])
def new_agent():
    """Create an agent account; the agent chooses a password through the link sent by e-mail."""
    form = AgentForm()
    if request.method == "GET":
        return _new_page(form)
    form.load_choices()
    if not form.validate_on_submit():
        return _new_page(form, 422)
    territory = db.session.get(Territory, uuid.UUID(form.territory.data))
    try:
        agent = actions.create_agent(form.first_name.data, form.last_name.data, form.email.data,
                                     territory, _me())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _new_page(form, 422)
    db.session.commit()
    flash(_("Le compte de %(name)s est créé. Un lien pour choisir son mot de passe lui est "
            "envoyé à %(email)s.", name=agent.full_name, email=agent.email), "success")
    return redirect(url_for(".agent", user_id=agent.id))


def _load(user_id: uuid.UUID) -> User:
    agent = db.session.get(User, user_id)
    if agent is None or agent.role is not Role.AGENT:
        abort(404)
    return agent


def _agent_page(agent: User, form: AgentTerritoryForm | None = None, status: int = 200):
    if form is None:
        form = AgentTerritoryForm(formdata=None, territory=str(agent.territory_id or ""))
    form.load_choices()
    return render_template("admin/agents/agent.html", agent=agent, form=form,
                           button=ButtonForm()), status


@bp.route("/agents/<uuid:user_id>", methods=["GET", "POST"])
def agent(user_id: uuid.UUID):
    """An agent's account: move them to another territory."""
    agent = _load(user_id)
    if request.method == "GET":
        return _agent_page(agent)
    form = AgentTerritoryForm()
    form.load_choices()
    if not form.validate_on_submit():
        return _agent_page(agent, form, 422)
    territory = db.session.get(Territory, uuid.UUID(form.territory.data))
    if actions.move_agent(agent, territory, _me()):
        db.session.commit()
        flash(_("%(name)s travaille maintenant sur le territoire « %(territory)s ».",
                name=agent.full_name, territory=territory.name), "success")
    return redirect(url_for(".agent", user_id=agent.id))


def _toggle(user_id: uuid.UUID, enabled: bool):
    agent = _load(user_id)  # the CSRF token was checked app-wide before the view
    if actions.set_agent_enabled(agent, enabled, _me()):
        db.session.commit()
        flash(_("Le compte de %(name)s est réactivé.", name=agent.full_name) if enabled else
              _("Le compte de %(name)s est désactivé : ses sessions sont closes.",
                name=agent.full_name), "success")
    return redirect(url_for(".agent", user_id=agent.id))


@bp.route("/agents/<uuid:user_id>/desactiver", methods=["POST"])
def disable_agent(user_id: uuid.UUID):
    """Disable an account: the agent can no longer log in and is logged out everywhere."""
    return _toggle(user_id, False)


@bp.route("/agents/<uuid:user_id>/reactiver", methods=["POST"])
def enable_agent(user_id: uuid.UUID):
    """Enable an account again."""
    return _toggle(user_id, True)
