"""RGPD: "Mes données" (export as JSON, erasure), an agent's erasure of a desk-registered
resident, and the retention job. Views in :mod:`app.privacy.views`, services beside them."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from app.privacy import views  # noqa: E402,F401


@bp.app_context_processor
def _privacy_globals() -> dict:
    """The retention period, read (from the settings) only by pages that print it."""
    from app.services.settings import retention_months

    return {"retention_months": retention_months}
