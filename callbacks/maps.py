"""What every page's map needs from the server: the base layers' URLs in the display datum, and a picked
point (a click on the map or a dragged pin) turned into WGS84 and named.

Why the point is converted on the server: over GCJ-02 tiles (``CITYOPS_TILE_DATUM=gcj02``) the map
reports GCJ-02 points, a few hundred metres from the WGS84 point the store keeps; converting here uses the
one implementation of the transform (geo/crs.py) instead of a second one in JavaScript. One round trip
per click is nothing next to typing a report.
"""
from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Input, Output, callback, clientside_callback, no_update

from flask import has_request_context, request

from callbacks.access import services
from geo.basemap import SERVED
from geo.display import display_datum, from_display, layer_url, to_display
from layouts.map import MapBase, Pin, click_id


def base_url() -> str:
    """This server's own address as the browser reached it (layers are fetched from it)."""
    return request.host_url.rstrip("/") if has_request_context() else ""


def datum_of(settings: Any) -> str:
    """The datum maps draw in: the tile server's when one is set, else WGS84 (our own layers)."""
    return display_datum(settings.tile_datum, settings.tile_url)


def map_base(svc: Any, *, dark: bool = False, layers: tuple[str, ...] = SERVED) -> MapBase:
    """The base layers (our own, fetched from this server in the display datum) and the tile server."""
    st = svc.settings
    datum, version = datum_of(st), geography_version(svc)
    return MapBase(layers={name: layer_url(base_url(), name, datum, version) for name in layers}, tile_url=st.tile_url,
                   dark=dark, tile_attribution=getattr(st, "tile_attribution", "") or "")


def geography_version(svc: Any) -> int | None:
    """The version of the geography this process holds (None for services built without one)."""
    geography = getattr(svc, "geography", None)
    return geography.get().version if geography is not None else None


def display_point(svc: Any, lon: float, lat: float) -> tuple[float, float]:
    """A WGS84 point where the map draws it (the tile server's datum)."""
    x, y = to_display([lon], [lat], datum_of(svc.settings))
    return x[0], y[0]


def pin_at(svc: Any, lon: float | None, lat: float | None, *, draggable: bool = False, label: str = "") -> Pin:
    """A pin for a WGS84 point (or an empty, hidden pin), placed in the display datum."""
    if lon is None or lat is None:
        return Pin(draggable=draggable, label=label)
    x, y = display_point(svc, lon, lat)
    return Pin(x, y, draggable=draggable, label=label)


def picked_point(click: Any, tile_datum: str, tile_url: str | None) -> tuple[Any, Any]:
    """The form's (lon, lat) in WGS84 for a click ``{lon, lat}`` on a map drawn in the display datum;
    ``(no_update, no_update)`` for anything that is not a point."""
    try:
        lon, lat = float(click["lon"]), float(click["lat"])
    except (TypeError, KeyError, ValueError):
        return no_update, no_update
    return from_display(lon, lat, display_datum(tile_datum, tile_url))


def take_clicks(map_id: str) -> None:
    """Register the browser-side callback that writes a click on map ``map_id`` to its click store (where a
    dragged pin writes too), so one server callback handles both."""
    clientside_callback(ClientsideFunction("cityops", "mapClick"), Output(click_id(map_id), "data", allow_duplicate=True),
                        Input(map_id, "clickData"), prevent_initial_call=True)


def wire(map_id: str, lon_id: str, lat_id: str) -> None:
    """Register the callbacks that turn a click on map ``map_id`` (or a drag of its pin) into the values of
    ``lon_id``/``lat_id``: the browser writes the point to the map's click store, the server converts it."""
    take_clicks(map_id)

    @callback(Output(lon_id, "value", allow_duplicate=True), Output(lat_id, "value", allow_duplicate=True),
              Input(click_id(map_id), "data"), prevent_initial_call=True)
    def fill_point(click: Any) -> tuple[Any, Any]:
        st = services().settings
        return picked_point(click, st.tile_datum, st.tile_url)

    fill_point.__name__ = f"fill_point_{map_id.replace('-', '_')}"


__all__ = ["base_url", "datum_of", "display_point", "map_base", "picked_point", "pin_at", "take_clicks", "wire"]
