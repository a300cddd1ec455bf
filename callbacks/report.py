"""The grid worker's patrol page: photo, location (phone or map tap), category, note, on the spot."""
from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback

from callbacks import map_click
from callbacks.access import Forbidden, lang, services, user_with
from callbacks.pages import PageSpec, base_url, severity_names
from dispatch.patrol import PatrolService
from geo.figures import CORE_CENTER, city_map, display_datum
from i18n import t
from incidents.intake import IntakeError
from incidents.model import Role
from incidents.uploads import UploadError, decode_data_url, store_image
from layouts import ids
from layouts import report as report_layout


def report_page(svc: Any, lang_: str) -> Any:
    categories = [{"label": f"{c.name(lang_)} · {c.large_name(lang_)}", "value": c.code} for c in svc.reference.get().taxonomy.all()]
    st = svc.settings
    fig = city_map([], severity_names(lang_), base_url=base_url(), dark=False, tile_url=st.tile_url,
                   center=CORE_CENTER, zoom=12, uirevision="report", datum=display_datum(st.tile_datum, st.tile_url))
    return report_layout.layout(lang_, fig, categories, max(svc.settings.upload_max_bytes // 1_000_000, 1))


PAGE = PageSpec("report", "/report", "CityOps · 巡查上报", report_page)
map_click.wire(ids.REPORT_MAP_CLICK, ids.REPORT_LON, ids.REPORT_LAT)

clientside_callback(
    ClientsideFunction("cityops", "geolocate"),
    Output(ids.REPORT_LON, "value"), Output(ids.REPORT_LAT, "value"), Output(ids.REPORT_GEO_ERROR, "children"),
    Input(ids.REPORT_LOCATE, "n_clicks"), prevent_initial_call=True,
)


@callback(Output(ids.REPORT_PHOTO_NAME, "children"), Input(ids.REPORT_PHOTO, "filename"), prevent_initial_call=True)
def photo_chosen(name: str | None) -> str:
    return t("report.photo_chosen", lang(), name=name) if name else ""


@callback(
    Output(ids.REPORT_RESULT, "children"), Input(ids.REPORT_SUBMIT, "n_clicks"),
    State(ids.REPORT_PHOTO, "contents"), State(ids.REPORT_LON, "value"), State(ids.REPORT_LAT, "value"),
    State(ids.REPORT_CATEGORY, "value"), State(ids.REPORT_NOTE, "value"), State(ids.REPORT_ONSPOT, "value"),
    prevent_initial_call=True,
)
def submit_patrol(_n: int, photo: str | None, lon: Any, lat: Any, category: str | None, note: str | None,
                  onspot: list[str] | None) -> str:
    """Check the photo, store it outside the web root, then one service call files the report."""
    lg = lang()
    try:
        user = user_with(Role.GRID_WORKER)
    except Forbidden:
        return t("error.forbidden", lg)
    svc = services()
    now = svc.clock()
    try:
        path = store_image(decode_data_url(photo, svc.settings.upload_max_bytes), svc.settings.uploads_dir, now) \
            if photo else None
        raw = {"category": category, "description": note, "lon": lon, "lat": lat}
        result = PatrolService(svc.dispatch).report(raw, user.actor, now, photo=path, onspot=bool(onspot),
                                                    note=note or "")
    except (UploadError, IntakeError) as e:
        return t(f"error.{e.code}", lg, **e.params)
    return t("report.done_onspot" if onspot else "report.done", lg, code=result.incident.code)
