"""The grid worker's patrol page: photo (previewed in the browser), place (phone or map tap), category, note.

The place is picked, not typed: "use my location" asks the phone (assets/32_phone.js), a tap on the map
lands on the map's click layer (geo/figures.py :func:`click_grid`); either way the server turns the point
into WGS84 (callbacks/map_click.py), names it (district › street › community › cell) and moves the pin.
"""
from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Input, Output, Patch, State, callback, clientside_callback, ctx, no_update
from flask_login import current_user

from callbacks import map_click
from callbacks.access import Forbidden, lang, services, user_with
from callbacks.pages import PageSpec, base_url
from dispatch.patrol import PatrolService
from geo.figures import CORE_CENTER, display_datum, pick_map, to_display
from geo.index import OutsideCityError
from i18n import t
from incidents.intake import IntakeError
from incidents.model import Role
from incidents.uploads import UploadError, decode_data_url, store_image
from layouts import ids
from layouts import report as report_layout

#: The map's view in CSS pixels on a phone (390 px wide less the page's padding; 260 px high): the click
#: layer covers it plus half a screen each side (geo.figures.CLICK_MARGIN).
MAP_VIEW_PX = (370, 260)
#: A community's cells fill the map: a 12 px step of the click layer is about 21 m here, a cell ~110 px.
REPORT_ZOOM = 15
#: Where the phone's position puts the map (closer than the start: the worker is standing there; a step
#: of the click layer is about 10 m).
GPS_ZOOM = 16


def datum(svc: Any) -> str:
    """The datum the map draws in (the tiles' or style's when one is set): the pin and the click layer
    must be in it, or a tap and its pin land apart."""
    st = svc.settings
    return display_datum(st.tile_datum, st.tile_url, getattr(st, "map_style_url", None))


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
    st = svc.settings
    user = getattr(current_user, "username", None) if current_user and current_user.is_authenticated else None
    fig = pick_map(None, base_url=base_url(), view_px=MAP_VIEW_PX, zoom=REPORT_ZOOM, center=home_center(svc, user),
                   tile_url=st.tile_url, datum=datum(svc), uirevision="report")
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


@callback(
    Output(ids.REPORT_LON, "data"), Output(ids.REPORT_LAT, "data"), Output(ids.REPORT_MAP, "figure"),
    Output(ids.REPORT_MAP_BOX, "children"), Output(ids.REPORT_PLACE, "children"), Output(ids.REPORT_GEO_ERROR, "children"),
    Input(ids.REPORT_MAP, "clickData"), Input(ids.REPORT_GPS, "data"), prevent_initial_call=True,
)
def place_pin(click: Any, gps: Any) -> tuple[Any, ...]:
    """A tap on the map (in the map's datum) or the phone's position (WGS84) becomes the report's point:
    stored, pinned, named. A tap moves only the pin; the phone's position draws a new map around it."""
    lg = lang()
    svc = services()
    st = svc.settings
    keep = (no_update,) * 5
    if ctx.triggered_id == ids.REPORT_GPS:
        if not isinstance(gps, dict) or gps.get("error") or gps.get("lon") is None:
            return *keep, t("mobile.report.geo_failed", lg)
        lon, lat = round(float(gps["lon"]), 6), round(float(gps["lat"]), 6)
    else:
        points = (click or {}).get("points") or []
        lon, lat = map_click.picked_point(points[0] if points else None, st.tile_datum, st.tile_url,
                                          getattr(st, "map_style_url", None))
        if lon is no_update:
            return *keep, no_update
    name = place_name(svc, lon, lat, lg)
    if name is None:
        return *keep, t("mobile.report.outside", lg)
    placed = t("mobile.report.placed", lg, place=name)
    if ctx.triggered_id == ids.REPORT_GPS:
        point = {"lon": lon, "lat": lat}
        fig = pick_map(point, base_url=base_url(), view_px=MAP_VIEW_PX, zoom=GPS_ZOOM, center=point,
                       tile_url=st.tile_url, datum=datum(svc), uirevision=f"gps-{gps.get('at')}")
        return lon, lat, no_update, report_layout.pick_graph(fig, key=f"gps-{gps.get('at')}"), placed, ""
    x, y = to_display([lon], [lat], datum(svc))
    fig = Patch()
    for trace in (1, 2):
        fig["data"][trace]["lon"] = x
        fig["data"][trace]["lat"] = y
    return lon, lat, fig, no_update, placed, ""


@callback(Output(ids.REPORT_MAP, "figure", allow_duplicate=True), Input(ids.REPORT_MAP, "relayoutData"),
          prevent_initial_call=True)
def follow_view(relayout: dict[str, Any] | None) -> Any:
    """After a pan or zoom the click layer is laid again over the new view, so taps keep landing on points."""
    return map_click.follow_view(relayout, MAP_VIEW_PX)


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
