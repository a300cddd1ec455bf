"""The center's decisions taken in the case file: dispatch (filing first when needed), 不予立案 with a reason,
改派 with a reason, and the answer to a handler's extension request.

``decisions_view`` says which forms the viewer gets now — only actions the lifecycle table and the access
policy offer them (``CaseFile.actions``) — with the options named; each form's callback checks the role on
the server again and acts at the version the viewer saw, so a case changed meanwhile is a conflict, not an
overwrite. After an action the case file redraws itself (``CASE_REFRESH``) and the console's lists follow
from the push.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import Input, Output, State, callback, ctx, no_update

from callbacks.access import act_on_selection, lang, services, user_with, Forbidden
from callbacks.pages import department_options
from dispatch.case_file import CaseFile
from i18n import t
from incidents.model import Role
from layouts import ids

#: Who takes the center's decisions (the lifecycle table decides per action; this gates the callbacks).
DECIDERS = (Role.OPERATOR,)


def local(dt: datetime | None, tz: Any) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "–"


def who(assignee: str | None, lg: str) -> str:
    """" · name" for a named handler, "(within the department)" otherwise."""
    return f" · {assignee}" if assignee else t("routing.to_department", lg)


def dept_name(ref: Any, code: str | None, lg: str) -> str:
    dept = ref.departments.get(code or "")
    return dept.name(lg) if dept else (code or "–")


def assignee_options(department: str | None, lg: str, keep: str | None = None) -> list[dict[str, str]]:
    """The department's handlers, least loaded first, labelled with their open workload."""
    if not department:
        return []
    opts = [{"label": t("routing.load", lg, name=name, n=n), "value": name}
            for name, n in services().routing.handlers(department)]
    if keep and keep not in {o["value"] for o in opts}:  # e.g. the cell's grid worker the rules name
        opts.insert(0, {"label": keep, "value": keep})
    return opts


def decisions_view(cf: CaseFile, svc: Any, lg: str) -> dict[str, Any]:
    """The decision forms ``cf``'s viewer gets now, with their options in ``lg`` (empty for everyone but the
    center's operators: ``cf.actions`` already holds only what the viewer may do)."""
    acts, i = set(cf.actions), cf.incident
    if not acts & {"file", "dispatch", "reject", "reassign", "extension_approve"}:
        return {}
    ref = svc.reference.get()
    depts = department_options(ref, lg)
    out: dict[str, Any] = {}
    if acts & {"file", "dispatch"}:
        s = svc.routing.suggest([i], svc.clock())[i.code]
        out["dispatch"] = {
            "departments": depts, "department": s.department if s else None,
            "assignees": assignee_options(s.department, lg, keep=s.assignee) if s else [],
            "assignee": s.assignee if s else None,
            "suggestion": (t("routing.suggestion", lg, code=i.code, department=dept_name(ref, s.department, lg),
                             assignee=who(s.assignee, lg), deadline=local(s.deadline, svc.settings.tz)) if s
                           else t("routing.no_suggestion", lg, code=i.code))}
    if "reject" in acts:
        out["reject"] = {"confirm": t("queue.reject_confirm", lg, code=i.code)}
    if "reassign" in acts:
        opts = assignee_options(i.department, lg)
        out["reassign"] = {"departments": depts, "department": i.department, "assignees": opts,
                           "assignee": next((o["value"] for o in opts if o["value"] != i.assignee), None)}
    if "extension_approve" in acts and cf.extension is not None:
        e = cf.extension
        out["extension"] = {"request": t("extension.item", lg, code=i.code, who=e.who,
                                         hours=f"{float(e.detail.get('hours', 0)):g}", reason=e.text,
                                         deadline=local(i.deadline, svc.settings.tz))}
    return out


def decided_actions(decisions: dict[str, Any]) -> list[str]:
    """The actions the case file takes in its own forms (it lists the others as links to their pages). An
    extension answer belongs to the case file whenever the viewer decides anything: with no open request
    there is simply nothing to answer yet."""
    by_form = {"dispatch": ("file", "dispatch"), "reject": ("reject",), "reassign": ("reassign",),
               "extension": ()}
    decided = [a for form in decisions for a in by_form[form]]
    return decided + (["extension_approve", "extension_refuse"] if decisions else [])


def _decide(clicks: int | None, seen: str | None, refresh: int | None, run: Any) -> tuple[Any, Any]:
    """Act at the version seen; redraw the case only when the action went through, so a refused one keeps
    what the operator typed beside the reason it was refused. A form drawn anew (its button at no clicks,
    after the case redrew) does nothing: Dash fires callbacks of controls it inserts."""
    if not clicks:
        return no_update, no_update
    done: list[bool] = []

    def acted(user: Any, svc: Any, code: str, version: int) -> str:
        message = run(user, svc, code, version)
        done.append(True)
        return message

    message, _ = act_on_selection(seen, refresh, DECIDERS, acted)
    return message, ((refresh or 0) + 1 if done else no_update)


@callback(Output(ids.CASE_ASSIGNEE, "data"), Output(ids.CASE_ASSIGNEE, "value"),
          Input(ids.CASE_DEPARTMENT, "value"), prevent_initial_call=True)
def dispatch_department(department: str | None) -> tuple[Any, Any]:
    """Another department: its handlers, the least loaded one picked."""
    return _handlers_of(department)


@callback(Output(ids.CASE_REASSIGN_ASSIGNEE, "data"), Output(ids.CASE_REASSIGN_ASSIGNEE, "value"),
          Input(ids.CASE_REASSIGN_DEPARTMENT, "value"), prevent_initial_call=True)
def reassign_department(department: str | None) -> tuple[Any, Any]:
    return _handlers_of(department)


def _handlers_of(department: str | None) -> tuple[Any, Any]:
    try:
        user_with(*DECIDERS)
    except Forbidden:
        return [], None
    opts = assignee_options(department, lang())
    return opts, (opts[0]["value"] if opts else None)


@callback(Output(ids.CASE_NOTICE, "children", allow_duplicate=True),
          Output(ids.CASE_REFRESH, "data", allow_duplicate=True),
          Input(ids.CASE_DISPATCH, "n_clicks"), State(ids.CASE_VERSION, "data"), State(ids.CASE_DEPARTMENT, "value"),
          State(ids.CASE_ASSIGNEE, "value"), State(ids.CASE_REFRESH, "data"), prevent_initial_call=True)
def dispatch(n: int, seen: str | None, department: str | None, assignee: str | None,
             refresh: int | None) -> tuple[Any, Any]:
    """派遣 (filing first when the report is new) to the department and handler chosen; none = the suggestion."""
    def run(user: Any, svc: Any, code: str, version: int) -> str:
        lg = lang()
        inc = svc.routing.dispatch(code, user.actor, version, svc.clock(), department=department or None,
                                   assignee=assignee or None)
        return t("routing.dispatched", lg, code=code, department=dept_name(svc.reference.get(), inc.department, lg),
                 assignee=who(inc.assignee, lg), deadline=local(inc.deadline, svc.settings.tz))

    return _decide(n, seen, refresh, run)


@callback(Output(ids.CASE_NOTICE, "children", allow_duplicate=True),
          Output(ids.CASE_REFRESH, "data", allow_duplicate=True),
          Input(ids.CASE_REJECT_CONFIRM, "submit_n_clicks"), State(ids.CASE_VERSION, "data"),
          State(ids.CASE_REJECT_REASON, "value"), State(ids.CASE_REFRESH, "data"), prevent_initial_call=True)
def reject(n: int, seen: str | None, reason: str | None, refresh: int | None) -> tuple[Any, Any]:
    """不予立案, once the operator confirmed; a reason is required (the citizen is told why)."""
    from dispatch.handling import require_text

    def run(user: Any, svc: Any, code: str, version: int) -> str:
        svc.incidents.act(code, "reject", user.actor, version, svc.clock(),
                          payload={"reason": require_text(reason, "reason_required")})
        return t("queue.rejected", lang(), code=code)

    return _decide(n, seen, refresh, run)


@callback(Output(ids.CASE_NOTICE, "children", allow_duplicate=True),
          Output(ids.CASE_REFRESH, "data", allow_duplicate=True),
          Input(ids.CASE_REASSIGN, "n_clicks"), State(ids.CASE_VERSION, "data"),
          State(ids.CASE_REASSIGN_DEPARTMENT, "value"), State(ids.CASE_REASSIGN_ASSIGNEE, "value"),
          State(ids.CASE_REASSIGN_REASON, "value"), State(ids.CASE_REFRESH, "data"), prevent_initial_call=True)
def reassign(n: int, seen: str | None, department: str | None, assignee: str | None, reason: str | None,
             refresh: int | None) -> tuple[Any, Any]:
    """改派 with a reason; the running deadline is kept (dispatch.routing)."""
    def run(user: Any, svc: Any, code: str, version: int) -> str:
        lg = lang()
        inc = svc.routing.reassign(code, user.actor, version, svc.clock(), department=department,
                                   assignee=assignee, reason=reason)
        return t("routing.reassigned", lg, code=code, department=dept_name(svc.reference.get(), inc.department, lg),
                 assignee=who(inc.assignee, lg), deadline=local(inc.deadline, svc.settings.tz))

    return _decide(n, seen, refresh, run)


@callback(Output(ids.CASE_NOTICE, "children", allow_duplicate=True),
          Output(ids.CASE_REFRESH, "data", allow_duplicate=True),
          Input(ids.CASE_EXT_APPROVE, "n_clicks"), Input(ids.CASE_EXT_REFUSE, "n_clicks"),
          State(ids.CASE_VERSION, "data"), State(ids.CASE_EXT_REASON, "value"), State(ids.CASE_REFRESH, "data"),
          prevent_initial_call=True)
def decide_extension(approve_n: int, refuse_n: int, seen: str | None, reason: str | None, refresh: int | None) -> tuple[Any, Any]:
    """Approve (the deadline moves by the working hours asked) or refuse (a reason required)."""
    def run(user: Any, svc: Any, code: str, version: int) -> str:
        lg, approve = lang(), ctx.triggered_id == ids.CASE_EXT_APPROVE
        inc = svc.handling.decide_extension(code, user.actor, version, svc.clock(), approve=approve, reason=reason)
        return (t("extension.approved", lg, code=code, deadline=local(inc.deadline, svc.settings.tz)) if approve
                else t("extension.refused", lg, code=code))

    return _decide((approve_n or 0) + (refuse_n or 0), seen, refresh, run)


__all__ = ["DECIDERS", "assignee_options", "decided_actions", "decisions_view", "dept_name", "local", "who"]
