"""Acknowledging major-incident alerts from the operator console: an ``alert_acknowledged`` event by an
operator, which the wall receives as a delta and uses to lower its alert."""
from __future__ import annotations

from typing import Any

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update

from callbacks.access import Forbidden, lang, services, user_with
from i18n import t
from incidents.model import Role
from incidents.store import ConflictError
from incidents.wallstats import WallStats
from layouts import ids
from layouts.alerts import alert_rows

clientside_callback(
    ClientsideFunction("cityops", "alertsTouched"),
    Output(ids.ALERTS_PUSH, "data"),
    Input(ids.INTAKE_SOCKET, "data-delta"), State(ids.ALERTS_PUSH, "data"),
    prevent_initial_call=True,
)


@callback(Output(ids.ALERTS, "children"), Input(ids.ALERTS_PUSH, "data"), Input(ids.ALERTS_VERSION, "data"))
def show_alerts(_push: int, _version: int) -> Any:
    """The major incidents no operator has acknowledged yet (same rule as the wall's alert)."""
    lg = lang()
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return t("error.forbidden", lg)
    svc = services()
    rule = svc.broadcaster.rule
    alerts = WallStats(svc.db, svc.settings.tz).alerts(sorted(rule.severities), sorted(rule.categories), svc.clock())
    names = {c.code: c.name(lg) for c in svc.reference.get().taxonomy.all()}
    return alert_rows(alerts, lg, names)


@callback(
    Output(ids.ALERTS_MESSAGE, "children"), Output(ids.ALERTS_VERSION, "data"),
    Input({"type": "alert-ack", "code": ALL}, "n_clicks"), State(ids.ALERTS_VERSION, "data"),
    prevent_initial_call=True,
)
def acknowledge(clicks: list[int], version: int) -> tuple[Any, Any]:
    """Write the acknowledgement as an event (annotations do not bump the version; one retry on a race)."""
    lg = lang()
    try:
        user = user_with(Role.OPERATOR)
    except Forbidden:
        return t("error.forbidden", lg), no_update
    if not ctx.triggered_id or not any(clicks):
        return no_update, no_update
    code = ctx.triggered_id["code"]
    svc = services()
    for _ in range(2):
        incident = svc.incidents.get(code)
        try:
            svc.incidents.act(code, "alert_acknowledged", user.actor, incident.version, svc.clock())
            break
        except ConflictError:
            continue
    return t("alerts.acked", lg, code=code), (version or 0) + 1
