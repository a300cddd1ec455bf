"""Offline map figures: our own GeoJSON layers on a blank style, optional internal raster tiles.

Plotly's map traces fetch a style (and font glyphs for text markers) from the internet unless told
otherwise; on an isolated government network the map would stay blank. So the style is always set
explicitly (``white-bg`` recoloured, or the internal tile server's raster layer) and no trace draws text.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import plotly.graph_objects as go

DATA = Path(__file__).resolve().parent.parent / "data" / "siping"
CITY_CENTER = {"lon": 124.55, "lat": 43.43}
CORE_CENTER = {"lon": 124.365, "lat": 43.165}
#: Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
SEVERITY_COLORS = {"urgent": "#D55E00", "high": "#E69F00", "normal": "#56B4E9"}
SEVERITIES = ("urgent", "high", "normal")


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


def layer_data(name: str) -> dict[str, Any]:
    if name not in LAYER_FILES:
        raise KeyError(name)
    return core_grids() if name == "grids-core" else geojson(LAYER_FILES[name] or "")


def base_layers(dark: bool, base_url: str, tile_url: str | None = None, grids: str = "grids-core") -> list[dict[str, Any]]:
    """Tiles (when an internal server exists), grid cells, district outlines — all below the incidents.

    Dark without tiles: a dark fill under everything, since ``white-bg`` is a blank white style.
    """
    line = "#8fa3bf" if dark else "#5b6b80"
    cell = "rgba(143,163,191,0.35)" if dark else "rgba(91,107,128,0.35)"
    layers: list[dict[str, Any]] = []
    if tile_url:
        layers.append(dict(below="traces", sourcetype="raster", source=[tile_url]))
    elif dark:
        layers.append(dict(sourcetype="geojson", source=_world_box(), type="fill", color="#0b1220", below="traces"))
    layers.append(dict(sourcetype="geojson", source=f"{base_url}/geo/{grids}.geojson", type="line", color=cell,
                       line={"width": 0.6}, below="traces"))
    layers.append(dict(sourcetype="geojson", source=f"{base_url}/geo/districts.geojson", type="line",
                       color=line, line={"width": 2.5}, below="traces"))
    return layers


OVERDUE_COLOR = "#CC79A7"


def incidents_traces(incidents: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> list[go.Scattermap]:
    """One trace per severity in :data:`SEVERITIES` order, then a halo trace over the overdue ones.

    The order is fixed so a browser can patch trace ``i`` in place when a push arrives.
    """
    incidents = list(incidents)
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
    uirevision: str = "map",
) -> go.Figure:
    """The Siping map: district outlines, core grid cells and incidents coloured by severity."""
    fig = go.Figure(incidents_traces(incidents, names))
    fig.update_layout(
        map={"style": "white-bg", "layers": base_layers(dark, base_url, tile_url), "center": dict(center), "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=True, uirevision=uirevision,
        paper_bgcolor="#0b1220" if dark else "#ffffff", font={"color": "#e6edf6" if dark else "#1b2430"},
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(11,18,32,0.6)" if dark else "rgba(255,255,255,0.7)"},
    )
    return fig


#: Grid cells shaded by open count: dark blue to sky blue, readable under the Okabe–Ito markers.
CELL_SCALE = [[0.0, "#1d3557"], [0.5, "#2f6f9f"], [1.0, "#8fd0f5"]]


def wall_map(
    names: Mapping[str, str], *, base_url: str, tile_url: str | None = None, style_url: str | None = None,
    center: Mapping[str, float] = CITY_CENTER, zoom: float = 7.9,
) -> go.Figure:
    """The wall's map: trace 0 shades the core grid cells by open count (the browser assigns
    ``locations``/``z``), then :func:`incidents_traces` (severities, overdue halo) as traces 1…4.

    ``style_url`` (an internal MapLibre style, with its own glyphs) replaces the blank style; without
    it and ``tile_url`` every layer comes from this app.
    """
    cells = go.Choroplethmap(
        geojson=f"{base_url}/geo/grids-core.geojson", featureidkey="properties.code", locations=[], z=[],
        colorscale=CELL_SCALE, zmin=0, zmax=5, showscale=False, marker={"opacity": 0.55, "line": {"width": 0}},
        hovertemplate="%{location}: %{z}<extra></extra>", name=names.get("cells", "cells"), showlegend=False,
    )
    fig = city_map([], names, base_url=base_url, dark=True, tile_url=tile_url, center=center, zoom=zoom,
                   uirevision="wall")
    fig.add_trace(cells)
    fig.data = (fig.data[-1],) + fig.data[:-1]
    if style_url:
        fig.update_layout(map={"style": style_url, "layers": base_layers(True, base_url, None)[1:]})
    fig.update_layout(legend={"font": {"size": 18}}, clickmode="event")
    return fig


@lru_cache(maxsize=1)
def _world_box() -> dict[str, Any]:
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        [[100, 30], [150, 30], [150, 55], [100, 55], [100, 30]]]}}
