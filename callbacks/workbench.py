"""The handler workbench: my queue, an incident's detail, and acknowledge / return / extension / resolve.

Every callback checks the caller's role on the server and the service checks that the incident is the
caller's own (``dispatch.handling.may_handle``); pushes on the user's and department's rooms (the
broadcaster's "assignment" event) show a toast and refresh the queue.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update
from flask_login import current_user

from callbacks.access import Forbidden, act_on_selection, lang, services, user_with
from callbacks.maps import map_base, pin_at
from callbacks.pages import PageSpec
from callbacks.risk_column import risk_labels
from dispatch.handling import HandlingError, Photo
from i18n import t
from incidents.photo_hash import position_of
from incidents.access import actions_for
from incidents.model import Role
from incidents.store import NotFoundError
from layouts import ids
from layouts import workbench as view
from layouts.map import View, city_map

HANDLERS = (Role.DEPT_HANDLER, Role.GRID_WORKER, Role.DEPT_HEAD)

PAGE = PageSpec("workbench", "/workbench", "CityOps · 处置工作台", lambda services, lang: view.workbench(lang))


def local(dt: datetime | None, tz: Any) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "–"


def countdown(deadline: datetime | None, now: datetime, lg: str) -> str:
    """Time left to the deadline (or overdue by), in hours and minutes of wall time."""
    if deadline is None:
        return "–"
    minutes = int((deadline - now).total_seconds() // 60)
    key = "workbench.left" if minutes >= 0 else "workbench.overdue_by"
    h, m = divmod(abs(minutes), 60)
    return t(key, lg, h=h, m=m)


def where(svc: Any, incident: Any) -> str:
    """The address as reported, else the cell's place in names (a handler reads 铁西区 › 第1街道 › 第1社区,
    not a 15-digit code), else the code."""
    if incident.address:
        return str(incident.address)
    try:
        c = svc.grid.cell(incident.grid)
    except (KeyError, TypeError):
        return str(incident.grid or "–")
    return f"{c.district_name} › {c.street_name} › {c.community_name}"


@callback(Output(ids.WB_GRID, "rowData"), Input(ids.WB_VERSION, "data"))
def show_queue(_version: int) -> list[dict[str, Any]]:
    lg = lang()
    try:
        user = user_with(*HANDLERS)
    except Forbidden:
        return []
    svc = services()
    ref, now, tz = svc.reference.get(), svc.clock(), svc.settings.tz
    queue = svc.handling.queue(user.actor)
    risk = risk_labels(getattr(svc, "analytics", None), now, [i.code for i in queue], lg)
    return [{
        "code": i.code, "category": ref.taxonomy.get(i.category).name(lg), "address": where(svc, i),
        "deadline": local(i.deadline, tz), "countdown": countdown(i.deadline, now, lg),
        "state": t(f"state.{i.state.value}", lg), "risk": risk[i.code],
    } for i in queue]


@callback(Output(ids.WB_CARDS, "children"), Input(ids.WB_GRID, "rowData"))
def show_cards(rows: list[dict[str, Any]] | None) -> Any:
    """The same queue as cards, for a phone (the stylesheet shows one or the other by the screen's width)."""
    return view.cards(lang(), rows or [])


# A grid row or a card picks the assignment (in the browser: no round trip before the detail is asked for).
clientside_callback(ClientsideFunction("cityops_phone", "pickRow"), Output(ids.WB_PICKED, "data"),
                    Input(ids.WB_GRID, "selectedRows"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("cityops_phone", "pickCard"), Output(ids.WB_PICKED, "data", allow_duplicate=True),
                    Input({"type": ids.WB_CARD, "code": ALL}, "n_clicks"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("cityops_phone", "markCard"), Output({"type": ids.WB_CARD, "code": ALL}, "className"),
                    Input(ids.WB_PICKED, "data"), State({"type": ids.WB_CARD, "code": ALL}, "id"))
clientside_callback(ClientsideFunction("cityops_phone", "previews"), Output(ids.WB_PREVIEW, "children"),
                    Input(ids.WB_PHOTOS, "contents"), State(ids.WB_PHOTOS, "filename"))


#: The workbench's buttons and the action each takes (``extension`` writes an extension request).
BUTTON_ACTIONS = {"acknowledge": "acknowledge", "return": "return", "extension": "extension_request",
                  "resolve": "resolve"}


@callback(Output(ids.WB_DETAIL, "children"), Output(ids.WB_SELECTED, "data"),
          *[Output(ids.wb_action(a), "disabled") for a in ids.WB_ACTIONS],
          Input(ids.WB_PICKED, "data"), Input(ids.WB_VERSION, "data"))
def on_pick(rows: list[dict[str, Any]] | None, version: int) -> tuple[Any, ...]:
    """The picked assignment's detail, and only the buttons of what the user may do to it now (the lifecycle
    table and the access policy decide) enabled — in the same answer, so no click lands on a stale button."""
    detail, selected, incident = pick(rows)
    allowed = set(actions_for(current_user.actor, incident)) if incident is not None else set()
    return (detail, selected, *[BUTTON_ACTIONS[a] not in allowed for a in ids.WB_ACTIONS])


def show_detail(rows: list[dict[str, Any]] | None, _version: int) -> tuple[Any, Any]:
    """The picked assignment's detail and its ``code@version`` (what the action callbacks act on)."""
    detail, selected, _incident = pick(rows)
    return detail, selected


def pick(rows: list[dict[str, Any]] | None) -> tuple[Any, str | None, Any]:
    """The detail view, ``code@version`` and the incident read once for both, or why not (no incident)."""
    lg = lang()
    try:
        user = user_with(*HANDLERS)
    except Forbidden:
        return t("error.forbidden", lg), None, None
    if not rows:
        return t("workbench.pick", lg), None, None
    svc = services()
    try:
        incident, events = svc.handling.detail(rows[0]["code"], user.actor)
    except (HandlingError, NotFoundError):
        return t("handling.error.not_yours", lg), None, None
    return detail_view(svc, incident, events, lg), f"{incident.code}@{incident.version}", incident


def detail_view(svc: Any, incident: Any, events: list[Any], lg: str) -> Any:
    tz, ref = svc.settings.tz, svc.reference.get()
    fields = [("code", incident.code), ("category", ref.taxonomy.get(incident.category).name(lg)),
              ("address", where(svc, incident)), ("deadline", local(incident.deadline, tz)),
              ("state", t(f"state.{incident.state.value}", lg)), ("description", incident.description)]
    timeline = []
    photos = []
    for e in events:
        p = e.payload or {}
        step = p.get("step") if e.action == "escalate" else None
        what = t(f"action.{e.action}", lg) + (" · " + t(f"escalation.{step}", lg) if step else "")
        timeline.append((local(e.at, tz), e.actor, what, str(p.get("reason") or p.get("note") or "")))
        photos += [f"/uploads/{incident.code}/{name}" for name in p.get("photos") or []
                   if isinstance(name, str) and svc.handling.photo_file(incident.code, name) is not None]
    return view.detail(lg, fields, timeline, photos, pin_figure(svc, incident, lg))


#: The workbench's map (one case is shown at a time).
WB_LEAFLET = "wb-map-leaflet"
#: Close enough to see the street the case is on, far enough to see where that is.
PIN_ZOOM = 15


def pin_figure(svc: Any, incident: Any, lg: str) -> Any:
    """The assignment's pin on our own layers, centred on it, its streets named (None without a point)."""
    if incident.lon is None or incident.lat is None:
        return None
    pin = pin_at(svc, incident.lon, incident.lat, label=t("mobile.wb.where", lg))
    return city_map(WB_LEAFLET, map_base(svc), View(center=(pin.lon, pin.lat), zoom=PIN_ZOOM), pin=pin,
                    class_name="wb-map", scroll_zoom=False)


@callback(Output(ids.WB_PHOTO_NAMES, "children"), Input(ids.WB_PHOTOS, "filename"), prevent_initial_call=True)
def show_photo_names(names: list[str] | None) -> str:
    return ", ".join(names or [])


@callback(
    Output(ids.WB_MESSAGE, "children"), Output(ids.WB_VERSION, "data", allow_duplicate=True),
    Output(ids.WB_PHOTOS, "contents"), Output(ids.WB_PHOTOS, "filename"), Output(ids.WB_TEXT, "value"),
    [Input(ids.wb_action(a), "n_clicks") for a in ids.WB_ACTIONS],
    State(ids.WB_SELECTED, "data"), State(ids.WB_TEXT, "value"), State(ids.WB_HOURS, "value"),
    State(ids.WB_PHOTOS, "contents"), State(ids.WB_PHOTOS, "filename"), State(ids.WB_VERSION, "data"),
    State(ids.WB_PHOTO_POSITION, "data"),
    prevent_initial_call=True,
)
def act(*args: Any) -> tuple[Any, ...]:
    """An action done empties the note and the photos for the next one; a refused one keeps them."""
    selected, text, hours, contents, names, version, position = args[len(ids.WB_ACTIONS):]
    action = str(ctx.triggered_id or "").removeprefix("wb-")
    done: list[bool] = []
    message, bumped = handle(action, selected, text, hours, contents, names, version, position=position, done=done)
    return (message, bumped, None, None, "") if done else (message, bumped, no_update, no_update, no_update)


def handle(action: str, selected: str | None, text: str | None, hours: Any, contents: list[str] | None,
           names: list[str] | None, version: int | None, *, position: Any = None,
           done: list[bool] | None = None) -> tuple[str, Any]:
    """One handler action on the incident at the version the handler saw; errors become messages.
    ``position``: where the browser said the device was when the photos were picked (kept with them);
    ``done`` gets ``True`` appended when the action went through."""
    def run(user: Any, svc: Any, code: str, seen: int) -> str:
        if action == "extension":
            svc.handling.request_extension(code, user.actor, seen, svc.clock(), hours, text)
        else:
            svc.handling.act(code, action, user.actor, seen, svc.clock(), text=text,
                             photos=decode_photos(contents, names), position=position_of(position))
        if done is not None:
            done.append(True)
        return t("workbench.done", lang(), code=code, action=t(f"workbench.action.{action}", lang()))

    return act_on_selection(selected, version, HANDLERS, run, keyed_alone=True)


def decode_photos(contents: list[str] | None, names: list[str] | None) -> list[Photo]:
    """dcc.Upload's data URLs → bytes; the declared type is ignored (the service checks the bytes)."""
    out = []
    for i, data_url in enumerate(contents or []):
        try:
            data = base64.b64decode(data_url.split(",", 1)[1], validate=True)
        except (IndexError, binascii.Error):
            raise HandlingError("photo_type") from None
        out.append(Photo((names or [""] * (i + 1))[i] if names and i < len(names) else "", data))
    return out


@callback(Output(ids.WB_TOAST, "children"), Output(ids.WB_VERSION, "data", allow_duplicate=True),
          Input(ids.WB_SOCKET, "data-assignment"), State(ids.WB_VERSION, "data"), prevent_initial_call=True)
def on_push(message: dict[str, Any] | None, version: int | None) -> tuple[Any, Any]:
    """A new assignment or escalation in my rooms: say so and refresh the queue."""
    lg = lang()
    try:
        user_with(*HANDLERS)
    except Forbidden:
        return no_update, no_update
    if not message:
        return no_update, no_update
    step = (message.get("payload") or {}).get("step")
    action = t(f"action.{message.get('action')}", lg) + (" · " + t(f"escalation.{step}", lg) if step else "")
    return t("workbench.toast", lg, code=message.get("incident", {}).get("code", ""), action=action), (version or 0) + 1


def register_photo_route(server: Any) -> None:
    """Photos are served only here: logged in, allowed to see the incident, by a name we wrote, with a
    fixed image Content-Type and ``nosniff`` — never from the web root."""
    from flask import abort, send_file
    from flask_login import current_user

    @server.route("/uploads/<code>/<name>")
    def uploaded_photo(code: str, name: str) -> Any:
        if not current_user.is_authenticated:
            abort(401)
        svc = server.extensions["cityops"]
        try:
            svc.handling.detail(code, current_user.actor)
        except (HandlingError, NotFoundError):
            abort(404)
        found = svc.handling.photo_file(code, name)
        if found is None:
            abort(404)
        resp = send_file(found[0], mimetype=found[1], max_age=3600)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Content-Security-Policy"] = "default-src 'none'"
        resp.headers["Content-Disposition"] = "inline"
        return resp
