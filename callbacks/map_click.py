"""A point picked on a map becomes the form's longitude/latitude in WGS84, whatever the map's datum.

Why on the server: over GCJ-02 tiles (``CITYOPS_TILE_DATUM=gcj02``) the map reports GCJ-02 points, a few
hundred metres from the WGS84 point the store keeps; converting here uses the one implementation of
the transform (geo/crs.py) instead of a second one in JavaScript. One round trip per click is nothing
next to typing a report.
"""
from __future__ import annotations

from typing import Any

from dash import Input, Output, Patch, callback, no_update

from callbacks.access import services
from geo.figures import click_grid, display_datum, from_display


def picked_point(click: Any, tile_datum: str, *basemaps: str | None) -> tuple[Any, Any]:
    """The form's (lon, lat) for a click ``{lon, lat}`` on a map whose base is ``basemaps`` in ``tile_datum``;
    ``(no_update, no_update)`` for anything that is not a point."""
    try:
        lon, lat = float(click["lon"]), float(click["lat"])
    except (TypeError, KeyError, ValueError):
        return no_update, no_update
    return from_display(lon, lat, display_datum(tile_datum, *basemaps))


def wire(store_id: str, lon_id: str, lat_id: str) -> None:
    """Register the callback that fills ``lon_id``/``lat_id`` from the click store ``store_id``."""

    @callback(Output(lon_id, "value", allow_duplicate=True), Output(lat_id, "value", allow_duplicate=True),
              Input(store_id, "data"), prevent_initial_call=True)
    def fill_point(click: Any) -> tuple[Any, Any]:
        st = services().settings
        return picked_point(click, st.tile_datum, st.tile_url, getattr(st, "map_style_url", None))

    fill_point.__name__ = f"fill_point_{store_id.replace('-', '_')}"


def follow_view(relayout: dict[str, Any] | None, view_px: tuple[int, int]) -> Any:
    """After a pan or zoom the click layer (trace 0) is laid again over the new view, so clicks on empty map
    keep landing on its points; anything else the map reports changes nothing."""
    center, zoom = (relayout or {}).get("map.center"), (relayout or {}).get("map.zoom")
    if not isinstance(center, dict) or not isinstance(zoom, (int, float)):
        return no_update
    lons, lats = click_grid(center, float(zoom), *view_px)
    fig = Patch()
    fig["data"][0]["lon"], fig["data"][0]["lat"] = lons, lats
    return fig
