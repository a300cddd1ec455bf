"""The one map of every page: a Leaflet map (dash-leaflet) on our own layers that names the place.

Why Leaflet through dash-leaflet: it exposes the map's own API (props for the view, the click, the layers'
data; event handlers that receive the Leaflet objects), so nothing reaches into a chart library's private
internals; it draws our GeoJSON as SVG, styled by CSS classes that follow the theme's variables; and its
labels are HTML, so Chinese place names need no glyph server. Nothing is fetched from another host: the
layers come from ``/geo/<name>.geojson`` and the raster tiles only from the configured internal server.

What a map shows, bottom to top, each in its own pane so the CSS shows it only from a zoom level on
(assets/15_map.css, the map's ``zoom-ge-N`` classes kept by assets/15_map.js): the tiles (when a tile
server is set), the district fill and outlines, street and community outlines, unit-grid cells at street
zoom, the names of districts, streets, communities, roads and landmarks by zoom, the page's own layers,
and the pin of a picked point. The pin is a ``DivMarker`` whose drag hands the new point to the store
``<map id>-click`` (the same store a click on the map fills), so a page handles both in one callback.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import dash_leaflet as dl
from dash import dcc

#: The base layers, in drawing order, and the pane each lives in (pane z-index: Leaflet's overlay pane is 400).
BASE_LAYERS = ("districts", "streets", "communities", "cells", "labels")
_PANES = {"districts": 350, "streets": 360, "communities": 370, "cells": 380, "labels": 640}
#: The zoom levels the ``zoom-ge-N`` classes are kept for (the CSS names no other).
ZOOM_CLASSES = range(6, 19)


@dataclass(frozen=True)
class MapBase:
    """What every map of a page draws under its own layers.

    ``layers``: base layer name → the URL the browser fetches it from (in the display datum, see
    geo.display.display_datum); ``tile_url``: the internal raster tile server (``TILE_URL``), if any;
    ``dark``: the dark scheme (the wall, the dark theme)."""

    layers: Mapping[str, str]
    tile_url: str | None = None
    dark: bool = False
    tile_attribution: str = ""


@dataclass(frozen=True)
class Pin:
    """A picked point on the map (in the display datum) and whether a person may drag it to adjust it."""

    lon: float | None = None
    lat: float | None = None
    draggable: bool = False
    label: str = ""

    @property
    def placed(self) -> bool:
        return self.lon is not None and self.lat is not None


@dataclass(frozen=True)
class View:
    """Where a map opens: a centre and zoom, or the bounds ``[[south, west], [north, east]]`` it fits."""

    center: tuple[float, float] | None = None  # (lon, lat)
    zoom: float = 12
    bounds: Sequence[Sequence[float]] | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


def zoom_class(zoom: float) -> str:
    """The classes that say how close the map is (``zoom-ge-12`` … up to ``zoom``), so CSS shows a layer
    or a label from a zoom level on; the browser keeps them after every zoom (assets/15_map.js)."""
    return " ".join(f"zoom-ge-{z}" for z in ZOOM_CLASSES if z <= zoom)


def pin_id(map_id: str) -> str:
    return f"{map_id}-pin"


def click_id(map_id: str) -> str:
    """The store a click on the map or a drag of its pin writes ``{lon, lat}`` (display datum) to."""
    return f"{map_id}-click"


def _base(base: MapBase, layers: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    if base.tile_url:
        out.append(dl.TileLayer(url=base.tile_url, attribution=base.tile_attribution, maxZoom=19))
    for name in BASE_LAYERS:
        if name not in layers or name not in base.layers:
            continue
        if name == "labels":
            layer = dl.GeoJSON(url=base.layers[name], pointToLayer={"variable": "cityops.map.label"},
                               interactive=False)
        else:
            layer = dl.GeoJSON(url=base.layers[name], interactive=False)  # styled by its pane (15_map.css)
        out.append(dl.Pane(layer, name=f"base-{name}", style={"zIndex": _PANES[name]}))
    return out


def pin_layer_id(map_id: str) -> str:
    """The layer holding the map's pin: a page's callback moves the pin by writing its children
    (:func:`pin_children`), which also makes the pin appear where there was none."""
    return f"{map_id}-pin-layer"


def pin_children(map_id: str, pin: Pin) -> list[Any]:
    """The pin of a picked point (none while nothing is picked): a drop whose tip is the point; a
    draggable one hands its new point to the map's click store when let go (assets/15_map.js)."""
    if not pin.placed:
        return []
    cls = "map-pin" + (" map-pin-drag" if pin.draggable else "")
    drag = {"id": pin_id(map_id), "eventHandlers": {"dragend": {"variable": "cityops.map.pinMoved"}}} \
        if pin.draggable else {}
    return [dl.DivMarker(
        position=[pin.lat, pin.lon], draggable=pin.draggable, keyboard=False, title=pin.label, zIndexOffset=1000,
        iconOptions={"className": cls, "iconSize": [30, 42], "iconAnchor": [15, 42], "html": ""}, **drag)]


def city_map(map_id: str | None, base: MapBase, view: View, *, layers: Sequence[str] = BASE_LAYERS,
             pin: Pin | None = None, overlays: Sequence[Any] = (), clickable: bool = False,
             class_name: str = "", style: Mapping[str, Any] | None = None, scroll_zoom: bool = True) -> Any:
    """A map on our base layers with ``overlays`` (the page's own layers) and an optional pin.

    ``map_id`` None: a map no callback reads or moves (it may appear twice on a page).
    ``clickable``: a click on the map writes ``{lon, lat}`` to :func:`click_id`'s store (the page's
    callback turns it into a point, names it and moves the pin). Returns the map and, when it takes clicks
    or has a pin, the store beside it."""
    center = view.center
    props: dict[str, Any] = {}
    if view.bounds is not None:  # fitted at creation (a centre and zoom given too would win over them)
        (south, west), (north, east) = view.bounds
        props["bounds"] = [[south, west], [north, east]]
    else:
        props["center"], props["zoom"] = [center[1], center[0]] if center else [0, 0], view.zoom
    children = [*_base(base, layers), *overlays]
    if pin is not None and map_id:
        children.append(dl.LayerGroup(pin_children(map_id, pin), id=pin_layer_id(map_id)))
    elif pin is not None:  # a pin nobody moves: no ids (the same case may be on the page and in the drawer)
        children.extend(pin_children("", pin))
    scheme = "map-dark" if base.dark else "map-light"
    leaflet = dl.Map(
        children, **({"id": map_id} if map_id else {}), attributionControl=bool(base.tile_url and base.tile_attribution),
        className=f"cityops-map {scheme} {zoom_class(view.zoom)} {class_name}".strip(),
        eventHandlers={event: {"variable": "cityops.map.zoomed"} for event in ("zoomend", "moveend", "layeradd")},
        scrollWheelZoom=scroll_zoom, style=dict(style or {}), minZoom=6, maxZoom=19, zoomSnap=0.25,
        trackViewport=False,  # nothing reads the view back, and the tracker needs a centre prop a fitted map lacks
        **props, **dict(view.extras))
    if not (clickable or (pin is not None and pin.draggable)):
        return leaflet
    return [leaflet, dcc.Store(id=click_id(map_id))]


__all__ = ["BASE_LAYERS", "MapBase", "Pin", "View", "city_map", "click_id", "pin_children", "pin_id", "pin_layer_id",
           "zoom_class"]
