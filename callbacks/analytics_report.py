"""The one-page report of /analytics (PDF or PNG): the button's link, the server route and the CLI's builder.

``GET /analytics/report.pdf|png?start=&end=&freq=&district=&category=&department=&as_of=&indicator=``
answers leaders and admins only (401 when not logged in, 403 for any other role), with the filters
parsed exactly as the page parses them (``callbacks.analytics.parse``: a district leader always gets
their district whatever the query says). The drawing is ``incidents.report_page`` (matplotlib, offline).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from dash import Input, Output, callback

from callbacks.analytics import VIEWERS, Query, analytics_of, district_names, parse
from i18n import t
from incidents import report_page
from layouts import ids

ROUTE = "/analytics/report.<fmt>"


def build(svc: Any, q: Query, lang: str, generated_by: str, fmt: str) -> tuple[bytes, str]:
    """The report for query ``q`` as ``fmt`` bytes and its file name."""
    ref = svc.reference.get()
    tz = svc.settings.tz
    an = analytics_of(svc)
    dash = an.dashboard(q.start, q.end, q.freq, q.as_of, q.filters, last_year=False)
    names = {"category": {c.code: c.name(lang) for c in ref.taxonomy.all()},
             "department": {d.code: d.name(lang) for d in ref.departments.values()},
             "district": district_names(svc)["zh"]}
    last_day = (q.end - timedelta(seconds=1)).astimezone(tz)
    f = q.filters
    filters = [t("report_page.all_filters", lang)] if not any((f.district, f.category, f.department)) else [
        f"{t('analytics.district', lang)} {names['district'].get(str(f.district), f.district)}" if f.district else "",
        f"{t('analytics.category', lang)} {names['category'].get(f.category or '', f.category)}" if f.category else "",
        f"{t('analytics.department', lang)} {names['department'].get(f.department or '', f.department)}"
        if f.department else ""]
    subtitle = [t("report_page.city", lang),
                t("report_page.period", lang, start=f"{q.start.astimezone(tz):%Y-%m-%d}", end=f"{last_day:%Y-%m-%d}"),
                " ".join(x for x in filters if x),
                t("report_page.as_of", lang, at=f"{q.as_of.astimezone(tz):%Y-%m-%d %H:%M}"),
                t("report_page.generated_by", lang, who=generated_by,
                  at=f"{svc.clock().astimezone(tz):%Y-%m-%d %H:%M}")]
    headings = {k: t(f"report_page.{k}", lang) for k in ("table", "indicator", "value", "trend", "mix", "ranking",
                                                         "districts")}
    data = report_page.report_data(dash, an.defs, indicator=q.indicator, lang=lang, title=t("report_page.title", lang),
                                   subtitle=subtitle, names=names, headings=headings)
    return report_page.render(data, fmt), report_page.filename(q.start.astimezone(tz), last_day, fmt)


def register_report_route(server: Any) -> None:
    """The download behind login, with the leader/admin check on the server."""
    from flask import Response, abort, request
    from flask_login import current_user

    from auth.audit import EXPORT, record_access
    from auth.login import current_lang

    @server.route(ROUTE)
    def analytics_report(fmt: str) -> Any:
        if fmt not in report_page.FORMATS:
            abort(404)
        if not current_user.is_authenticated:
            abort(401)
        if current_user.role not in VIEWERS:
            abort(403)
        svc = server.extensions["cityops"]
        a = request.args
        try:
            q = parse(current_user, svc, a.get("start"), a.get("end"), a.get("freq"), a.get("district"),
                      a.get("category"), a.get("department"), a.get("as_of"), a.get("indicator"))
        except ValueError:
            abort(400)
        body, name = build(svc, q, current_lang(), current_user.display_name or current_user.username, fmt)
        record_access(svc.db, current_user.actor, svc.clock(), EXPORT, name, {"query": a.to_dict()})
        return Response(body, mimetype=report_page.FORMATS[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


def report_href(fmt: str, start: str | None, end: str | None, freq: str | None, district: Any, category: str | None,
                department: str | None, as_of: str | None, indicator: str | None) -> str:
    """The route's URL for the page's current filters (the server re-checks all of them)."""
    params = {"start": start, "end": end, "freq": freq, "district": district, "category": category,
              "department": department, "as_of": as_of, "indicator": indicator}
    return f"/analytics/report.{fmt}?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


@callback(Output(ids.AN_REPORT_PDF, "href"), Output(ids.AN_REPORT_PNG, "href"),
          Input(ids.AN_PERIOD, "value"), Input(ids.AN_PERIOD_END, "value"), Input(ids.AN_FREQ, "value"),
          Input(ids.AN_DISTRICT, "value"), Input(ids.AN_CATEGORY, "value"), Input(ids.AN_DEPARTMENT, "value"),
          Input(ids.AN_AS_OF, "value"), Input(ids.AN_INDICATOR, "value"))
def report_links(*filters: Any) -> tuple[str, str]:
    return report_href("pdf", *filters), report_href("png", *filters)


def cli_report(svc: Any, start: str, end: str, out: str | None, lang: str = "zh") -> str:
    """``python app.py report --from D --to D [--out FILE.pdf|png]``: the city-wide report, as the admin sees it."""
    from incidents.model import Role

    class _Cli:
        role, district, username, display_name = Role.ADMIN, None, "cli", "cli"

    fmt = (out or "").rsplit(".", 1)[-1].lower() if out and "." in out else "pdf"
    if fmt not in report_page.FORMATS:
        raise ValueError(f"--out must end in .pdf or .png, got {out!r}")
    q = parse(_Cli(), svc, start, end, "day" if (datetime.fromisoformat(end) - datetime.fromisoformat(start)).days <= 62
              else "week", None, None, None, None, None)
    body, name = build(svc, q, lang, "cli", fmt)
    path = out or name
    with open(path, "wb") as fh:
        fh.write(body)
    return path


__all__ = ["ROUTE", "build", "cli_report", "register_report_route", "report_href", "report_links"]
