"""Open data: the service's aggregate figures per commune and month, small counts suppressed."""

from __future__ import annotations

from flask import Response, render_template

from app.models import utcnow
from app.public import bp
from app.security.access import public
from app.services import statistics


@bp.route("/donnees-ouvertes")
@public
def open_data():
    """What the public file holds, how small counts are hidden, and the link to it."""
    period = statistics.last_months(utcnow(), include_current=False)
    return render_template(
        "public/open_data.html", period=period, month_label=statistics.month_label,
        columns=statistics.OPEN_DATA_COLUMNS, threshold=statistics.SMALL_COUNT,
        suppressed=statistics.SUPPRESSED,
    )


@bp.route("/donnees-ouvertes/statistiques.csv")
@public
def open_data_csv():
    """The public file: every commune, the twelve complete months, no count below 5 shown."""
    text = statistics.open_data_csv(utcnow())
    months = statistics.last_months(utcnow(), include_current=False).months
    filename = f"statistiques-{months[0]:%Y-%m}-{months[-1]:%Y-%m}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
    })
