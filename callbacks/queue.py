"""The dispatch queue on the operator console: waiting incidents with their suggested routing, dispatch
or reject them; redispatch 改派 running incidents; approve or refuse extension requests 延期.

Its own module (the console's form lives in callbacks/intake.py) so routing work and intake work can
grow apart. Refreshed on the operator's own actions and on pushes that touch waiting or running incidents.
Every callback checks the operator role on the server and calls one service.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, html, no_update

from callbacks.access import Forbidden, act_on_selection, lang, services, user_with
from dispatch.handling import require_text
from i18n import t
from incidents.model import RUNNING_STATES, Role, State as IState
from incidents.store import NotFoundError
from layouts import ids
from layouts.case_file import case_link

WAITING = (IState.REPORTED, IState.ACCEPTED)


def _local(dt: datetime | None, tz: Any) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "–"


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


def _who(assignee: str | None, lg: str) -> str:
    return f" · {assignee}" if assignee else t("routing.to_department", lg)


def _dept_name(ref: Any, code: str | None, lg: str) -> str:
    dept = ref.departments.get(code or "")
    return dept.name(lg) if dept else (code or "–")


@callback(
    Output(ids.QUEUE, "children"), Output(ids.QUEUE_SELECT, "options"),
    Input(ids.QUEUE_VERSION, "data"), Input(ids.QUEUE_PUSH, "data"),
)
def show_queue(_version: int, _push: int) -> tuple[Any, Any]:
    """Incidents waiting for an operator (reported, or accepted after a return), oldest first, each with
    the routing the rules and the workload balance suggest."""
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
    suggested = svc.routing.suggest(waiting, svc.clock())

    def hint(code: str) -> str:
        s = suggested.get(code)
        return f"{_dept_name(ref, s.department, lg)}{_who(s.assignee, lg)}" if s else "–"

    cols = ("code", "category", "severity", "state", "reported", "grid")
    head = html.Tr([html.Th(t(f"queue.col.{c}", lg)) for c in cols] + [html.Th(t("routing.suggested", lg))])
    body = [html.Tr([
        html.Td(case_link(i.code)), html.Td(ref.taxonomy.get(i.category).name(lg)), html.Td(t(f"severity.{i.severity.value}", lg)),
        html.Td(t(f"state.{i.state.value}", lg)), html.Td(_local(i.reported_at, svc.settings.tz)), html.Td(i.grid),
        html.Td(hint(i.code), className="queue-suggested"),
    ], className=f"queue-row sev-{i.severity.value}") for i in waiting]
    options = [{"label": f"{i.code} {ref.taxonomy.get(i.category).name(lg)}", "value": f"{i.code}@{i.version}"}
               for i in waiting]
    return html.Table([html.Thead(head), html.Tbody(body)], className="queue-table"), options


def assignee_options(department: str | None, lg: str, keep: str | None = None) -> list[dict[str, str]]:
    """The department's handlers, least loaded first, labelled with their open workload."""
    if not department:
        return []
    opts = [{"label": t("routing.load", lg, name=name, n=n), "value": name}
            for name, n in services().routing.handlers(department)]
    if keep and keep not in {o["value"] for o in opts}:  # e.g. the cell's grid worker the rules name
        opts.insert(0, {"label": keep, "value": keep})
    return opts


@callback(
    Output(ids.QUEUE_DEPARTMENT, "value"), Output(ids.QUEUE_ASSIGNEE, "options"), Output(ids.QUEUE_ASSIGNEE, "value"),
    Output(ids.QUEUE_SUGGESTION, "children"),
    Input(ids.QUEUE_SELECT, "value"), Input(ids.QUEUE_DEPARTMENT, "value"),
    prevent_initial_call=True,
)
def prefill_dispatch(selected: str | None, department: str | None) -> tuple[Any, Any, Any, Any]:
    """Choosing an incident fills in the suggestion; choosing another department its least-loaded handler."""
    lg = lang()
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return no_update, [], None, t("error.forbidden", lg)
    svc = services()
    if ctx.triggered_id == ids.QUEUE_DEPARTMENT:
        opts = assignee_options(department, lg)
        return no_update, opts, (opts[0]["value"] if opts else None), no_update
    if not selected or "@" not in selected:
        return None, [], None, ""
    code = selected.rsplit("@", 1)[0]
    try:
        s = svc.routing.suggest([svc.incidents.get(code)], svc.clock())[code]
    except NotFoundError:
        return None, [], None, ""
    if s is None:
        return None, [], None, t("routing.no_suggestion", lg, code=code)
    text = t("routing.suggestion", lg, code=code, department=_dept_name(svc.reference.get(), s.department, lg),
             assignee=_who(s.assignee, lg), deadline=_local(s.deadline, svc.settings.tz))
    return s.department, assignee_options(s.department, lg, keep=s.assignee), s.assignee, text


@callback(
    Output(ids.QUEUE_MESSAGE, "children"), Output(ids.QUEUE_VERSION, "data", allow_duplicate=True),
    Input(ids.QUEUE_DISPATCH, "n_clicks"), Input(ids.QUEUE_REJECT_CONFIRM, "submit_n_clicks"),
    State(ids.QUEUE_SELECT, "value"), State(ids.QUEUE_DEPARTMENT, "value"), State(ids.QUEUE_VERSION, "data"),
    State(ids.QUEUE_ASSIGNEE, "value"), State(ids.QUEUE_REJECT_REASON, "value"),
    prevent_initial_call=True,
)
def act_on_queue(_d: int, _r: int, selected: str | None, department: str | None, version: int | None,
                 assignee: str | None, reason: str | None) -> tuple[Any, Any]:
    """Dispatch, or reject once the operator confirmed the dialog."""
    action = "reject" if ctx.triggered_id == ids.QUEUE_REJECT_CONFIRM else "dispatch"
    return queue_action(action, selected, department, version, assignee, reason=reason)


def queue_action(action: str, selected: str | None, department: str | None, version: int | None,
                 assignee: str | None = None, *, reason: str | None = None) -> tuple[Any, Any]:
    """Dispatch (filing first if needed) or reject (with a reason) the selected incident at the version the
    operator saw.

    No department = the suggestion (rules + balance); a department without an assignee = the whole department.
    """
    def run(user: Any, svc: Any, code: str, seen: int) -> str:
        lg = lang()
        if action == "reject":
            svc.incidents.act(code, "reject", user.actor, seen, svc.clock(),
                              payload={"reason": require_text(reason, "reason_required")})
            return t("queue.rejected", lg, code=code)
        inc = svc.routing.dispatch(code, user.actor, seen, svc.clock(), department=department or None,
                                   assignee=assignee or None)
        return t("routing.dispatched", lg, code=code, department=inc.department, assignee=_who(inc.assignee, lg),
                 deadline=_local(inc.deadline, svc.settings.tz))

    return act_on_selection(selected, version, (Role.OPERATOR,), run)


# -- redispatch 改派 ---------------------------------------------------------------------------


@callback(
    Output(ids.REASSIGN_SELECT, "options"),
    Input(ids.QUEUE_VERSION, "data"), Input(ids.ROUTING_PUSH, "data"),
)
def show_running(_version: int, _push: int) -> list[dict[str, str]]:
    """Running incidents the operator may redispatch, newest first (value = code@version seen)."""
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return []
    lg = lang()
    svc = services()
    ref = svc.reference.get()
    running = svc.incidents.list(states=RUNNING_STATES, limit=500)
    depts = ref.departments
    return [{"label": f"{i.code} {ref.taxonomy.get(i.category).name(lg)} → "
                      f"{depts[i.department].name(lg) if i.department in depts else i.department}{_who(i.assignee, lg)}",
             "value": f"{i.code}@{i.version}"} for i in running]


@callback(
    Output(ids.REASSIGN_DEPARTMENT, "value"), Output(ids.REASSIGN_ASSIGNEE, "options"),
    Output(ids.REASSIGN_ASSIGNEE, "value"),
    Input(ids.REASSIGN_SELECT, "value"), Input(ids.REASSIGN_DEPARTMENT, "value"),
    prevent_initial_call=True,
)
def prefill_reassign(selected: str | None, department: str | None) -> tuple[Any, Any, Any]:
    """Choosing an incident shows its department; the handler defaults to the least-loaded other one."""
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return no_update, [], None
    lg = lang()
    current = None
    if ctx.triggered_id == ids.REASSIGN_SELECT:
        if not selected or "@" not in selected:
            return None, [], None
        try:
            inc = services().incidents.get(selected.rsplit("@", 1)[0])
        except NotFoundError:
            return None, [], None
        department, current = inc.department, inc.assignee
    opts = assignee_options(department, lg)
    other = next((o["value"] for o in opts if o["value"] != current), None)
    return (department if ctx.triggered_id == ids.REASSIGN_SELECT else no_update), opts, other


@callback(
    Output(ids.REASSIGN_MESSAGE, "children"), Output(ids.QUEUE_VERSION, "data", allow_duplicate=True),
    Input(ids.REASSIGN_SUBMIT, "n_clicks"),
    State(ids.REASSIGN_SELECT, "value"), State(ids.REASSIGN_DEPARTMENT, "value"),
    State(ids.REASSIGN_ASSIGNEE, "value"), State(ids.REASSIGN_REASON, "value"), State(ids.QUEUE_VERSION, "data"),
    prevent_initial_call=True,
)
def reassign(_n: int, selected: str | None, department: str | None, assignee: str | None, reason: str | None,
             version: int | None) -> tuple[Any, Any]:
    """改派 at the version the operator saw; the running deadline is kept (dispatch.routing)."""
    def run(user: Any, svc: Any, code: str, seen: int) -> str:
        lg = lang()
        inc = svc.routing.reassign(code, user.actor, seen, svc.clock(), department=department, assignee=assignee,
                                   reason=reason)
        return t("routing.reassigned", lg, code=code, department=inc.department, assignee=_who(inc.assignee, lg),
                 deadline=_local(inc.deadline, svc.settings.tz))

    return act_on_selection(selected, version, (Role.OPERATOR,), run)


# -- extension requests 延期 -------------------------------------------------------------------


@callback(
    Output(ids.EXT_LIST, "children"), Output(ids.EXT_SELECT, "options"),
    Input(ids.QUEUE_VERSION, "data"), Input(ids.ROUTING_PUSH, "data"),
)
def show_extensions(_version: int, _push: int) -> tuple[Any, Any]:
    """Open extension requests, oldest first (value = code@version seen)."""
    lg = lang()
    try:
        user_with(Role.OPERATOR)
    except Forbidden:
        return html.Div(t("error.forbidden", lg)), []
    svc = services()
    pending = svc.handling.pending_extensions()
    if not pending:
        return html.Div(t("extension.empty", lg), className="queue-empty"), []
    items = [html.Li(t("extension.item", lg, code=i.code, who=e.actor, hours=f"{float(e.payload.get('hours', 0)):g}",
                       reason=e.payload.get("reason", ""), deadline=_local(i.deadline, svc.settings.tz)))
             for i, e in pending]
    options = [{"label": f"{i.code} (+{float(e.payload.get('hours', 0)):g} h)", "value": f"{i.code}@{i.version}"}
               for i, e in pending]
    return html.Ul(items, className="ext-items"), options


@callback(
    Output(ids.EXT_MESSAGE, "children"), Output(ids.QUEUE_VERSION, "data", allow_duplicate=True),
    Input(ids.EXT_APPROVE, "n_clicks"), Input(ids.EXT_REFUSE, "n_clicks"),
    State(ids.EXT_SELECT, "value"), State(ids.EXT_REASON, "value"), State(ids.QUEUE_VERSION, "data"),
    prevent_initial_call=True,
)
def decide_extension(_a: int, _r: int, selected: str | None, reason: str | None, version: int | None) -> tuple[Any, Any]:
    return extension_action(ctx.triggered_id == ids.EXT_APPROVE, selected, reason, version)


def extension_action(approve: bool, selected: str | None, reason: str | None, version: int | None) -> tuple[Any, Any]:
    """Approve (the deadline moves by the requested working hours) or refuse (with a reason)."""
    def run(user: Any, svc: Any, code: str, seen: int) -> str:
        lg = lang()
        inc = svc.handling.decide_extension(code, user.actor, seen, svc.clock(), approve=approve, reason=reason)
        return (t("extension.approved", lg, code=code, deadline=_local(inc.deadline, svc.settings.tz)) if approve
                else t("extension.refused", lg, code=code))

    return act_on_selection(selected, version, (Role.OPERATOR,), run)


@callback(Output(ids.QUEUE_REJECT_CONFIRM, "message"), Input(ids.QUEUE_SELECT, "value"))
def reject_confirmation(selected: str | None) -> str:
    """The confirmation names the report it rejects."""
    code = selected.rsplit("@", 1)[0] if selected and "@" in selected else ""
    return t("queue.reject_confirm", lang(), code=code)
