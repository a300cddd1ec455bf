"""The grid worker's patrol page: photo (previewed in the browser), place (phone or map tap), category, note.

The place is picked, not typed: "use my location" asks the phone (assets/32_phone.js), a tap on the map
or a drag of the pin writes the point to the map's click store (assets/15_map.js); either way the server
turns the point into WGS84 (callbacks/maps.py), names it (district › street › community › cell) and moves
the pin.
"""
from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update
from flask_login import current_user

from callbacks import maps
from callbacks.access import Forbidden, lang, services, user_with
from callbacks.maps import map_base
from callbacks.pages import PageSpec
from dispatch.patrol import PatrolService
from geo.display import CORE_CENTER
from geo.index import OutsideCityError
from i18n import t
from incidents.intake import IntakeError
from incidents.model import Role
from incidents.uploads import UploadError, decode_data_url, store_image
from layouts import ids
from layouts import report as report_layout
from layouts.map import Pin, View, city_map, click_id, pin_children, pin_layer_id

#: A community's cells fill the map, its name shown.
REPORT_ZOOM = 15
#: Where the phone's position puts the map (closer than the start: the worker is standing there).
GPS_ZOOM = 16


def home_center(svc: Any, username: str | None) -> dict[str, float]:
    """The middle of the cells the routing rules give this grid worker (where the map should open: the
    worker reports in their own patch), or the city core for anyone without one."""
    prefixes = tuple(p for p, who in svc.reference.get().rules.grid_workers.items() if who == username)
    cells = [svc.grid.cell(c) for c in svc.grid.codes if prefixes and str(c).startswith(prefixes)]
    if not cells:
        return dict(CORE_CENTER)
    return {"lon": sum(c.lon for c in cells) / len(cells), "lat": sum(c.lat for c in cells) / len(cells)}


def report_page(svc: Any, lang_: str) -> Any:
    categories = [{"label": f"{c.name(lang_)} · {c.large_name(lang_)}", "value": c.code} for c in svc.reference.get().taxonomy.all()]
    user = getattr(current_user, "username", None) if current_user and current_user.is_authenticated else None
    home = home_center(svc, user)
    fig = city_map(ids.REPORT_MAP, map_base(svc), View(center=maps.display_point(svc, home["lon"], home["lat"]),
                                                       zoom=REPORT_ZOOM),
                   pin=Pin(draggable=True, label=t("map.pin", lang_)), clickable=True, class_name="report-map")
    return report_layout.layout(lang_, fig, categories, max(svc.settings.upload_max_bytes // 1_000_000, 1))


PAGE = PageSpec("report", "/report", "CityOps · 巡查上报", report_page)

clientside_callback(
    ClientsideFunction("cityops_phone", "locate"),
    Output(ids.REPORT_GPS, "data"), Input(ids.REPORT_LOCATE, "n_clicks"), prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("cityops_phone", "preview"),
    Output(ids.REPORT_PREVIEW, "src"), Output(ids.REPORT_PREVIEW, "hidden"),
    Input(ids.REPORT_PHOTO, "contents"), prevent_initial_call=True,
)


@callback(Output(ids.REPORT_PHOTO_NAME, "children"), Input(ids.REPORT_PHOTO, "filename"), prevent_initial_call=True)
def photo_chosen(name: str | None) -> str:
    return t("report.photo_chosen", lang(), name=name) if name else ""


def place_name(svc: Any, lon: float, lat: float, lg: str) -> str | None:
    """``district › street › community · cell 001`` of a WGS84 point, or None outside every cell."""
    try:
        c = svc.grid.cell(svc.grid.locate_one(lon, lat))
    except (OutsideCityError, KeyError):
        return None
    return f"{c.district_name} › {c.street_name} › {c.community_name} · " + t("mobile.report.cell", lg, cell=c.code[-3:])


maps.take_clicks(ids.REPORT_MAP)


@callback(
    Output(ids.REPORT_LON, "data"), Output(ids.REPORT_LAT, "data"), Output(pin_layer_id(ids.REPORT_MAP), "children"),
    Output(ids.REPORT_MAP, "viewport"), Output(ids.REPORT_PLACE, "children"), Output(ids.REPORT_GEO_ERROR, "children"),
    Input(click_id(ids.REPORT_MAP), "data"), Input(ids.REPORT_GPS, "data"), prevent_initial_call=True,
)
def place_pin(click: Any, gps: Any) -> tuple[Any, ...]:
    """A tap on the map or a dragged pin (in the map's datum) or the phone's position (WGS84) becomes the
    report's point: stored, pinned, named. The phone's position also brings the map to it."""
    lg = lang()
    svc = services()
    st = svc.settings
    keep = (no_update,) * 4
    if ctx.triggered_id == ids.REPORT_GPS:
        if not isinstance(gps, dict) or gps.get("error") or gps.get("lon") is None:
            return *keep, no_update, t("mobile.report.geo_failed", lg)
        lon, lat = round(float(gps["lon"]), 6), round(float(gps["lat"]), 6)
    else:
        lon, lat = maps.picked_point(click, st.tile_datum, st.tile_url)
        if lon is no_update:
            return *keep, no_update, no_update
    name = place_name(svc, lon, lat, lg)
    if name is None:
        return *keep, no_update, t("mobile.report.outside", lg)
    pin = maps.pin_at(svc, lon, lat, draggable=True, label=t("map.pin", lg))
    view = {"center": [pin.lat, pin.lon], "zoom": GPS_ZOOM, "transition": "flyTo"} \
        if ctx.triggered_id == ids.REPORT_GPS else no_update
    return lon, lat, pin_children(ids.REPORT_MAP, pin), view, t("mobile.report.placed", lg, place=name), ""


@callback(
    Output(ids.REPORT_RESULT, "children"), Output(ids.REPORT_PHOTO, "contents"), Output(ids.REPORT_PHOTO, "filename"),
    Output(ids.REPORT_NOTE, "value"), Output(ids.REPORT_ONSPOT, "checked"), Output(ids.REPORT_CATEGORY, "value"),
    Input(ids.REPORT_SUBMIT, "n_clicks"),
    State(ids.REPORT_PHOTO, "contents"), State(ids.REPORT_LON, "data"), State(ids.REPORT_LAT, "data"),
    State(ids.REPORT_CATEGORY, "value"), State(ids.REPORT_NOTE, "value"), State(ids.REPORT_ONSPOT, "checked"),
    prevent_initial_call=True,
)
def send(n: int, photo: str | None, lon: Any, lat: Any, category: str | None, note: str | None,
         onspot: bool | None) -> tuple[Any, ...]:
    """File the report; once stored, the photo, category, note and box are emptied for the next problem on the
    round (the place stays: the worker is still there). A refused report keeps what the worker entered."""
    message, stored = file_patrol(photo, lon, lat, category, note, onspot)
    return (message, None, None, "", False, None) if stored else (message, *(no_update,) * 5)


def submit_patrol(_n: int, photo: str | None, lon: Any, lat: Any, category: str | None, note: str | None,
                  onspot: bool | list[str] | None) -> str:
    """The answer to one press of 上报 (what :func:`send` shows)."""
    return file_patrol(photo, lon, lat, category, note, onspot)[0]


def file_patrol(photo: str | None, lon: Any, lat: Any, category: str | None, note: str | None,
                onspot: bool | list[str] | None) -> tuple[str, bool]:
    """Check the photo, store it outside the web root, then one service call files the report; the message
    and whether it was stored."""
    lg = lang()
    try:
        user = user_with(Role.GRID_WORKER)
    except Forbidden:
        return t("error.forbidden", lg), False
    svc = services()
    now = svc.clock()
    try:
        path = store_image(decode_data_url(photo, svc.settings.upload_max_bytes), svc.settings.uploads_dir, now) \
            if photo else None
        raw = {"category": category, "description": note, "lon": lon, "lat": lat}
        result = PatrolService(svc.dispatch).report(raw, user.actor, now, photo=path, onspot=bool(onspot),
                                                    note=note or "")
    except (UploadError, IntakeError) as e:
        return t(f"error.{e.code}", lg, **e.params), False
    return t("report.done_onspot" if onspot else "report.done", lg, code=result.incident.code), True
