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
from callbacks.pages import PageSpec, base_url
from callbacks.verify_task import case_extras
from callbacks.workbench import countdown, local
from dispatch.case_file import CaseFile
from dispatch.handling import HandlingError
from geo.figures import city_map, display_datum
from i18n import t
from incidents.access import may_read
from incidents.lifecycle import TransitionError
from incidents.store import NotFoundError
from layouts import case_file as view
from layouts import ids
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
    try:
        cf = services.case_files.read(code, actor, services.clock(), lang)
    except HandlingError:
        return forbidden(lang)
    except NotFoundError:
        return view.not_found(lang, code)
    extras = case_extras(services, cf, actor, lang)  # 核查任务's answer, reused photos (callbacks/verify_task.py)
    return view.case_file(lang, {**case_view(cf, services, lang), **extras}, small_map(cf, services, lang))


PAGE = PageSpec("case", "/case", "CityOps · 案卷", build, template="/case/<code>")


def case_view(cf: CaseFile, services: Any, lang: str) -> dict[str, Any]:
    """The case file as the strings the layout shows, in ``lang`` and the city's zone."""
    i, tz, now = cf.incident, services.settings.tz, services.clock()
    deadline = local(i.deadline, tz)
    if i.deadline is not None and i.state.value in ("dispatched", "in_progress"):
        deadline += f" ({countdown(i.deadline, now, lang)})"
    return {
        "code": i.code, "category": cf.category, "state": i.state.value, "state_name": t(f"state.{i.state.value}", lang),
        "severity": i.severity.value, "severity_name": t(f"severity.{i.severity.value}", lang), "overdue": cf.overdue,
        "description": i.description, "address": i.address, "channel": t(f"channel.{i.channel.value}", lang),
        "reported_at": local(i.reported_at, tz), "phone": cf.phone,
        "department": cf.department or t("case.unassigned", lang), "assignee": cf.assignee or t("case.unassigned", lang),
        "deadline": deadline, "place": list(cf.place), "before": list(cf.before), "after": list(cf.after),
        "steps": [_step(s, lang, tz) for s in cf.steps],
        "related": [{"code": r.code, "relation": r.relation, "category": r.category,
                     "state": t(f"state.{r.state}", lang), "reported_at": local(r.reported_at, tz)} for r in cf.related],
        "actions": list(cf.actions),
        "instructions": [_step(s, lang, tz) for s in cf.instructions],
    }


def _step(s: Any, lang: str, tz: Any) -> dict[str, Any]:
    return {"at": local(s.at, tz), "who": t("case.system", lang) if s.who == "system" else s.who,
            "action": _action(s.action, s.detail, lang), "text": s.text, "photos": list(s.photos)}


def _action(action: str, payload: dict[str, Any], lang: str) -> str:
    step = payload.get("step") if action == "escalate" else None
    if action == "verify_task_answered" and payload.get("verdict") in ("resolved", "unresolved"):
        return t(f"action.{action}", lang) + " · " + t(f"verify_task.verdict.{payload['verdict']}", lang)
    return t(f"action.{action}", lang) + (" · " + t(f"escalation.{step}", lang) if step else "")


def small_map(cf: CaseFile, services: Any, lang: str) -> Any:
    """The case's pin on our own layers (and the tile server's, when set), centred on it."""
    i, st = cf.incident, services.settings
    datum = display_datum(st.tile_datum, st.tile_url, st.map_style_url)
    names = {s: t(f"severity.{s}", lang) for s in ("urgent", "high", "normal")} | {"overdue": t("wall.overdue", lang)}
    point = {"code": i.code, "lon": i.lon, "lat": i.lat, "severity": i.severity.value, "overdue": cf.overdue}
    fig = city_map([point], names, base_url=base_url(), dark=True, tile_url=st.tile_url,
                   center={"lon": i.lon, "lat": i.lat}, zoom=CASE_ZOOM, uirevision=i.code, datum=datum)
    fig.update_layout(height=260, showlegend=False)
    for trace in fig.data:  # a pin to find at a glance, not the wall's dot among thousands
        trace.marker.size = 30 if trace.name == names["overdue"] else 18
    return fig


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


__all__ = ["PAGE", "build", "case_panel", "case_view", "instruct", "register_case_route", "small_map"]


@callback(Output(ids.CASE_MESSAGE, "children"), Output(ids.CASE_PINNED, "children"),
          Output(ids.CASE_INSTRUCTION, "value"), Input(ids.CASE_INSTRUCT, "n_clicks"), State(ids.CASE_INSTRUCTION, "value"), State(ids.CASE_CODE, "data"),
          prevent_initial_call=True)
def instruct(_n: int, text: str | None, code: str | None) -> tuple[Any, Any, Any]:
    """批示 from the case file: checked on the server (the lifecycle's roles, the access policy's reach)."""
    lg = lang()
    if not current_user.is_authenticated or not code:
        return t("error.forbidden", lg), no_update, no_update
    svc = services()
    try:
        svc.case_files.instruct(code, current_user.actor, svc.clock(), text)
        cf = svc.case_files.read(code, current_user.actor, svc.clock(), lg)
    except HandlingError as e:
        return t(f"handling.error.{e.key}", lg), no_update, no_update
    except TransitionError as e:
        return refused_transition(e, lg), no_update, no_update
    except NotFoundError:
        return t("case.not_found", lg, code=code), no_update, no_update
    return (t("case.instructed", lg), view.pinned(lg, [_step(s, lg, svc.settings.tz) for s in cf.instructions]),
            "")
