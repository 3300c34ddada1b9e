"""Template globals and filters: the organisation, navigation per role, labels, dates, phones."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import vocabulary
from app.forms.fields import format_phone
from app.models import Role

#: The console's menu, shared by agents and administrators.
AGENT_MENU = [
    ("agent.home", _l("Tableau de bord")), ("agent.residents", _l("Habitants")),
    ("agent.volunteers", _l("Bénévoles")), ("agent.referrals", _l("Signalements")),
    ("agent.proposals", _l("Propositions")), ("agent.attention", _l("Suivi")),
    ("agent.concerns", _l("Alertes")), ("agent.campaigns", _l("Campagnes")),
    ("agent.stats", _l("Statistiques")), ("agent.journal", _l("Journal")),
]

#: Navigation per role: (endpoint, label).
NAVIGATION = {
    None: [("public.home", _l("Accueil")), ("public.refer", _l("Signaler une personne isolée")),
           ("public.how_matching_works", _l("Comment ça marche"))],
    Role.RESIDENT: [("resident.home", _l("Ma demande")), ("privacy.my_data", _l("Mes données"))],
    Role.VOLUNTEER: [("volunteer.home", _l("Mon espace bénévole")),
                     ("privacy.my_data", _l("Mes données"))],
    Role.AGENT: AGENT_MENU,
    Role.ADMIN: [("admin.home", _l("Administration")), *AGENT_MENU],
}


def install(app: Flask) -> None:
    """Register the context processor and the filters."""
    app.context_processor(_globals)
    # A global, not a context variable, so imported macros (the form macros) see it too.
    app.jinja_env.globals["labels"] = vocabulary
    app.add_template_filter(format_phone, "phone")
    app.add_template_filter(_tel_href, "tel")
    app.add_template_filter(_date, "date")
    app.add_template_filter(_datetime, "datetime")
    app.add_template_filter(lambda n: format_decimal(n, "#,##0.#"), "number")


def _globals() -> dict:
    config = current_app.config
    values = {
        "organisation": {
            "name": config["ORGANISATION_NAME"],
            "phone": config["ORGANISATION_PHONE"],
            "email": config["ORGANISATION_EMAIL"],
            "address": config["ORGANISATION_ADDRESS"],
        },
        "service_name": config["SERVICE_NAME"],
        "current_locale": str(get_locale() or "fr"),
    }
    if has_request_context():  # e-mails are also rendered by workers, outside any request
        role = current_user.role if current_user.is_authenticated else None
        values["navigation"] = [(url_for(e), label, request.endpoint == e)
                                for e, label in NAVIGATION[role]]
    return values


def _date(value) -> str:
    """A date as people say it ("3 décembre 2026"); the pattern is translated, as for _datetime."""
    # Babel's "long" English is American ("December 3, 2026"); the catalogue keeps one order.
    return format_date(value, gettext("d MMMM y")) if value else ""


def _datetime(value) -> str:
    """A date and time in Paris, as people say it ("jeudi 3 décembre 2026 à 15:00")."""
    # The pattern itself is translated: English reads "Thursday 3 December 2026 at 15:00".
    return format_datetime(value, gettext("EEEE d MMMM y 'à' HH:mm")) if value else ""


def _tel_href(number: str | None) -> str:
    """A ``tel:`` link target from a number typed with spaces or dots."""
    digits = "".join(c for c in (number or "") if c.isdigit() or c == "+")
    if digits.startswith("0") and len(digits) == 10:
        digits = "+33" + digits[1:]
    return f"tel:{digits}"
