"""The case file page ``/case/<code>``: a deep link anyone may send (a leader to a handler, a verifier to an
operator) that opens the case for whoever follows it — as far as the access policy lets them.

The server answers 403 before Dash is involved when the case lies outside the viewer's scope (and the page's
own layout checks again, since a navigation inside the app asks Dash, not the server, for the page).
"""
from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, html, no_update
from flask_login import current_user

from callbacks.access import lang, refused_transition, services
from callbacks.case_decisions import decided_actions, decisions_view
from callbacks.maps import base_url, map_base, pin_at
from callbacks.pages import PageSpec
from callbacks.risk_column import risk_labels
from callbacks.verify_task import case_extras
from callbacks.workbench import countdown, local
from dispatch.case_file import CaseFile
from dispatch.handling import HandlingError
from i18n import t
from incidents.access import may_read
from incidents.lifecycle import TransitionError
from incidents.store import NotFoundError
from layouts import case_file as view
from layouts import ids
from layouts.map import View, city_map
from layouts.shell import forbidden

#: The small map's zoom: a few streets around the pin.
CASE_ZOOM = 15.0


def build(services: Any, lang: str, code: str = "", **_query: Any) -> Any:
    """The page for the logged-in user (``page_guard`` has checked the login)."""
    if not code:  # Dash validating layouts at start-up
        return html.Div(id="case-file")
    return html.Main(case_panel(services, code, current_user.actor, lang), className="page case-page")


def case_panel(services: Any, code: str, actor: Any, lang: str) -> Any:
    """The case file component of ``code`` for ``actor`` — wherever a case is shown — or why not."""
    return _drawn(services, code, actor, lang, view.case_file)


def case_body(services: Any, code: str, actor: Any, lang: str) -> Any:
    """The case redrawn inside an open case file (after an action taken in it)."""
    return _drawn(services, code, actor, lang, view.case_body)


def _drawn(services: Any, code: str, actor: Any, lang: str, draw: Any) -> Any:
    try:
        cf = services.case_files.read(code, actor, services.clock(), lang)
    except HandlingError:
        return forbidden(lang)
    except NotFoundError:
        return view.not_found(lang, code)
    extras = case_extras(services, cf, actor, lang)  # 核查任务's answer, reused photos (callbacks/verify_task.py)
    return draw(lang, {**case_view(cf, services, lang), **extras}, small_map(cf, services, lang))


PAGE = PageSpec("case", "/case", "CityOps · 案卷", build, template="/case/<code>")


def case_view(cf: CaseFile, services: Any, lang: str) -> dict[str, Any]:
    """The case file as the strings the layout shows, in ``lang`` and the city's zone."""
    i, tz, now = cf.incident, services.settings.tz, services.clock()
    running = i.deadline is not None and i.state.value in ("dispatched", "in_progress")
    decisions = decisions_view(cf, services, lang)
    return {
        "code": i.code, "category": cf.category, "state": i.state.value, "state_name": t(f"state.{i.state.value}", lang),
        "severity": i.severity.value, "severity_name": t(f"severity.{i.severity.value}", lang), "overdue": cf.overdue,
        "description": i.description, "address": i.address, "channel": t(f"channel.{i.channel.value}", lang),
        "reported_at": local(i.reported_at, tz), "phone": cf.phone,
        "department": cf.department or t("case.unassigned", lang), "assignee": cf.assignee or t("case.unassigned", lang),
        "deadline": local(i.deadline, tz), "version": i.version,
        "left_ms": int((i.deadline - now).total_seconds() * 1000) if running else None,
        "countdown": countdown(i.deadline, now, lang) if running else "",
        "risk": _risk(services, i.code, now, lang) if running else None,
        "decisions": decisions, "decided": decided_actions(decisions), "here": _page_path(), "place": list(cf.place), "before": list(cf.before), "after": list(cf.after),
        "steps": [_step(s, lang, tz) for s in cf.steps],
        "related": [{"code": r.code, "relation": r.relation, "category": r.category,
                     "state": t(f"state.{r.state}", lang), "reported_at": local(r.reported_at, tz)} for r in cf.related],
        "actions": list(cf.actions),
        "instructions": [_step(s, lang, tz) for s in cf.instructions],
    }


def _page_path() -> str:
    """The path of the page the case file is shown on (a callback's request comes from that page), so an
    action taken on this very page is not offered as a link to it."""
    from urllib.parse import urlparse

    from flask import has_request_context, request

    if not has_request_context():
        return ""
    return urlparse(request.referrer or "").path or request.path


def _risk(services: Any, code: str, now: Any, lang: str) -> str | None:
    """The model's chance of missing the deadline as "37%", or None where the model cannot tell."""
    label = risk_labels(getattr(services, "analytics", None), now, [code], lang).get(code)
    return None if label in (None, t("risk_column.none", lang)) else label


def _step(s: Any, lang: str, tz: Any) -> dict[str, Any]:
    return {"at": local(s.at, tz), "who": t("case.system", lang) if s.who == "system" else s.who,
            "action": _action(s.action, s.detail, lang), "text": s.text, "photos": list(s.photos)}


def _action(action: str, payload: dict[str, Any], lang: str) -> str:
    step = payload.get("step") if action == "escalate" else None
    if action == "verify_task_answered" and payload.get("verdict") in ("resolved", "unresolved"):
        return t(f"action.{action}", lang) + " · " + t(f"verify_task.verdict.{payload['verdict']}", lang)
    if action == "callback" and payload.get("satisfaction") in ("satisfied", "basically_satisfied", "dissatisfied"):
        return t(f"action.{action}", lang) + " · " + t(f"callback.{payload['satisfaction']}", lang)
    if action == "callback" and payload.get("reached") is False:
        return t(f"action.{action}", lang) + " · " + t("case.not_reached", lang)
    return t(f"action.{action}", lang) + (" · " + t(f"escalation.{step}", lang) if step else "")


def small_map(cf: CaseFile, services: Any, lang: str) -> Any:
    """The case's pin on our own layers (and the tile server's, when set), centred at street zoom with
    the streets and communities around it named."""
    i = cf.incident
    if i.lon is None or i.lat is None:
        return None
    pin = pin_at(services, i.lon, i.lat, label=i.code)
    return city_map(None, map_base(services), View(center=(pin.lon, pin.lat), zoom=CASE_ZOOM),
                    pin=pin, class_name="case-map" + (" case-overdue" if cf.overdue else ""), scroll_zoom=False)


def register_case_route(server: Any) -> None:
    """403 (or 404) at the server for a ``/case/<code>`` outside the viewer's scope, before Dash serves it."""
    from flask import request

    from auth.login import forbidden_page

    @server.before_request
    def _case_scope() -> Any:
        if not request.path.startswith("/case/") or not current_user.is_authenticated:
            return None
        code = request.path[len("/case/"):].strip("/")
        svc = server.extensions["cityops"]
        try:
            incident = svc.incidents.get(code)
        except NotFoundError:
            return None  # the page says the case does not exist
        return None if may_read(current_user.actor, incident) else forbidden_page()


__all__ = ["PAGE", "build", "case_body", "case_panel", "case_view", "instruct", "register_case_route", "small_map"]


@callback(Output(ids.CASE_DRAWER, "opened"), Output(ids.CASE_DRAWER_BODY, "children"), Input(ids.CASE_OPEN, "data"),
          prevent_initial_call=True)
def open_in_drawer(request: dict[str, Any] | None) -> tuple[Any, Any]:
    """A case link or a list's row was clicked: its case file in the drawer, as far as the viewer may see it
    (the access policy decides, as for the deep link)."""
    code = str((request or {}).get("code") or "")
    if not code:
        return no_update, no_update
    lg = lang()
    if not current_user.is_authenticated:
        return True, forbidden(lg)
    return True, view.drawer_contents(lg, code, case_panel(services(), code, current_user.actor, lg))


@callback(Output(ids.CASE_DRAWER, "opened", allow_duplicate=True), Input("url", "pathname"),
          prevent_initial_call=True)
def close_on_navigation(_path: str | None) -> bool:
    """Following a link (the case's own page, a related case's) leaves the drawer behind."""
    return False


@callback(Output(ids.CASE_BOX, "children"), Input(ids.CASE_REFRESH, "data"), State(ids.CASE_CODE, "data"),
          prevent_initial_call=True)
def redraw(_n: int, code: str | None) -> Any:
    """The case as it stands after an action taken in its file: state, timeline, the actions now offered."""
    if not current_user.is_authenticated or not code:
        return forbidden(lang())
    return case_body(services(), code, current_user.actor, lang())


@callback(Output(ids.CASE_NOTICE, "children"), Output(ids.CASE_REFRESH, "data"),
          Input(ids.CASE_INSTRUCT, "n_clicks"), State(ids.CASE_INSTRUCTION, "value"), State(ids.CASE_CODE, "data"),
          State(ids.CASE_REFRESH, "data"), prevent_initial_call=True)
def instruct(n: int, text: str | None, code: str | None, refresh: int | None) -> tuple[Any, Any]:
    """批示 from the case file: checked on the server (the lifecycle's roles, the access policy's reach); the
    case is redrawn so the instruction shows pinned and in the timeline (its form drawn anew fires nothing)."""
    if not n:
        return no_update, no_update
    lg = lang()
    if not current_user.is_authenticated or not code:
        return t("error.forbidden", lg), no_update
    svc = services()
    try:
        svc.case_files.instruct(code, current_user.actor, svc.clock(), text)
    except HandlingError as e:
        return t(f"handling.error.{e.key}", lg), no_update
    except TransitionError as e:
        return refused_transition(e, lg), no_update
    except NotFoundError:
        return t("case.not_found", lg, code=code), no_update
    return t("case.instructed", lg), (refresh or 0) + 1
