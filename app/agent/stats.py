"""Agent console: the territory's statistics over twelve months, as charts, tables and CSV."""

from __future__ import annotations

from flask import Response, render_template

from app.agent import bp, scope
from app.extensions import db
from app.models import Territory, utcnow
from app.security.access import acting_user
from app.services import statistics, statistics_cache


def _territory_name(territory_id) -> str | None:
    territory = db.session.get(Territory, territory_id) if territory_id else None
    return territory.name if territory else None


@bp.route("/statistiques")
def stats():
    """Sign-ups, matches, time to match and visits per month; the neighbourhoods now."""
    territory_id = scope.territory_id()
    figures = statistics_cache.territory_statistics(territory_id, utcnow())
    return render_template(
        "agent/stats/page.html", stats=figures, chart_data=statistics.chart_data(figures),
        territory_name=_territory_name(territory_id), month_label=statistics.month_label,
    )


@bp.route("/statistiques.csv")
def stats_csv():
    """The same figures as a CSV file for a spreadsheet; the export is written to the audit log."""
    territory_id = scope.territory_id()
    figures = statistics_cache.territory_statistics(territory_id, utcnow())
    text = statistics.statistics_csv(figures, territory_id,
                                     acting_user())
    db.session.commit()
    filename = f"statistiques-{figures.period.months[-1]:%Y-%m}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })
