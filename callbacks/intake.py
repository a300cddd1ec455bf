"""The operator console's callbacks: submit a report, show the queue, dispatch or reject from it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, html, no_update

from callbacks.access import Forbidden, lang, services, user_with
from i18n import t
from incidents.intake import IntakeError
from incidents.lifecycle import TransitionError
from incidents.model import Channel, Role, State as IState
from incidents.store import ConflictError, NotFoundError
from layouts import ids

FIELDS = ids.INTAKE_FIELDS
WAITING = (IState.REPORTED, IState.ACCEPTED)


def _local(dt: datetime | None, tz: Any) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "–"


def _errors(field: str | None = None, message: str = "") -> list[str]:
    return [message if f == field else "" for f in FIELDS]


@callback(
    [Output(ids.error(f), "children") for f in FIELDS]
    + [Output(ids.INTAKE_RESULT, "children"), Output(ids.QUEUE_VERSION, "data")],
    Input(ids.INTAKE_SUBMIT, "n_clicks"),
    State(ids.INTAKE_CATEGORY, "value"), State(ids.INTAKE_SEVERITY, "value"), State(ids.INTAKE_DESCRIPTION, "value"),
    State(ids.INTAKE_ADDRESS, "value"), State(ids.INTAKE_LON, "value"), State(ids.INTAKE_LAT, "value"),
    State(ids.INTAKE_PHONE, "value"), State(ids.QUEUE_VERSION, "data"),
    prevent_initial_call=True,
)
def submit_report(_n: int, category: str | None, severity: str | None, description: str | None,
                  address: str | None, lon: Any, lat: Any, phone: str | None, queue_version: int | None) -> list[Any]:
    """Send the form through the shared intake path; show the field's error, or what happened."""
    lg = lang()
    try:
        user = user_with(Role.OPERATOR)
    except Forbidden:
        return _errors() + [html.Div(t("error.forbidden", lg), className="error"), no_update]
    svc = services()
    raw = {"category": category, "severity": severity, "description": description, "address": address,
           "lon": lon, "lat": lat, "reporter_phone": phone}
    try:
        result = svc.dispatch.intake(raw, user.actor, Channel.HOTLINE, svc.clock())
    except IntakeError as e:
        return _errors(e.field, t(f"error.{e.code}", lg, **e.params)) + [no_update, no_update]
    return _errors() + [render_result(result, svc, lg), (queue_version or 0) + 1]


def render_result(result: Any, svc: Any, lg: str) -> html.Div:
    i = result.incident
    cell = svc.grid.cell(i.grid)
    rows = [(t("result.code", lg), i.code), (t("result.grid", lg), f"{i.grid} {cell.community_name}")]
    if result.waiting is None:
        dept = svc.reference.get().departments.get(i.department or "")
        rows += [(t("result.department", lg), dept.name(lg) if dept else i.department or "–"),
                 (t("result.assignee", lg), i.assignee or "–"),
                 (t("result.deadline", lg), _local(i.deadline, svc.settings.tz))]
        status = t("result.dispatched", lg)
    else:
        status = t(f"result.waiting_{result.waiting}", lg)
        if result.duplicates:
            rows.append((t("result.duplicates", lg), ", ".join(d.code for d in result.duplicates)))
    return html.Div([
        html.Div(status, className="result-status", id="result-status"),
        html.Dl([x for k, v in rows for x in (html.Dt(k), html.Dd(v))]),
    ], className=f"result waiting-{result.waiting or 'no'}", **{"data-code": i.code})


clientside_callback(
    ClientsideFunction("cityops", "queueTouched"),
    Output(ids.QUEUE_PUSH, "data"),
    Input(ids.INTAKE_SOCKET, "data-delta"), State(ids.QUEUE_PUSH, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.QUEUE, "children"), Output(ids.QUEUE_SELECT, "options"),
    Input(ids.QUEUE_VERSION, "data"), Input(ids.QUEUE_PUSH, "data"),
)
def show_queue(_version: int, _push: int) -> tuple[Any, Any]:
    """Incidents waiting for an operator (reported, or accepted after a return), oldest first."""
    lg = lang()
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return html.Div(t("error.forbidden", lg)), []
    svc = services()
    ref = svc.reference.get()
    waiting = sorted(svc.incidents.list(states=WAITING, limit=200), key=lambda i: i.reported_at)
    if not waiting:
        return html.Div(t("queue.empty", lg), className="queue-empty"), []
    head = html.Tr([html.Th(t(f"queue.col.{c}", lg)) for c in ("code", "category", "severity", "state", "reported", "grid")])
    body = [html.Tr([
        html.Td(i.code), html.Td(ref.taxonomy.get(i.category).name(lg)), html.Td(t(f"severity.{i.severity.value}", lg)),
        html.Td(t(f"state.{i.state.value}", lg)), html.Td(_local(i.reported_at, svc.settings.tz)), html.Td(i.grid),
    ], className=f"queue-row sev-{i.severity.value}") for i in waiting]
    options = [{"label": f"{i.code} {ref.taxonomy.get(i.category).name(lg)}", "value": f"{i.code}@{i.version}"}
               for i in waiting]
    return html.Table([html.Thead(head), html.Tbody(body)], className="queue-table"), options


@callback(
    Output(ids.QUEUE_MESSAGE, "children"), Output(ids.QUEUE_VERSION, "data", allow_duplicate=True),
    Input(ids.QUEUE_DISPATCH, "n_clicks"), Input(ids.QUEUE_REJECT, "n_clicks"),
    State(ids.QUEUE_SELECT, "value"), State(ids.QUEUE_DEPARTMENT, "value"), State(ids.QUEUE_VERSION, "data"),
    prevent_initial_call=True,
)
def act_on_queue(_d: int, _r: int, selected: str | None, department: str | None, version: int | None) -> tuple[Any, Any]:
    action = "reject" if ctx.triggered_id == ids.QUEUE_REJECT else "dispatch"
    return queue_action(action, selected, department, version)


def queue_action(action: str, selected: str | None, department: str | None, version: int | None) -> tuple[Any, Any]:
    """Dispatch (filing first if needed) or reject the selected incident at the version the operator saw."""
    lg = lang()
    try:
        user = user_with(Role.OPERATOR)
    except Forbidden:
        return t("error.forbidden", lg), no_update
    if not selected or "@" not in selected:
        return t("queue.none_selected", lg), no_update
    code, seen = selected.rsplit("@", 1)
    svc = services()
    try:
        if action == "reject":
            svc.incidents.act(code, "reject", user.actor, int(seen), svc.clock())
            message = t("queue.rejected", lg, code=code)
        else:
            inc = svc.dispatch.dispatch(code, user.actor, int(seen), svc.clock(), department=department or None)
            message = t("queue.dispatched", lg, code=code, department=inc.department,
                        deadline=_local(inc.deadline, svc.settings.tz))
    except ConflictError:
        message = t("error.conflict", lg, code=code)
    except (TransitionError, ValueError, NotFoundError) as e:
        message = t("queue.failed", lg, code=code, reason=str(e))
    return message, (version or 0) + 1


clientside_callback(
    ClientsideFunction("cityops", "coordsFromClick"),
    Output(ids.INTAKE_LON, "value"), Output(ids.INTAKE_LAT, "value"),
    Input(ids.INTAKE_MAP, "clickData"),
    prevent_initial_call=True,
)
