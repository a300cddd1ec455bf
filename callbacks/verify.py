"""The verifier's page (核查): resolved incidents wait here; pass closes, fail sends back for rework."""
from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, ctx, html

from callbacks.access import Forbidden, act_on_selection, lang, services, user_with
from callbacks.case import case_panel
from callbacks.pages import PageSpec
from callbacks.workbench import local
from i18n import t
from incidents.model import Role
from layouts import ids
from layouts import workbench as view
from layouts.case_file import case_link

PAGE = PageSpec("verify", "/verify", "CityOps · 核查", lambda services, lang: view.verify(lang))


@callback(Output(ids.VERIFY_LIST, "children"), Output(ids.VERIFY_SELECT, "data"),
          Output(ids.VERIFY_DEPARTMENT, "data"), Output(ids.VERIFY_CATEGORY, "data"),
          Output(ids.VERIFY_DISTRICT, "data"),
          Input(ids.VERIFY_VERSION, "data"), Input("verify-socket", "data-delta"), Input(ids.VERIFY_DEPARTMENT, "value"),
          Input(ids.VERIFY_CATEGORY, "value"), Input(ids.VERIFY_DISTRICT, "value"))
def show_waiting(_version: int, _push: Any, department: str | None = None, category: str | None = None,
                 district: Any = None) -> tuple[Any, ...]:
    """Resolved cases waiting, filtered by department, category and district (each filter offers only the
    values among the waiting cases, by name)."""
    lg = lang()
    try:
        user_with(Role.VERIFIER)
    except Forbidden:
        return html.Div(t("error.forbidden", lg)), [], [], [], []
    svc = services()
    ref, tz = svc.reference.get(), svc.settings.tz
    everything = svc.handling.to_verify()
    depts, districts = ref.departments, svc.grid.districts
    dept_name = {d: depts[d].name(lg) if d in depts else d for d in {i.department for i in everything if i.department}}
    cat_name = {c: ref.taxonomy.get(c).name(lg) for c in {i.category for i in everything}}
    filters = (
        [{"label": n, "value": d} for d, n in sorted(dept_name.items(), key=lambda p: p[1])],
        [{"label": n, "value": c} for c, n in sorted(cat_name.items(), key=lambda p: p[1])],
        [{"label": districts.get(z, str(z)), "value": str(z)} for z in sorted({i.district for i in everything})],
    )
    waiting = [i for i in everything if (not department or i.department == department)
               and (not category or i.category == category) and (not district or i.district == int(district))]
    if not waiting:
        return html.Div(t("verify.empty", lg), className="queue-empty"), [], *filters
    head = [t(f"verify.col.{c}", lg) for c in ("code", "category", "department", "resolved", "rework")]
    rows = [(case_link(i.code), cat_name[i.category], dept_name.get(i.department or "", ""), local(i.resolved_at, tz),
             i.rework_count) for i in waiting]
    options = [{"label": f"{i.code} {cat_name[i.category]}", "value": f"{i.code}@{i.version}"} for i in waiting]
    return view.table(head, rows), options, *filters


@callback(Output(ids.VERIFY_MESSAGE, "children"), Output(ids.VERIFY_VERSION, "data", allow_duplicate=True),
          Input(ids.VERIFY_PASS_CONFIRM, "submit_n_clicks"), Input(ids.VERIFY_FAIL_CONFIRM, "submit_n_clicks"),
          State(ids.VERIFY_SELECT, "value"), State(ids.VERIFY_REASON, "value"), State(ids.VERIFY_VERSION, "data"),
          prevent_initial_call=True)
def act(_p: int, _f: int, selected: str | None, reason: str | None, version: int | None) -> tuple[Any, Any]:
    """Runs once the verifier confirmed the dialog (not on the button's click)."""
    return verify_action(ctx.triggered_id == ids.VERIFY_PASS_CONFIRM, selected, reason, version)


def verify_action(passed: bool, selected: str | None, reason: str | None, version: int | None) -> tuple[Any, Any]:
    def verify(user: Any, svc: Any, code: str, seen: int) -> str:
        svc.handling.verify(code, user.actor, seen, svc.clock(), passed=passed, reason=reason)
        return t("verify.passed" if passed else "verify.failed", lang(), code=code)

    return act_on_selection(selected, version, (Role.VERIFIER,), verify, keyed_alone=True)


@callback(Output(ids.VERIFY_CASE, "children"), Input(ids.VERIFY_SELECT, "value"), Input(ids.VERIFY_VERSION, "data"))
def show_case(selected: str | None, _version: int) -> Any:
    """The picked case's file under the controls: the handler's note, before/after photos, the place — what a
    verifier judges by."""
    lg = lang()
    try:
        user = user_with(Role.VERIFIER)
    except Forbidden:
        return t("error.forbidden", lg)
    if not selected or "@" not in selected:
        return None
    return case_panel(services(), selected.rsplit("@", 1)[0], user.actor, lg)


@callback(Output(ids.VERIFY_PASS_CONFIRM, "message"), Output(ids.VERIFY_FAIL_CONFIRM, "message"),
          Input(ids.VERIFY_SELECT, "value"))
def confirm_messages(selected: str | None) -> tuple[str, str]:
    """The confirmations name the case they act on."""
    lg = lang()
    code = selected.rsplit("@", 1)[0] if selected and "@" in selected else ""
    return t("verify.confirm_pass", lg, code=code), t("verify.confirm_fail", lg, code=code)
