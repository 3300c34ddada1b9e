"""Pages anyone may read: home, legal texts, how matching works, health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import (
    open_data,  # noqa: E402,F401
    views,  # noqa: E402,F401
)
