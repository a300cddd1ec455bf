"""The dispatch queue on the operator console: incidents waiting for an operator, dispatch or reject them.

Its own module (the console's form lives in callbacks/intake.py) so routing work and intake work can
grow apart. Refreshed on the operator's own actions and on pushes that touch waiting incidents.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, html, no_update

from callbacks.access import Forbidden, lang, services, user_with
from i18n import t
from incidents.lifecycle import TransitionError
from incidents.model import Role, State as IState
from incidents.store import ConflictError, NotFoundError
from layouts import ids

WAITING = (IState.REPORTED, IState.ACCEPTED)


def _local(dt: datetime | None, tz: Any) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "–"


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
