"""Page builders: fetch what a page needs from the services and hand it to the pure layouts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from dash import html
from dash_leaflet import LayerGroup

from callbacks.maps import base_url, datum_of, display_point, geography_version, map_base, pin_at

from geo.display import CELL_SCALE, CORE_CENTER, OVERDUE_COLOR, SEVERITIES, SEVERITY_COLORS, layer_url
from i18n import t
from incidents.events import EVENT_ACTIONS
from incidents.model import OPEN_STATES, State
from layouts import ids
from layouts import intake as intake_layout
from layouts import map as map_view
from layouts import wall as wall_layout

#: The ticker's rows, each shown at least TICKER_DWELL_S seconds (assets/21_wall_lane.js paces them).
TICKER_ROWS = 6
TICKER_DWELL_S = 10
#: Alerts shown in the wall's alert lane; more are summed up as "+k".
ALERT_LANE_SIZE = 3
FOCUS_SIZE = 6  # rows of a focus panel: as many as fit its slot at 16:9 (assets/10_wall.css)
#: Breach risk's ring on the wall (Okabe–Ito yellow).
RISK_COLOR = "#F0E442"


@dataclass(frozen=True)
class PageSpec:
    """A page: its Dash name, path, window title and ``build(services, lang)`` giving the layout.

    A ``callbacks/<page>.py`` module that defines ``PAGE = PageSpec(...)`` is registered by app.py;
    which roles may open it is ``auth.roles.PAGE_ROLES[path]``.
    """

    name: str
    path: str
    title: str
    build: Callable[..., Any]
    #: a path with variables (``/case/<code>``): they reach ``build`` as keyword arguments
    template: str | None = None


def department_options(ref: Any, lang: str) -> list[dict[str, str]]:
    """Departments for a dropdown: the name people read, the code after it (both searchable)."""
    return [{"label": f"{d.name(lang)} · {d.code}", "value": d.code} for d in ref.departments.values()]


def category_options(ref: Any, lang: str) -> list[dict[str, str]]:
    """Small classes for a dropdown: the name, its large class, the code last (all searchable)."""
    return [{"label": f"{c.name(lang)} · {c.large_name(lang)} · {c.code}", "value": c.code} for c in ref.taxonomy.all()]


def severity_names(lang: str) -> dict[str, str]:
    return {s: t(f"severity.{s}", lang) for s in SEVERITIES} | {"overdue": t("wall.overdue", lang)}


def wall_labels(services: Any, lang: str) -> dict[str, Any]:
    """Everything the browser needs to turn pushed codes into words, in the page's language."""
    ref = services.reference.get()
    return {
        "lang": lang,
        "actions": {a: t(f"action.{a}", lang) for a in sorted(EVENT_ACTIONS)},
        "categories": {c.code: c.name(lang) for c in ref.taxonomy.all()},
        "departments": {d.code: d.name(lang) for d in ref.departments.values()},
        "states": {s.value: t(f"state.{s.value}", lang) for s in State},
        "severity_names": {s: t(f"severity.{s}", lang) for s in SEVERITIES},
        "open_states": sorted(s.value for s in OPEN_STATES),
        "connected": t("wall.connected", lang),
        "disconnected": t("wall.disconnected", lang),
        "overdue": t("wall.overdue", lang),
        "at_risk": t("wall_risk.at_risk", lang), "risk_color": RISK_COLOR,  # breach risk
        "alert_title": t("wall.alert.title", lang),
        "alert_hint": t("wall.alert.hint", lang),
        "card": {k: t(f"wall.card.{k}", lang) for k in ("category", "severity", "state", "department",
                                                          "deadline", "address", "reported_at", "close")},
        "replay_done": t("wall.replay.done", lang),
        "ticker_rows": TICKER_ROWS, "ticker_dwell_s": TICKER_DWELL_S, "ticker_more": t("wall_lane.ticker_more", lang),
        "alert_lane_size": ALERT_LANE_SIZE, "alert_more": t("wall_lane.alert_more", lang),
        "mix_size": 8,
        "ranking_size": FOCUS_SIZE,  # the ranking is one of the focus panels, in the same slot
        "tz": services.settings.timezone,
        "severities": list(SEVERITIES),
        "kpi_keys": ["intake_today", "open", "overdue", "closed_today", "ontime_rate"],
        "ranking_empty": t("wall.ranking_empty", lang),
        "focus": focus_labels(services, lang),
        # The wall fills its map's incident and cell layers in the browser (assets/20_wall.js).
        "severity_colors": dict(SEVERITY_COLORS), "overdue_color": OVERDUE_COLOR,
        "cell_ramp": [CELL_SCALE[0][1], CELL_SCALE[-1][1]],
        "cells_url": layer_url(base_url(), "grids-core", datum_of(services.settings), geography_version(services)),
    }


def focus_labels(services: Any, lang: str) -> dict[str, Any]:
    """The focus slot's settings and words. The browser computes each panel from its own model (no
    query per rotation), so the words come as templates it fills in (``{n}``, ``{t}``, ...)."""
    st = services.settings
    titles = {p: t(f"wall_focus.title.{p}", lang) for p in ("overdue", "risk", "cells")}
    keys = ("none", "cell_name", "cell_open", "cell_overdue", "overdue_by", "risk_left", "risk_past", "days",
            "hours", "minutes")
    return {
        "cycle_s": st.wall_focus_cycle_s,
        "panels": st.wall_focus_panel_list,
        "size": FOCUS_SIZE,
        "titles": titles | {"ranking": t("wall.ranking", lang)},
        "text": {k: t(f"wall_focus.{k}", lang) for k in keys},
        "districts": {str(code): name for code, name in services.grid.districts.items()},
    }


#: About the zoom the city core fills a 1080p wall's map at, and the prefecture its inset (each map fits its
#: bounds; these only name the scale the page's CSS starts from).
WALL_ZOOM, INSET_ZOOM = 12.0, 7.0
#: The urban districts (铁西区, 铁东区): where most cases are, so the wall opens with them filling its map.
CORE_DISTRICTS = ("220302", "220303")


def wall_maps(services: Any, lang: str) -> list[Any]:
    """The wall's map on the city core (the urban districts' cells fill it) and an inset of the whole
    prefecture with the core's frame; the browser fills both with the open cases (assets/20_wall.js)."""
    from dash_leaflet import GeoJSON, Pane, Rectangle

    base = map_base(services, dark=True)
    core = core_bounds(services)
    hide = {"colors": dict(SEVERITY_COLORS), "overdue_color": OVERDUE_COLOR, "risk_color": RISK_COLOR,
            "ramp": [CELL_SCALE[0][1], CELL_SCALE[-1][1]], "scale": 1}
    clusters = {"radius": 36, "maxZoom": 15}
    main = map_view.city_map(
        ids.WALL_MAP, base, map_view.View(bounds=core, zoom=WALL_ZOOM, extras={"zoomControl": False, "boundsOptions": {"padding": [8, 8]}}),
        layers=("districts", "streets", "communities", "labels"), class_name="wall-map-graph",
        overlays=[Pane(GeoJSON(id=ids.WALL_CELLS, data=EMPTY, style={"variable": "cityops.map.cellStyle"},
                               hideout=hide, interactive=False), name="wall-cells", style={"zIndex": 390}),
                  Pane(GeoJSON(id=ids.WALL_INCIDENTS, data=EMPTY, cluster=True, superClusterOptions=clusters,
                               zoomToBoundsOnClick=True, pointToLayer={"variable": "cityops.map.incident"},
                               clusterToLayer={"variable": "cityops.map.cluster"}, hideout=hide),
                       name="wall-incidents", style={"zIndex": 650})])
    inset = map_view.city_map(
        ids.WALL_INSET, base, map_view.View(bounds=prefecture_bounds(services), zoom=INSET_ZOOM, extras={
            "zoomControl": False, "dragging": False, "doubleClickZoom": False, "boxZoom": False, "keyboard": False,
            "touchZoom": False, "boundsOptions": {"padding": [4, 4]}}),
        layers=("districts", "labels"), scroll_zoom=False, class_name="wall-inset-map",
        overlays=[Rectangle(bounds=core, className="wall-inset-core", interactive=False),
                  GeoJSON(id=ids.WALL_INSET_INCIDENTS, data=EMPTY, cluster=True,
                          superClusterOptions={"radius": 60, "maxZoom": 9},
                          pointToLayer={"variable": "cityops.map.incident"},
                          clusterToLayer={"variable": "cityops.map.cluster"}, hideout=hide | {"scale": 0.7})])
    return [main, html.Div([html.Div(t("map.inset_title", lang), className="wall-inset-title"), inset],
                           className="wall-inset", role="img", **{"aria-label": t("map.inset_label", lang)})]


EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}


def core_bounds(services: Any) -> list[list[float]]:
    """The city core's frame: the urban districts' unit-grid cells of the "core" kind (their built-up
    area, not the farmland a district also holds), in the display datum."""
    cells = [c for c in services.grid.cells if str(c.code)[:6] in CORE_DISTRICTS and c.kind == "core"]
    lons, lats = [c.lon for c in cells] or [CORE_CENTER["lon"]], [c.lat for c in cells] or [CORE_CENTER["lat"]]
    return _display_bounds(services, min(lons), min(lats), max(lons), max(lats))


def prefecture_bounds(services: Any) -> list[list[float]]:
    cells = services.grid.cells
    return _display_bounds(services, min(c.lon for c in cells), min(c.lat for c in cells),
                           max(c.lon for c in cells), max(c.lat for c in cells))


def _display_bounds(services: Any, west: float, south: float, east: float, north: float) -> list[list[float]]:
    (w, s), (e, n) = display_point(services, west, south), display_point(services, east, north)
    return [[round(s, 5), round(w, 5)], [round(n, 5), round(e, 5)]]


def wall_page(services: Any, lang: str) -> Any:
    return wall_layout.layout(lang, wall_maps(services, lang), wall_labels(services, lang))


def intake_page(services: Any, lang: str) -> Any:
    ref = services.reference.get()
    categories = category_options(ref, lang)
    return intake_layout.layout(lang, console_map(services, lang), categories)


#: The console map's zoom on a picked point: the streets around it.
PICKED_ZOOM = 16.0
#: The console's first view: the urban core, its streets named.
CONSOLE_ZOOM = 12.5
#: The console map's layer of likely duplicates (filled when a new report has some).
CONSOLE_DUPLICATES = "intake-map-duplicates"


def console_map(services: Any, lang: str, point: dict[str, float] | None = None) -> Any:
    """The console's map: the urban core (or the picked point, WGS84, with its pin), clicks pick a point,
    the pin can be dragged to adjust it."""
    view = (map_view.View(center=display_point(services, point["lon"], point["lat"]), zoom=PICKED_ZOOM) if point
            else map_view.View(center=(CORE_CENTER["lon"], CORE_CENTER["lat"]), zoom=CONSOLE_ZOOM))
    pin = pin_at(services, *((point["lon"], point["lat"]) if point else (None, None)), draggable=True,
                 label=t("map.pin", lang))
    return map_view.city_map(ids.INTAKE_MAP, map_base(services), view, pin=pin, clickable=True,
                             overlays=[LayerGroup(id=CONSOLE_DUPLICATES)], class_name="intake-map-graph")


__all__ = ["PageSpec", "console_map", "intake_page", "wall_page"]
