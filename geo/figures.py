"""Offline map figures: our own GeoJSON layers on a blank style, optional internal raster tiles.

Plotly's map traces fetch a style (and font glyphs for text markers) from the internet unless told
otherwise; on an isolated government network the map would stay blank. So the style is always set
explicitly (``white-bg`` recoloured, or the internal tile server's raster layer) and no trace draws text.

Datum: our coordinates are WGS84, but an internal tile server in China usually serves GCJ-02 tiles
(``CITYOPS_TILE_DATUM=gcj02``). Everything drawn over such tiles — the served GeoJSON layers, the incident
markers and the features pushed to the wall — is shifted to the display datum here (:func:`display_datum`,
:func:`to_display`, :func:`display_features`, :func:`layer_data`), so stored data never changes datum.
Without tiles or a style every layer is our own WGS84 GeoJSON and nothing is shifted.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import plotly.graph_objects as go

from geo.crs import gcj02_to_wgs84, wgs84_to_gcj02

DATA = Path(__file__).resolve().parent.parent / "data" / "siping"
CITY_CENTER = {"lon": 124.55, "lat": 43.43}
CORE_CENTER = {"lon": 124.365, "lat": 43.165}
#: Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
SEVERITY_COLORS = {"urgent": "#D55E00", "high": "#E69F00", "normal": "#56B4E9"}
SEVERITIES = ("urgent", "high", "normal")


#: Datums a base map may be drawn in (``CITYOPS_TILE_DATUM``).
DATUMS = ("wgs84", "gcj02")


def display_datum(tile_datum: str, *basemaps: str | None) -> str:
    """The datum maps draw in: the tile server's (or style's) when one is configured, else WGS84 —
    without a base map all layers are our own WGS84 GeoJSON and shifting them would only misplace them."""
    if tile_datum not in DATUMS:
        raise ValueError(f"unknown map datum {tile_datum!r}; expected one of {DATUMS}")
    return tile_datum if any(basemaps) else "wgs84"


def to_display(lons: Iterable[float], lats: Iterable[float], datum: str) -> tuple[list[float], list[float]]:
    """WGS84 points → the display datum (vectorised), as plain lists for a figure or a JSON push."""
    lons, lats = list(lons), list(lats)
    if datum == "wgs84" or not lons:
        return lons, lats
    if datum != "gcj02":
        raise ValueError(f"unknown map datum {datum!r}")
    x, y = wgs84_to_gcj02(lons, lats)
    return [round(float(v), 7) for v in x], [round(float(v), 7) for v in y]


def from_display(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """A point picked on a map drawn in ``datum`` → WGS84, the datum the store keeps (6 decimals ≈ 0.1 m).

    Why: over GCJ-02 tiles a click lands a few hundred metres from the WGS84 point the operator meant;
    the form must carry the WGS84 point, or the incident is filed in the wrong grid."""
    if datum == "wgs84":
        return round(float(lon), 6), round(float(lat), 6)
    if datum != "gcj02":
        raise ValueError(f"unknown map datum {datum!r}")
    x, y = gcj02_to_wgs84(float(lon), float(lat))
    return round(float(x), 6), round(float(y), 6)


def display_features(features: Iterable[Mapping[str, Any]], datum: str) -> list[dict[str, Any]]:
    """Copies of map features (dicts with ``lon``/``lat`` in WGS84) with the point in the display datum;
    features without a point pass unchanged."""
    features = [dict(f) for f in features]
    if datum == "wgs84":
        return features
    located = [f for f in features if f.get("lon") is not None and f.get("lat") is not None]
    lons, lats = to_display([f["lon"] for f in located], [f["lat"] for f in located], datum)
    for f, x, y in zip(located, lons, lats):
        f["lon"], f["lat"] = x, y
    return features


def layer_url(base_url: str, name: str, datum: str = "wgs84", version: int | None = None) -> str:
    """Where the browser fetches layer ``name`` in ``datum`` (served by app.py's ``/geo/<name>.geojson``);
    ``version``: the geography's, so a browser's cached copy is not used once a new geography is imported."""
    query = [f"datum={datum}"] if datum != "wgs84" else []
    query += [f"v={version}"] if version is not None else []
    return f"{base_url}/geo/{name}.geojson" + ("?" + "&".join(query) if query else "")


@lru_cache(maxsize=None)
def geojson(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def core_grids() -> dict[str, Any]:
    """Only the urban core's ~200 m cells: the rural 2 km cells add weight but no information."""
    g = geojson("grids.geojson")
    return {"type": "FeatureCollection", "features": [f for f in g["features"] if f["properties"]["kind"] == "core"]}


#: Layer names → the file each is served from (``/geo/<name>.geojson``); the figure only names the URL,
#: so a 1 MB grid layer is fetched once by the browser and cached, not shipped in every figure.
LAYER_FILES = {"districts": "districts.geojson", "grids-core": None, "grids": "grids.geojson"}


def layer_data(name: str, datum: str = "wgs84") -> dict[str, Any]:
    """A served layer in ``datum`` (KeyError for an unknown layer or datum; converted once, cached)."""
    if name not in LAYER_FILES or datum not in DATUMS:
        raise KeyError(name)
    if datum != "wgs84":
        return _shifted_layer(name, datum)
    return core_grids() if name == "grids-core" else geojson(LAYER_FILES[name] or "")


@lru_cache(maxsize=None)
def _shifted_layer(name: str, datum: str) -> dict[str, Any]:
    return shift_collection(layer_data(name), datum)


def shift_collection(collection: Mapping[str, Any], datum: str) -> dict[str, Any]:
    """A copy of a (Multi)Polygon/LineString/Point FeatureCollection with every coordinate moved to
    ``datum`` in one vectorised pass (the WGS84 original is left as it was)."""
    import numpy as np

    out = json.loads(json.dumps(collection))
    if datum == "wgs84":
        return out
    rings: list[list[list[float]]] = []

    def collect(coords: Any) -> None:
        if coords and isinstance(coords[0], (int, float)):
            rings.append([coords])  # a Point: wrap so it is shifted in place below
        elif coords and isinstance(coords[0][0], (int, float)):
            rings.append(coords)
        else:
            for c in coords:
                collect(c)

    for f in out["features"]:
        collect(f["geometry"]["coordinates"])
    flat = [p for ring in rings for p in ring]
    if flat:
        arr = np.asarray([p[:2] for p in flat], dtype=np.float64)
        x, y = wgs84_to_gcj02(arr[:, 0], arr[:, 1])
        for p, a, b in zip(flat, x, y):
            p[0], p[1] = round(float(a), 7), round(float(b), 7)
    return out


def base_layers(dark: bool, base_url: str, tile_url: str | None = None, grids: str = "grids-core",
                datum: str = "wgs84") -> list[dict[str, Any]]:
    """Tiles (when an internal server exists), grid cells, district outlines — all below the incidents.

    Dark without tiles: a dark fill under everything, since ``white-bg`` is a blank white style. Our layers
    are fetched in ``datum`` (the tiles' datum, see :func:`display_datum`).
    """
    line = "#8fa3bf" if dark else "#5b6b80"
    cell = "rgba(143,163,191,0.35)" if dark else "rgba(91,107,128,0.35)"
    layers: list[dict[str, Any]] = []
    if tile_url:
        layers.append(dict(below="traces", sourcetype="raster", source=[tile_url]))
    elif dark:
        layers.append(dict(sourcetype="geojson", source=_world_box(), type="fill", color="#0b1220", below="traces"))
    layers.append(dict(sourcetype="geojson", source=layer_url(base_url, grids, datum), type="line", color=cell,
                       line={"width": 0.6}, below="traces"))
    layers.append(dict(sourcetype="geojson", source=layer_url(base_url, "districts", datum), type="line",
                       color=line, line={"width": 2.5}, below="traces"))
    return layers


OVERDUE_COLOR = "#CC79A7"


def incidents_traces(incidents: Iterable[Mapping[str, Any]], names: Mapping[str, str],
                     datum: str = "wgs84") -> list[go.Scattermap]:
    """One trace per severity in :data:`SEVERITIES` order, then a halo trace over the overdue ones.

    The order is fixed so a browser can patch trace ``i`` in place when a push arrives. Points are
    drawn in ``datum`` (WGS84 in, shifted by :func:`display_features`).
    """
    incidents = display_features(incidents, datum)
    by: dict[str, list[Mapping[str, Any]]] = {s: [] for s in SEVERITIES}
    for i in incidents:
        by.setdefault(i["severity"], []).append(i)
    traces = []
    for sev in SEVERITIES:
        rows = by[sev]
        traces.append(go.Scattermap(
            lon=[r["lon"] for r in rows], lat=[r["lat"] for r in rows], customdata=[r["code"] for r in rows],
            mode="markers", name=names.get(sev, sev),
            marker={"size": 9 if sev != "urgent" else 12, "color": SEVERITY_COLORS[sev], "opacity": 0.9},
            hovertemplate="%{customdata}<extra>" + names.get(sev, sev) + "</extra>",
        ))
    late = [i for i in incidents if i.get("overdue")]
    traces.append(go.Scattermap(
        lon=[r["lon"] for r in late], lat=[r["lat"] for r in late], customdata=[r["code"] for r in late],
        mode="markers", name=names.get("overdue", "overdue"),
        marker={"size": 20, "color": OVERDUE_COLOR, "opacity": 0.55},
        hovertemplate="%{customdata}<extra>" + names.get("overdue", "overdue") + "</extra>",
    ))
    return traces


def city_map(
    incidents: Iterable[Mapping[str, Any]], names: Mapping[str, str], *, base_url: str, dark: bool = True,
    tile_url: str | None = None, center: Mapping[str, float] = CITY_CENTER, zoom: float = 7.4,
    uirevision: str = "map", datum: str = "wgs84",
) -> go.Figure:
    """The Siping map: district outlines, core grid cells and incidents coloured by severity, in ``datum``
    (the tiles'; see :func:`display_datum`)."""
    fig = go.Figure(incidents_traces(incidents, names, datum))
    c = to_display([center["lon"]], [center["lat"]], datum)
    fig.update_layout(
        map={"style": "white-bg", "layers": base_layers(dark, base_url, tile_url, datum=datum),
             "center": {"lon": c[0][0], "lat": c[1][0]}, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=True, uirevision=uirevision,
        paper_bgcolor="#0b1220" if dark else "#ffffff", font={"color": "#e6edf6" if dark else "#1b2430"},
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(11,18,32,0.6)" if dark else "rgba(255,255,255,0.7)"},
    )
    return fig


#: Grid cells shaded by open count: dark blue to sky blue, readable under the Okabe–Ito markers.
CELL_SCALE = [[0.0, "#1d3557"], [0.5, "#2f6f9f"], [1.0, "#8fd0f5"]]


#: The wall's own blank style: a dark ground as the style's background layer. A full-map fill layer (the
#: ``_world_box`` of :func:`base_layers`) costs the GPU-less wall a full-screen pass per frame on top of it.
#: At zoom 10.5 a 300 m cell is ~4 px wide in Siping (43.2° N).
GRID_LINES_MINZOOM = 10.5
WALL_STYLE: dict[str, Any] = {"version": 8, "sources": {}, "layers": [
    {"id": "wall-ground", "type": "background", "paint": {"background-color": "#0b1220"}}]}


def wall_map(
    names: Mapping[str, str], *, base_url: str, tile_url: str | None = None, style_url: str | None = None,
    center: Mapping[str, float] = CITY_CENTER, zoom: float = 7.9, datum: str = "wgs84",
) -> go.Figure:
    """The wall's map: the base layers only (tiles or our dark ground, grid cells, district outlines).

    The browser draws the cells' open counts and the incidents as MapLibre layers of its own
    (assets/20_wall.js), so the figure carries one empty trace (a map subplot needs one): every
    Plotly trace is four MapLibre layers repainted with every frame, data or not, and a frame holds a
    GPU-less wall's main thread (benchmarks/push.py). ``style_url`` (an internal MapLibre style, with its
    own glyphs) replaces the blank style; without it and ``tile_url`` every layer comes from this app.
    ``datum``: the base map's (see :func:`display_datum`).
    """
    c = to_display([center["lon"]], [center["lat"]], datum)
    layers = base_layers(True, base_url, tile_url, datum=datum)
    style: str | dict[str, Any] = style_url or ("white-bg" if tile_url else WALL_STYLE)
    if not tile_url:
        layers = layers[1:]  # the dark ground is the style's own background
    # The 4,800 cells' outlines from the zoom where a cell is a few pixels wide: at the city view they are
    # one grey blot that costs every frame its thousands of line segments. Shaded cells show at any zoom.
    layers[-2]["minzoom"] = GRID_LINES_MINZOOM
    fig = go.Figure(go.Scattermap(lon=[], lat=[], mode="markers", hoverinfo="skip", showlegend=False,
                                  name=names.get("cells", "cells")))
    fig.update_layout(
        map={"style": style, "layers": layers, "center": {"lon": c[0][0], "lat": c[1][0]}, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, uirevision="wall", paper_bgcolor="#0b1220",
        font={"color": "#e6edf6"}, legend={"font": {"size": 18}}, clickmode="event", showlegend=False,
    )
    return fig


@lru_cache(maxsize=1)
def _world_box() -> dict[str, Any]:
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        [[100, 30], [150, 30], [150, 55], [100, 55], [100, 30]]]}}


#: MapLibre's world is 512 px wide at zoom 0 (its tiles are 512 px), doubling with each zoom level.
WORLD_PX = 512
#: The click layer's spacing: a tap is at most ``spacing / √2`` px from a point, well inside Plotly's
#: default hover distance (20 px), so every tap on the map answers; the point it answers with is within
#: about 8 px of the finger (≈ 14 m at zoom 15 in Siping).
CLICK_SPACING_PX = 12
#: How far beyond the visible map the layer reaches (in screens), so a short pan still lands on points
#: before the layer is rebuilt around the new view.
CLICK_MARGIN = 0.5
PIN_COLOR = "#D55E00"


def _mercator_y(lat: float) -> float:
    s = math.sin(math.radians(max(min(lat, 85.0), -85.0)))
    return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)


def _mercator_lat(y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


def click_grid(center: Mapping[str, float], zoom: float, width_px: int, height_px: int,
               spacing_px: int = CLICK_SPACING_PX, margin: float = CLICK_MARGIN) -> tuple[list[float], list[float]]:
    """Points every ``spacing_px`` screen pixels over a ``width_px``×``height_px`` view at ``center``/``zoom``
    (plus ``margin`` screens each side), in the map's own coordinates.

    Why: Plotly's public click event answers only on a trace's points, and a report's place is usually
    empty map; an invisible, screen-dense layer of points turns any tap into a point near the finger,
    without reaching into Plotly's private map object."""
    world = WORLD_PX * 2.0 ** zoom
    cx = (center["lon"] + 180.0) / 360.0 * world
    cy = _mercator_y(center["lat"]) * world
    half_w, half_h = width_px * (0.5 + margin), height_px * (0.5 + margin)
    nx, ny = int(2 * half_w // spacing_px) + 1, int(2 * half_h // spacing_px) + 1
    lats = [round(_mercator_lat((cy - half_h + j * spacing_px) / world), 6) for j in range(ny)]
    lons = [round((cx - half_w + i * spacing_px) / world * 360.0 - 180.0, 6) for i in range(nx)]
    return [x for _ in lats for x in lons], [y for y in lats for _ in lons]


def click_layer(view: Mapping[str, float], zoom: float, view_px: tuple[int, int]) -> go.Scattermap:
    """The invisible points of :func:`click_grid` over the view (``view``: the map's own coordinates) as a
    trace; a map that takes clicks on empty ground draws it first (trace 0) and sets
    ``hovermode="closest"`` with a ``hoverdistance`` over the spacing."""
    lons, lats = click_grid(view, zoom, *view_px)
    return go.Scattermap(lon=lons, lat=lats, mode="markers", marker={"size": 1, "color": "rgba(0,0,0,0)"},
                         hoverinfo="none", showlegend=False, name="click")


def pick_map(point: Mapping[str, float] | None, *, base_url: str, view_px: tuple[int, int], zoom: float,
             center: Mapping[str, float] = CORE_CENTER, tile_url: str | None = None, datum: str = "wgs84",
             name: str = "", uirevision: str = "pick") -> go.Figure:
    """A small light map to place one point: the click layer (trace 0, see :func:`click_grid`), then the pin
    (traces 1 and 2: a white ring under an orange dot, findable on any ground). ``point``, ``center``: WGS84."""
    c = to_display([center["lon"]], [center["lat"]], datum)
    view = {"lon": c[0][0], "lat": c[1][0]}
    fig = go.Figure([click_layer(view, zoom, view_px), *pin_traces(point, datum, name)])
    fig.update_layout(
        map={"style": "white-bg", "layers": base_layers(False, base_url, tile_url, datum=datum), "center": view,
             "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False, uirevision=uirevision, clickmode="event",
        hovermode="closest", hoverdistance=20, paper_bgcolor="#ffffff", font={"color": "#1b2430"},
    )
    return fig


def pin_traces(point: Mapping[str, float] | None, datum: str = "wgs84", name: str = "") -> list[go.Scattermap]:
    """The pin at ``point`` (WGS84; none drawn without one) as a white ring and an orange dot."""
    lon, lat = to_display([point["lon"]], [point["lat"]], datum) if point else ([], [])
    return [go.Scattermap(lon=lon, lat=lat, mode="markers", marker={"size": size, "color": color},
                          hoverinfo="skip", showlegend=False, name=name)
            for size, color in ((30, "#ffffff"), (20, PIN_COLOR))]


def pin_map(point: Mapping[str, float], *, base_url: str, zoom: float = 15, tile_url: str | None = None,
            datum: str = "wgs84", name: str = "", uirevision: str = "pin") -> go.Figure:
    """A small light map centred on one pin (a handler's assignment), to see where it is at a glance."""
    c = to_display([point["lon"]], [point["lat"]], datum)
    fig = go.Figure(pin_traces(point, datum, name))
    fig.update_layout(
        map={"style": "white-bg", "layers": base_layers(False, base_url, tile_url, datum=datum),
             "center": {"lon": c[0][0], "lat": c[1][0]}, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False, uirevision=uirevision,
        paper_bgcolor="#ffffff", font={"color": "#1b2430"},
    )
    return fig
