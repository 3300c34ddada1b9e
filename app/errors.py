"""Error pages in French (JSON for JSON clients); a CSRF failure sends the person back to the form."""

from __future__ import annotations

import logging

from flask import Flask, flash, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.security.access import wants_json
from app.security.redirects import safe_referrer

logger = logging.getLogger("voisinage.errors")

#: Status codes with a page of their own; others use the generic page.
PAGES = {403: "errors/403.html", 404: "errors/404.html", 500: "errors/500.html"}


def install(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _csrf_error(error: CSRFError):
    # A tab left open a long time or a lost cookie: explain and let the person try again.
    flash(_("Votre session a expiré ou le formulaire a été envoyé deux fois. "
            "Vérifiez vos réponses et envoyez le formulaire à nouveau."), "error")
    return redirect(safe_referrer())


def _http_error(error: HTTPException):
    code = error.code or 500
    if wants_json():
        return jsonify(error=error.name, status=code), code
    template = PAGES.get(code, "errors/generic.html")
    response = render_template(template, code=code, error=error, request_id=g.get("request_id"))
    headers = error.get_headers() if code in (405, 429) else []
    extra = {k: v for k, v in headers if k.lower() != "content-type"}
    return response, code, extra


def _unexpected_error(error: Exception):
    db.session.rollback()
    logger.exception("unhandled error", extra={"fields": {"request_id": g.get("request_id"),
                                                          "route": str(request.url_rule)}})
    if wants_json():
        return jsonify(error="Internal Server Error", status=500,
                       request_id=g.get("request_id")), 500
    return render_template("errors/500.html", code=500, request_id=g.get("request_id")), 500
