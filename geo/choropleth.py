"""Offline choropleths: districts or grid cells shaded by a value, on our own GeoJSON (no internet).

Same rules as :mod:`geo.figures`: the map style is ``white-bg`` plus our served layers, and no trace
draws text (text markers fetch glyphs from the internet); values show on hover instead.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import plotly.graph_objects as go

from geo.figures import CITY_CENTER, base_layers

#: Light sequential scale (ColorBrewer Blues), readable on a white map.
SCALE = [[0.0, "#eff3ff"], [0.5, "#6baed6"], [1.0, "#08519c"]]
LAYERS = {"districts": "properties.adcode", "grids": "properties.code", "grids-core": "properties.code"}


def choropleth(layer: str, locations: Sequence[Any], values: Sequence[float | None], *, base_url: str,
               title: str = "", hover: Sequence[str] | None = None, center: Mapping[str, float] = CITY_CENTER,
               zoom: float = 7.2, tile_url: str | None = None, uirevision: str = "choropleth") -> go.Figure:
    """``layer`` (``districts`` | ``grids`` | ``grids-core``) shaded by ``values`` at ``locations``."""
    fig = go.Figure(go.Choroplethmap(
        geojson=f"{base_url}/geo/{layer}.geojson", featureidkey=LAYERS[layer], locations=list(locations),
        z=[v if v is not None else 0 for v in values], colorscale=SCALE, marker={"opacity": 0.75, "line": {"width": 0.5}},
        customdata=list(locations), text=list(hover) if hover is not None else None,
        hovertemplate=("%{text}<extra></extra>" if hover is not None else "%{location}: %{z}<extra></extra>"),
        colorbar={"title": {"text": title}, "thickness": 12},
    ))
    fig.update_layout(map={"style": "white-bg", "layers": base_layers(False, base_url, tile_url, grids="grids-core"),
                           "center": dict(center), "zoom": zoom},
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, uirevision=uirevision, clickmode="event")
    return fig


def add_points(fig: go.Figure, lons: Sequence[float], lats: Sequence[float], keys: Sequence[str],
               hover: Sequence[str], name: str, color: str = "#D55E00") -> go.Figure:
    """Markers (no text) over a choropleth, e.g. recurring-problem places; ``keys`` go to clickData."""
    fig.add_trace(go.Scattermap(lon=list(lons), lat=list(lats), customdata=list(keys), text=list(hover),
                                mode="markers", name=name, marker={"size": 12, "color": color, "opacity": 0.85},
                                hovertemplate="%{text}<extra></extra>"))
    return fig


__all__ = ["choropleth", "add_points", "SCALE"]
