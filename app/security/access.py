"""Deny by default: every endpoint needs a login unless marked public; role blueprints check roles.

HTML requests without a session are sent to the login page; JSON requests get 401/403 as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from app.models import Role, User

PUBLIC_ATTR = "_voisinage_public"


def acting_user() -> User:
    """The logged-in person's row itself (services keep it; the proxy is for templates)."""
    return current_user._get_current_object()


def public(view: Callable) -> Callable:
    """Mark a view as reachable without a login."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def is_public_endpoint(endpoint: str | None) -> bool:
    """Static files and views marked :func:`public` need no login."""
    if endpoint is None:
        return True  # 404s and 405s: let the error handlers answer
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(view and getattr(view, PUBLIC_ATTR, False))


def wants_json() -> bool:
    """Whether the client asked for JSON rather than a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def deny_by_default() -> object | None:
    """App-wide ``before_request``: anonymous users reach public endpoints only."""
    if is_public_endpoint(request.endpoint) or current_user.is_authenticated:
        return None
    if wants_json():
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def restrict_blueprint(blueprint: Blueprint, *roles: Role) -> None:
    """Allow only ``roles`` on every endpoint of ``blueprint`` (checked once, in before_request)."""

    @blueprint.before_request
    def _check_role() -> None:
        if is_public_endpoint(request.endpoint):
            return
        if not current_user.is_authenticated:
            abort(401)
        if current_user.role not in roles:
            abort(403)


def role_required(*roles: Role) -> Callable:
    """Decorator for a single view shared by some roles only."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
