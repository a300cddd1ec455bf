"""The operator console's callbacks: submit a report, show the queue, dispatch or reject from it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import Input, Output, State, callback, html, no_update

from callbacks import maps
from callbacks.access import Forbidden, lang, services, user_with
from i18n import t
from incidents.intake import IntakeError
from incidents.model import Channel, Role
from callbacks.pages import PICKED_ZOOM, PageSpec, intake_page
from callbacks.report import place_name
from layouts import ids
from layouts.case_file import case_link
from layouts.map import pin_children, pin_layer_id

PAGE = PageSpec("intake", "/intake", "CityOps · 受理台", intake_page)
FIELDS = ids.INTAKE_FIELDS


def _local(dt: datetime | None, tz: Any) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "–"


#: The form's inputs emptied once a report is stored (the severity keeps its choice), ready for the next call.
CLEARED = (ids.INTAKE_CATEGORY, ids.INTAKE_DESCRIPTION, ids.INTAKE_ADDRESS, ids.INTAKE_LON, ids.INTAKE_LAT,
           ids.INTAKE_PHONE, ids.INTAKE_PLACE)
KEEP_FORM = [no_update] * len(CLEARED)
#: The emptied form, ready for the next call (severity kept).
EMPTY_FORM = [None, "", "", None, None, "", None]


def _errors(field: str | None = None, message: str = "") -> list[str]:
    return [message if f == field else "" for f in FIELDS]


@callback(
    [Output(ids.error(f), "children") for f in FIELDS]
    + [Output(ids.INTAKE_RESULT, "children"), Output(ids.QUEUE_VERSION, "data"), Output(ids.DUP_STATE, "data")]
    + [Output(i, "value", allow_duplicate=True) for i in CLEARED],
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
        return _errors() + [html.Div(t("error.forbidden", lg), className="error"), no_update, no_update] + KEEP_FORM
    svc = services()
    raw = {"category": category, "severity": severity, "description": description, "address": address,
           "lon": lon, "lat": lat, "reporter_phone": phone}
    try:
        result = svc.dispatch.intake(raw, user.actor, Channel.HOTLINE, svc.clock())
    except IntakeError as e:
        return _errors(e.field, t(f"error.{e.code}", lg, **e.params)) + [no_update, no_update, no_update] + KEEP_FORM
    return (_errors() + [render_result(result, svc, lg), (queue_version or 0) + 1, duplicate_state(result)]
            + EMPTY_FORM)


def duplicate_state(result: Any) -> dict[str, Any] | None:
    """What the duplicates panel needs (kept in the page so merge/keep act on the version just seen)."""
    if not result.duplicates:
        return None
    i = result.incident
    return {"code": i.code, "version": i.version, "lon": i.lon, "lat": i.lat, "candidates": [
        {"code": d.code, "lon": d.lon, "lat": d.lat, "state": d.state.value, "description": d.description[:80],
         "address": d.address, "reported_at": d.reported_at.isoformat()} for d in result.duplicates]}


def render_result(result: Any, svc: Any, lg: str) -> html.Div:
    i = result.incident
    cell = svc.grid.cell(i.grid)
    rows = [(t("result.code", lg), case_link(i.code)),
            (t("result.grid", lg), f"{cell.district_name} {cell.street_name} {cell.community_name} ({i.grid})")]
    if result.waiting is None:
        dept = svc.reference.get().departments.get(i.department or "")
        names = svc.case_files.display_names([i.assignee or ""])
        rows += [(t("result.department", lg), dept.name(lg) if dept else i.department or "–"),
                 (t("result.assignee", lg), names.get(i.assignee or "", i.assignee) or "–"),
                 (t("result.deadline", lg), _local(i.deadline, svc.settings.tz))]
        status = t("result.dispatched", lg)
    else:
        status = t(f"result.waiting_{result.waiting}", lg)
        if result.duplicates:
            rows.append((t("result.duplicates", lg), [x for n, d in enumerate(result.duplicates)
                                                      for x in ([", "] if n else []) + [case_link(d.code)]]))
    return html.Div([
        html.Div(status, className="result-status", id="result-status"),
        html.Dl([x for k, v in rows for x in (html.Dt(k), html.Dd(v))]),
    ], className=f"result waiting-{result.waiting or 'no'}", **{"data-code": i.code})


maps.wire(ids.INTAKE_MAP, ids.INTAKE_LON, ids.INTAKE_LAT)


@callback(Output(pin_layer_id(ids.INTAKE_MAP), "children"), Output(ids.INTAKE_MAP, "viewport"), Output(ids.INTAKE_WHERE, "children"),
          Input(ids.INTAKE_LON, "value"), Input(ids.INTAKE_LAT, "value"), State(ids.INTAKE_MAP_CLICK, "data"),
          prevent_initial_call=True)
def show_point(lon: Any, lat: Any, picked: dict[str, Any] | None) -> tuple[Any, ...]:
    """Wherever the point came from (an address picked, a map click, a dragged pin, typed numbers): its pin
    on the map, the view brought to it (not when the operator just put it there by hand), and the place
    named, so the operator can tell the caller where the report will go."""
    lg = lang()
    try:
        user_with(Role.OPERATOR)
        point = {"lon": float(lon), "lat": float(lat)}
    except (Forbidden, TypeError, ValueError):
        return [], no_update, t("intake.where_none", lg)
    svc = services()
    name = place_name(svc, point["lon"], point["lat"], lg)
    pin = maps.pin_at(svc, point["lon"], point["lat"], draggable=True, label=t("map.pin", lg))
    by_hand = isinstance(picked, dict) and maps.picked_point(picked, svc.settings.tile_datum,
                                                             svc.settings.tile_url) == (point["lon"], point["lat"])
    view = no_update if by_hand else {"center": [pin.lat, pin.lon], "zoom": PICKED_ZOOM, "transition": "flyTo"}
    return pin_children(ids.INTAKE_MAP, pin), view, name or t("intake.where_outside", lg)
