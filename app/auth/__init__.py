"""Accounts: sign-up, log in, log out, password reset and change."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import signup, views  # noqa: E402,F401
