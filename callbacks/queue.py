"""The console's dispatch lists: incidents waiting for an operator (with the routing the rules and the
workload balance suggest), running incidents (to redispatch, 改派) and open extension requests (延期). A row
opens the case file in the drawer beside the lists, where the decision is taken (callbacks/case_decisions.py).

Its own module (the console's form lives in callbacks/intake.py) so routing work and intake work can grow
apart. The lists refresh on the operator's own actions (the drawer closing) and on pushes that touch waiting
or running incidents. Every callback checks the operator role on the server.
"""
from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, html, no_update

from callbacks.access import Forbidden, lang, services, user_with
from callbacks.case_decisions import dept_name, local, who
from i18n import t
from incidents.model import RUNNING_STATES, Role, State as IState
from layouts import ids
from layouts.queue import case_table

WAITING = (IState.REPORTED, IState.ACCEPTED)
#: Running incidents listed for 改派, the nearest deadline first (the others are one search away).
RUNNING_MAX = 100

clientside_callback(
    ClientsideFunction("cityops", "queueTouched"),
    Output(ids.QUEUE_PUSH, "data"),
    Input(ids.INTAKE_SOCKET, "data-delta"), State(ids.QUEUE_PUSH, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("cityops", "routingTouched"),
    Output(ids.ROUTING_PUSH, "data"),
    Input(ids.INTAKE_SOCKET, "data-delta"), State(ids.ROUTING_PUSH, "data"),
    prevent_initial_call=True,
)


def _empty(key: str, lg: str) -> html.Div:
    return html.Div(t(key, lg), className="queue-empty")


@callback(Output(ids.QUEUE, "children"), Input(ids.QUEUE_VERSION, "data"), Input(ids.QUEUE_PUSH, "data"))
def show_queue(_version: int, _push: int) -> Any:
    """Incidents waiting for an operator (reported, or accepted after a return), oldest first, each with
    the routing the rules and the workload balance suggest."""
    lg = lang()
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return html.Div(t("error.forbidden", lg))
    svc = services()
    ref = svc.reference.get()
    waiting = sorted(svc.incidents.list(states=WAITING, limit=200), key=lambda i: i.reported_at)
    if not waiting:
        return _empty("queue.empty", lg)
    suggested = svc.routing.suggest(waiting, svc.clock())

    def hint(code: str) -> str:
        s = suggested.get(code)
        return f"{dept_name(ref, s.department, lg)}{who(s.assignee, lg)}" if s else "–"

    return case_table(lg, "queue", ("code", "category", "severity", "state", "reported", "suggested"), [
        (i.code, i.severity.value, [i.code, ref.taxonomy.get(i.category).name(lg), t(f"severity.{i.severity.value}", lg),
                                    t(f"state.{i.state.value}", lg), local(i.reported_at, svc.settings.tz),
                                    hint(i.code)]) for i in waiting])


@callback(Output(ids.REASSIGN_LIST, "children"), Input(ids.QUEUE_VERSION, "data"), Input(ids.ROUTING_PUSH, "data"))
def show_running(_version: int, _push: int) -> Any:
    """Running incidents the operator may redispatch, the nearest deadline first."""
    lg = lang()
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return html.Div(t("error.forbidden", lg))
    svc = services()
    ref, tz = svc.reference.get(), svc.settings.tz
    running = sorted(svc.incidents.list(states=RUNNING_STATES, limit=500),
                     key=lambda i: (i.deadline is None, i.deadline or i.reported_at))[:RUNNING_MAX]
    if not running:
        return _empty("routing.running_empty", lg)
    return case_table(lg, "running", ("code", "category", "state", "handler", "deadline"), [
        (i.code, i.severity.value, [i.code, ref.taxonomy.get(i.category).name(lg), t(f"state.{i.state.value}", lg),
                                    f"{dept_name(ref, i.department, lg)}{who(i.assignee, lg)}",
                                    local(i.deadline, tz)]) for i in running])


@callback(Output(ids.EXT_LIST, "children"), Input(ids.QUEUE_VERSION, "data"), Input(ids.ROUTING_PUSH, "data"))
def show_extensions(_version: int, _push: int) -> Any:
    """Open extension requests, oldest first."""
    lg = lang()
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return html.Div(t("error.forbidden", lg))
    svc = services()
    pending = svc.handling.pending_extensions()
    if not pending:
        return _empty("extension.empty", lg)
    names = svc.case_files.display_names(e.actor for _, e in pending)
    return case_table(lg, "extension", ("code", "requested_by", "hours", "reason", "deadline"), [
        (i.code, i.severity.value, [i.code, names.get(e.actor, e.actor), f"{float(e.payload.get('hours', 0)):g}",
                                    str(e.payload.get("reason", "")), local(i.deadline, svc.settings.tz)])
        for i, e in pending])


@callback(Output(ids.QUEUE_VERSION, "data", allow_duplicate=True), Input(ids.CASE_DRAWER, "opened"),
          State(ids.QUEUE_VERSION, "data"), prevent_initial_call=True)
def drawer_closed(opened: bool, version: int | None) -> Any:
    """Back from the case file: the lists show what the operator just did."""
    return no_update if opened else (version or 0) + 1


__all__ = ["drawer_closed", "show_extensions", "show_queue", "show_running"]
