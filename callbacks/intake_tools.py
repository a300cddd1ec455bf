"""The console's operator tools: address type-ahead, caller history, search, duplicates, callback (回访).

Imported by app.py's page discovery with the other callbacks modules; the components live in
layouts/intake.py and layouts/operator_tools.py. Every callback checks the operator role on the server.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash_leaflet import CircleMarker, Tooltip

from auth.audit import VIEW_PHONE, record_access
from callbacks.access import Forbidden, lang, services, user_with
from callbacks.intake import CLEARED, EMPTY_FORM, KEEP_FORM
from callbacks.maps import display_point
from callbacks.pages import CONSOLE_DUPLICATES
from i18n import has, t
from incidents.consultation_service import ConsultationService
from incidents.followup import FollowupError, FollowupService
from incidents.lifecycle import TransitionError
from incidents.intake import IntakeError
from incidents.model import Channel, Role
from incidents.places import PlaceService
from incidents.privacy import may_see_phone, phone_for
from incidents.search import SearchService, normalise_phone
from incidents.store import ConflictError, NotFoundError
from layouts import ids
from layouts import operator_tools as tools_view
from layouts.case_file import case_link

#: Separator inside a place option's value: "lon|lat|name" (names never hold a "|").
SEP = "|"


def _local(dt: datetime | None, tz: Any) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "–"


def _operator() -> Any:
    return user_with(Role.OPERATOR)


@callback(Output(ids.INTAKE_PLACE, "data"), Input(ids.INTAKE_PLACE, "searchValue"), State(ids.INTAKE_PLACE, "value"),
          prevent_initial_call=True)
def place_options(query: str | None, value: str | None) -> Any:
    """Type-ahead: the gazetteer's best matches; keeps the chosen option while the box is empty."""
    if not query or " · " in query or (value and query == value.split(SEP)[-1]):
        return no_update  # the box shows a chosen option's label, not a search
    try:
        _operator()
    except Forbidden:
        return []
    lg = lang()
    options = [{"label": f"{p.name} · {t(f'place.kind_{p.kind}', lg)}",
                "value": SEP.join((f"{p.lon:.6f}", f"{p.lat:.6f}", p.name))}
               for p in PlaceService(services().db).lookup(query, limit=12)]
    if value and value not in [o["value"] for o in options]:
        options.append({"label": value.split(SEP)[-1], "value": value})
    return options


@callback(
    Output(ids.INTAKE_ADDRESS, "value"), Output(ids.INTAKE_LON, "value", allow_duplicate=True),
    Output(ids.INTAKE_LAT, "value", allow_duplicate=True),
    Input(ids.INTAKE_PLACE, "value"), State(ids.INTAKE_ADDRESS, "value"), prevent_initial_call=True,
)
def place_chosen(value: str | None, address: str | None) -> tuple[Any, Any, Any]:
    """A chosen place fills the point (hence the grid at intake) and starts the address text."""
    if not value or value.count(SEP) != 2:
        return no_update, no_update, no_update
    lon, lat, name = value.split(SEP)
    text = address if address and name in address else name
    return text, float(lon), float(lat)


@callback(Output(ids.CALLER_HISTORY, "children"), Input(ids.INTAKE_PHONE, "value"), prevent_initial_call=True)
def caller_history(phone: str | None) -> Any:
    """The caller's earlier incidents and their outcomes, as soon as the number is typed."""
    if not phone or len(phone.strip()) < 5:
        return None
    lg = lang()
    try:
        user = _operator()
    except Forbidden:
        return t("error.forbidden", lg)
    svc = services()
    cases = SearchService(svc.db).caller_history(phone, limit=20)
    asked = ConsultationService(svc.db, svc.settings.tz).for_caller(normalise_phone(phone), limit=5)
    if not cases and not asked:
        return html.Div(t("caller.none", lg), className="caller-none")
    ref = svc.reference.get()
    _audit_phones(user, svc, [c.incident.code for c in cases], "caller_history")
    items = []
    for c in cases:
        i = c.incident
        outcome = t(f"state.{i.state.value}", lg)
        if i.merged_into:
            outcome += " · " + t("caller.merged_into", lg, code=i.merged_into)
        if c.callback and c.callback.get("satisfaction"):
            outcome += f" · {t('caller.callback', lg)}: {t('callback.' + c.callback['satisfaction'], lg)}"
        items.append(html.Li([html.B(case_link(i.code)), f" {_local(i.reported_at, svc.settings.tz)} ",
                              ref.taxonomy.get(i.category).name(lg), f" — {outcome}"], className="caller-case"))
    for q in asked:  # earlier questions answered on the spot: often the same question again
        items.append(html.Li([html.B(q.code), f" {_local(q.closed_at, svc.settings.tz)} {t('consult.history', lg)}: ",
                              q.question[:60]], className="caller-consultation"))
    return html.Div([html.Div(t("caller.title", lg) + f" ({phone_for(user.role, normalise_phone(phone))})", className="caller-title"),
                     html.Ul(items)])


def _audit_phones(user: Any, svc: Any, codes: list[str], via: str) -> None:
    """Whole reporters' numbers shown to ``user``: one audit row naming the cases (PIPL traceability)."""
    if codes and may_see_phone(user.role):
        record_access(svc.db, user.actor, svc.clock(), VIEW_PHONE, ",".join(codes), {"via": via, "cases": codes})


@callback(Output(ids.SEARCH_RESULTS, "children"), Input(ids.SEARCH_QUERY, "value"), prevent_initial_call=True)
def search_incidents(query: str | None) -> Any:
    lg = lang()
    try:
        user = _operator()
    except Forbidden:
        return t("error.forbidden", lg)
    if not query or not query.strip():
        return None
    svc = services()
    hits = SearchService(svc.db).search(query, limit=50)
    if not hits:
        return html.Div(t("search.none", lg), className="search-none")
    ref = svc.reference.get()
    _audit_phones(user, svc, [h.incident.code for h in hits if h.incident.reporter_phone], "search")
    cols = ("code", "state", "category", "address", "phone", "reported")
    head = html.Tr([html.Th(t(f"search.col_{c}", lg)) for c in cols])
    body = [html.Tr([
        html.Td(case_link(h.incident.code)), html.Td(t(f"state.{h.incident.state.value}", lg)),
        html.Td(ref.taxonomy.get(h.incident.category).name(lg)), html.Td(h.incident.address),
        html.Td(phone_for(user.role, h.incident.reporter_phone)), html.Td(_local(h.incident.reported_at, svc.settings.tz)),
    ], className=f"search-row matched-{h.matched}") for h in hits]
    return html.Table([html.Thead(head), html.Tbody(body)], className="search-table")


@callback(
    Output(ids.DUP_PANEL, "children"), Output(ids.DUP_TARGET, "data"), Output(ids.DUP_TARGET, "value"),
    Output("dup-section", "hidden"), Output(CONSOLE_DUPLICATES, "children"),
    Input(ids.DUP_STATE, "data"), prevent_initial_call=True,
)
def show_duplicates(state: dict[str, Any] | None) -> tuple[Any, Any, Any, Any, Any]:
    """The candidates as a list and as markers on the console's map (the new incident too)."""
    if not state:
        return None, [], None, True, no_update
    lg = lang()
    svc = services()
    cands = state["candidates"]
    hint = t("dup.hint", lg, code=state["code"], radius=f"{svc.settings.duplicate_radius_m:g}",
             hours=f"{svc.settings.duplicate_window_h:g}")
    items = [html.Li(f"{c['code']} · {t('state.' + c['state'], lg)} · {c['address']} · {c['description']}",
                     className="dup-candidate") for c in cands]
    marks = [duplicate_mark(svc, c, "candidate") for c in cands] + [duplicate_mark(svc, state, "new")]
    options = [{"label": c["code"], "value": c["code"]} for c in cands]
    return [html.P(hint), html.Ul(items)], options, cands[0]["code"], False, marks


def duplicate_mark(svc: Any, case: dict[str, Any], kind: str) -> Any:
    """A likely duplicate (or the new report) on the console's map: a ring with its code beside it."""
    x, y = display_point(svc, case["lon"], case["lat"])
    return CircleMarker(center=[y, x], radius=11 if kind == "candidate" else 8,
                        className=f"map-duplicate map-duplicate-{kind}",
                        children=Tooltip(case["code"], permanent=True, direction="right", className="map-tip"))


@callback(
    Output(ids.DUP_MESSAGE, "children"), Output(ids.DUP_STATE, "data", allow_duplicate=True),
    Output(ids.QUEUE_VERSION, "data", allow_duplicate=True),
    Input(ids.DUP_MERGE, "n_clicks"), Input(ids.DUP_KEEP, "n_clicks"),
    State(ids.DUP_STATE, "data"), State(ids.DUP_TARGET, "value"), State(ids.QUEUE_VERSION, "data"),
    prevent_initial_call=True,
)
def decide_duplicate(_m: int, _k: int, state: dict[str, Any] | None, target: str | None,
                     version: int | None) -> tuple[Any, Any, Any]:
    return duplicate_action("keep" if ctx.triggered_id == ids.DUP_KEEP else "merge", state, target, version)


def duplicate_action(action: str, state: dict[str, Any] | None, target: str | None,
                     version: int | None) -> tuple[Any, Any, Any]:
    """Merge the new incident into the chosen candidate, or keep it apart (and dispatch it if the rules can)."""
    lg = lang()
    try:
        user = _operator()
    except Forbidden:
        return t("error.forbidden", lg), no_update, no_update
    if not state:
        return no_update, no_update, no_update
    svc = services()
    code, seen, now = state["code"], int(state["version"]), svc.clock()
    tools = FollowupService(svc.incidents, svc.settings.reopen_days)
    try:
        if action == "merge":
            into = target or state["candidates"][0]["code"]
            tools.merge(code, into, user.actor, seen, now)
            message = t("dup.merged", lg, code=code, into=into)
        else:
            kept = tools.keep_apart(code, [c["code"] for c in state["candidates"]], user.actor, seen, now)
            try:
                svc.dispatch.dispatch(code, user.actor, kept.version, now)
                message = t("dup.kept_dispatched", lg, code=code)
            except ValueError:  # the rules name no department: the operator picks one in the queue
                message = t("dup.kept_waiting", lg, code=code)
    except ConflictError:
        return t("error.conflict", lg, code=code), None, (version or 0) + 1
    except FollowupError as e:
        return t(f"error.{e.code}", lg), no_update, no_update
    except (TransitionError, NotFoundError, ValueError) as e:
        return t("dup.failed", lg, reason=str(e)), no_update, no_update
    return message, None, (version or 0) + 1


@callback(
    Output(ids.CALLBACK_MESSAGE, "children"), Input(ids.CALLBACK_SUBMIT, "n_clicks"),
    State(ids.CALLBACK_CODE, "value"), State(ids.CALLBACK_REACHED, "value"), State(ids.CALLBACK_SATISFACTION, "value"),
    State(ids.CALLBACK_COMMENT, "value"), State(ids.CALLBACK_REOPEN, "value"), prevent_initial_call=True,
)
def record_callback(_n: int, code: str | None, reached: list[str] | None, satisfaction: str | None,
                    comment: str | None, reopen: list[str] | None) -> str:
    """Record the callback on the incident as it stands now (an annotation: no form-held version)."""
    lg = lang()
    try:
        user = _operator()
    except Forbidden:
        return t("error.forbidden", lg)
    code = (code or "").strip()
    svc = services()
    try:
        current = svc.incidents.get(code)
        after = FollowupService(svc.incidents, svc.settings.reopen_days).callback(
            code, user.actor, current.version, svc.clock(), reached=bool(reached), satisfaction=satisfaction,
            comment=comment or "", reopen=bool(reopen))
    except NotFoundError:
        return t("callback.failed", lg, reason=t("error.not_found", lg))
    except FollowupError as e:
        return t("callback.failed", lg, reason=t(f"error.{e.code}", lg))
    except ConflictError:
        return t("error.conflict", lg, code=code)
    except (TransitionError, ValueError) as e:
        return t("callback.failed", lg, reason=str(e))
    return t("callback.reopened" if after.state.value != "closed" else "callback.done", lg, code=code)


@callback(Output(ids.CALLBACK_DUE, "children"), Input(ids.CALLBACK_MESSAGE, "children"))
def show_callbacks_due(_message: Any) -> Any:
    """待回访, refreshed after every recorded callback; the numbers are whole for operators (and audited)."""
    lg = lang()
    try:
        user = _operator()
    except Forbidden:
        return t("error.forbidden", lg)
    svc = services()
    due = FollowupService(svc.incidents, svc.settings.reopen_days).awaiting_callback(svc.clock())
    _audit_phones(user, svc, [i.code for i in due if i.reporter_phone], "callbacks_due")
    ref = svc.reference.get()
    return tools_view.callback_due(lg, [{
        "code": i.code, "category": ref.taxonomy.get(i.category).name(lg),
        "closed": _local(i.closed_at, svc.settings.tz), "phone": phone_for(user.role, i.reporter_phone)}
        for i in due])


@callback(Output(ids.CALLBACK_CODE, "value"), Input({"type": ids.CALLBACK_PICK, "code": ALL}, "n_clicks"),
          prevent_initial_call=True)
def pick_callback(clicks: list[int]) -> Any:
    """A row's 回访 puts its code into the callback form (no typing a 13-digit code by hand)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        return no_update
    try:
        _operator()
    except Forbidden:
        return no_update
    return trigger["code"]


@callback(Output(ids.INTAKE_LIKELY, "children"), Input(ids.INTAKE_CATEGORY, "value"), Input(ids.INTAKE_LON, "value"),
          Input(ids.INTAKE_LAT, "value"), prevent_initial_call=True)
def show_likely_duplicates(category: str | None, lon: Any, lat: Any) -> Any:
    """As soon as the call has a category and a place: the open cases it probably repeats (same category,
    within the duplicate radius and window) — before anything is stored."""
    lg = lang()
    try:
        _operator()
    except Forbidden:
        return None
    if not category or lon in (None, "") or lat in (None, ""):
        return None
    svc = services()
    try:
        found = svc.dispatch.likely_duplicates(str(category), float(lon), float(lat), svc.clock())
    except (TypeError, ValueError):
        return None
    return tools_view.likely_duplicates(lg, [{
        "code": i.code, "state": t(f"state.{i.state.value}", lg), "address": i.address or i.grid,
        "description": i.description[:60]} for i in found])


@callback(Output(ids.INTAKE_RESULT, "children", allow_duplicate=True),
          Output(ids.QUEUE_VERSION, "data", allow_duplicate=True),
          Output(ids.INTAKE_ADD_CALLER_MESSAGE, "children"),
          *[Output(i, "value", allow_duplicate=True) for i in CLEARED],
          Input({"type": ids.INTAKE_ADD_CALLER, "code": ALL}, "n_clicks"),
          State(ids.INTAKE_CATEGORY, "value"), State(ids.INTAKE_SEVERITY, "value"),
          State(ids.INTAKE_DESCRIPTION, "value"), State(ids.INTAKE_ADDRESS, "value"), State(ids.INTAKE_LON, "value"),
          State(ids.INTAKE_LAT, "value"), State(ids.INTAKE_PHONE, "value"), State(ids.QUEUE_VERSION, "data"),
          prevent_initial_call=True)
def add_caller(clicks: list[int], category: str | None, severity: str | None, description: str | None,
               address: str | None, lon: Any, lat: Any, phone: str | None,
               version: int | None) -> tuple[Any, ...]:
    """The caller joins the chosen open case (``reporter_added``): the form is checked as a submit would be,
    and nothing new is stored. A refusal is said beside the case's button, where the operator is looking; once
    joined, the form empties for the next call as after a submit."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        return (no_update, no_update, no_update, *KEEP_FORM)
    out = add_caller_to(trigger["code"], {"category": category, "severity": severity, "description": description,
                                          "address": address, "lon": lon, "lat": lat, "reporter_phone": phone},
                        version)
    return (*out, *(EMPTY_FORM if out[2] == "" else KEEP_FORM))


def add_caller_to(code: str, raw: dict[str, Any], version: int | None) -> tuple[Any, Any, Any]:
    """``(result under the form, queue version, refusal beside the button)``: success fills the first two and
    empties the third; a refusal fills only the third."""
    lg = lang()
    try:
        user = _operator()
    except Forbidden:
        return no_update, no_update, t("error.forbidden", lg)
    svc = services()
    try:
        draft = svc.dispatch.parse(raw, Channel.HOTLINE, svc.clock())
        FollowupService(svc.incidents, svc.settings.reopen_days).add_caller(code, draft, user.actor, svc.clock())
    except IntakeError as e:
        field = f"dup.field_{e.field}"
        reason = t(f"error.{e.code}", lg, **e.params)
        reason = f"{t(field, lg)} · {reason}" if has(field, lg) else reason
        return no_update, no_update, t("dup.add_caller_refused", lg, code=code, reason=reason)
    except FollowupError as e:
        return no_update, no_update, t("dup.add_caller_refused", lg, code=code, reason=t(f"error.{e.code}", lg))
    except NotFoundError:
        return no_update, no_update, t("case.not_found", lg, code=code)
    return html.Div([t("dup.caller_added", lg, code=code), " ", case_link(code, t("case.open", lg))],
                    className="result waiting-no"), (version or 0) + 1, ""
