"""The data-quality page (/quality) for leaders and admins: per channel and period, refusals, missing
fields, duplicates, late filings; the weekly feedback report as CSV. Role checked on the server."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from dash import Input, Output, State, callback, dcc, no_update

from callbacks.access import Forbidden, lang, services, user_with
from callbacks.pages import PageSpec
from incidents.model import Role
from incidents.quality import quality, quality_csv
from layouts import ids
from layouts import quality as view

VIEWERS = (Role.LEADER, Role.ADMIN)
DEFAULT_WEEKS = 4


def rows_for(svc: Any, freq: str, weeks: int) -> list[dict[str, Any]]:
    """The last ``weeks`` weeks up to the end of today (city time)."""
    tz = svc.settings.tz
    today = svc.clock().astimezone(tz).date()
    until = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)
    since = until - timedelta(weeks=max(1, min(int(weeks or DEFAULT_WEEKS), 26)))
    with svc.db.read() as s:
        return quality(since, until, freq if freq in ("day", "week") else "week", tz, session=s, grid=svc.grid)


def build(svc: Any, lg: str) -> Any:
    return view.layout(lg, rows_for(svc, "week", DEFAULT_WEEKS), DEFAULT_WEEKS)


PAGE = PageSpec("quality", "/quality", "数据质量 · CityOps", build)


@callback(Output(ids.QUALITY_TABLE, "children"), Input(ids.QUALITY_FREQ, "value"), Input(ids.QUALITY_WEEKS, "value"),
          prevent_initial_call=True)
def render(freq: str | None, weeks: int | None) -> Any:
    try:
        user_with(*VIEWERS)
    except Forbidden:
        return no_update
    return view.table(rows_for(services(), freq or "week", weeks or DEFAULT_WEEKS), lang())


@callback(Output(ids.QUALITY_DOWNLOAD, "data"), Input(ids.QUALITY_EXPORT, "n_clicks"),
          State(ids.QUALITY_FREQ, "value"), State(ids.QUALITY_WEEKS, "value"), prevent_initial_call=True)
def export(_n: int | None, freq: str | None, weeks: int | None) -> Any:
    try:
        user_with(*VIEWERS)
    except Forbidden:
        return no_update
    svc = services()
    text = quality_csv(rows_for(svc, freq or "week", weeks or DEFAULT_WEEKS))
    return dcc.send_string(text, f"quality-{svc.clock().astimezone(svc.settings.tz).date().isoformat()}.csv")


__all__ = ["PAGE", "build", "export", "render", "rows_for"]
