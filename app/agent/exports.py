"""Agent console: CSV exports of the territory's residents and volunteers, for a spreadsheet.

French Excel opens them as they are: UTF-8 with a byte order mark, ";" between cells, a header
row in French. A cell that starts like a formula is defused (CSV injection). No secret ever
leaves: no password hash, token or calendar secret is among the columns. Each export takes the
filters of the list it comes from, costs one query, and is written to the audit log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response
from flask_babel import format_date
from flask_babel import gettext as _

from app import vocabulary
from app.agent import bp, scope
from app.agent.forms import RESIDENT_STATES
from app.agent.resident_list import resident_rows
from app.agent.residents import filter_form
from app.agent.vetting import filters
from app.agent.vetting_list import STEP_COUNT, volunteer_rows
from app.extensions import db
from app.forms.fields import format_phone
from app.models import utcnow
from app.services import audit

#: A cell starting with one of these is read as a formula by spreadsheets (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell's text, with a leading quote when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(name: str, header: list[str], rows: Iterable[list]) -> Response:
    """A CSV file for French Excel: BOM, semicolons, CRLF, every cell defused."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    filename = f"{name}-{utcnow().date().isoformat()}.csv"
    return Response(buffer.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _day(value) -> str:
    return format_date(value, "dd/MM/yyyy") if value else ""


@bp.route("/export/habitants.csv")
def export_residents():
    """The residents of the list's filters (every page), one line each."""
    tid = scope.territory_id()
    _form, criteria, _valid = filter_form()
    rows = resident_rows(tid, criteria)
    audit.record("export.residents", "territory", tid or "all", territory_id=tid, rows=len(rows),
                 state=criteria.state, min_wait=criteria.min_wait, search=bool(criteria.words))
    db.session.commit()
    header = [_("Nom"), _("Prénom"), _("Téléphone"), _("Adresse e-mail"), _("Commune"),
              _("Quartier"), _("État de la demande"), _("En attente depuis le"),
              _("Jours d'attente"), _("Genre de visite"), _("Inscrit·e le"),
              _("Inscrit·e par un agent")]
    return csv_response(_("habitants"), header, (
        [r.last_name, r.first_name, format_phone(r.phone), r.email, r.commune, r.neighbourhood,
         RESIDENT_STATES[r.state.value],
         _day(r.waiting_since) if r.waiting_days is not None else "",
         r.waiting_days if r.waiting_days is not None else "",
         vocabulary.VISIT_KIND_LABELS[r.visit_kind], _day(r.created_at),
         _("oui") if r.by_agent else _("non")]
        for r in rows))


@bp.route("/export/benevoles.csv")
def export_volunteers():
    """The volunteers of the list's queue and search (every page), one line each."""
    tid = scope.territory_id()
    _form, queue, words, _page, _valid = filters()
    rows = volunteer_rows(tid, queue, words)
    audit.record("export.volunteers", "territory", tid or "all", territory_id=tid, rows=len(rows),
                 queue=queue, search=bool(words))
    db.session.commit()
    header = [_("Nom"), _("Prénom"), _("Téléphone"), _("Adresse e-mail"), _("Commune"),
              _("Quartier"), _("État de la vérification"), _("Depuis le"),
              _("Étapes valables (sur %(n)s)", n=STEP_COUNT), _("Prochaine expiration"),
              _("Capacité"), _("Personnes suivies"), _("Distance maximale (km)"),
              _("Candidature le")]
    return csv_response(_("benevoles"), header, (
        [r.last_name, r.first_name, format_phone(r.phone), r.email, r.commune, r.neighbourhood,
         vocabulary.VOLUNTEER_STATUS_LABELS[r.status], _day(r.status_changed_at),
         r.steps_valid, _day(r.next_expiry), r.capacity, r.live_pairs,
         f"{r.max_km:g}".replace(".", ","), _day(r.created_at)]
        for r in rows))
