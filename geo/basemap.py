"""The base layers every map draws, built from the city's geography (geo.geography's five levels).

The browser fetches each once from ``/geo/<name>.geojson`` (in the display datum) and caches it:
``districts``, ``streets``, ``communities`` and ``cells`` are the areas' outlines; ``labels`` holds one point
per named thing — each area's name at a point inside it (shapely's ``point_on_surface``, so a crescent's
name does not fall outside it) and each road and landmark of the gazetteer — with its ``level`` (and a
place's ``kind``), so the map shows each level's names from its own zoom on (assets/15_map.css).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Mapping, Sequence

import shapely
from shapely.ops import polylabel

from geo.display import DATUMS, shift_collection
from geo.geography import Feature, layers

#: What ``/geo/<name>.geojson`` serves: the area layers of :func:`geo.geography.layers` and the names.
SERVED = ("districts", "streets", "communities", "cells", "places", "labels")
#: Coordinates of served layers: 6 decimals ≈ 0.1 m, far below what a screen shows.
DECIMALS = 6


def label_points(features: Sequence[Feature]) -> dict[str, Any]:
    """One point per district, street, community and place, with its name, level and code."""
    out = []
    for f in features:
        if f.level == "cell" or not f.name:
            continue
        point = f.geometry if f.level == "place" else _visual_centre(f.geometry)
        if point.geom_type != "Point":
            point = point.representative_point()
        props = {"level": f.level, "code": f.code, "name": f.name}
        if f.level == "place" and f.extra.get("kind"):
            props["kind"] = str(f.extra["kind"])
        out.append({"type": "Feature", "properties": props,
                    "geometry": {"type": "Point", "coordinates": [round(point.x, DECIMALS), round(point.y, DECIMALS)]}})
    return {"type": "FeatureCollection", "features": out}


def _visual_centre(area: shapely.Geometry) -> shapely.Geometry:
    """Where a name sits best in an area: the point of its largest part farthest from the edge
    (polylabel), which for an L-shaped or crescent-shaped area is inside and well clear of the outline."""
    parts = list(getattr(area, "geoms", [area]))
    largest = max(parts, key=lambda g: g.area)
    if largest.geom_type != "Polygon" or largest.is_empty:
        return area.point_on_surface()
    return polylabel(largest, tolerance=max(largest.length / 1000, 1e-6))


def served_layers(features: Sequence[Feature]) -> dict[str, dict[str, Any]]:
    """Every layer of :data:`SERVED` from one geography (WGS84)."""
    return {**layers(features), "labels": label_points(features)}


def bounds_of(collection: Mapping[str, Any], codes: Sequence[str] | None = None) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the features (those with ``codes`` only, when given): the
    view a map fits, e.g. the urban districts for the wall's city core."""
    geoms = [shapely.geometry.shape(f["geometry"]) for f in collection["features"]
             if codes is None or f["properties"].get("code") in codes]
    if not geoms:
        raise ValueError("no feature to fit")
    west, south, east, north = shapely.union_all(geoms).bounds
    return [[round(south, 5), round(west, 5)], [round(north, 5), round(east, 5)]]


class ServedLayers:
    """The served layers of the current geography, per display datum, rebuilt when its version changes.

    ``source()`` gives ``(version, features)``: every process asks it on each request (cheap when the
    version is unchanged), so an imported geography reaches every process's maps as its index does."""

    def __init__(self, source: Callable[[], tuple[int, Sequence[Feature]]]) -> None:
        self._source = source
        self._version: int | None = None
        self._layers: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, datum: str = "wgs84") -> tuple[int, dict[str, Any]]:
        """``(version, layer)``; KeyError for a layer or datum that is not served."""
        if datum not in DATUMS or (name not in SERVED and name not in ALIASES):
            raise KeyError(name)
        version, features = self._source()
        with self._lock:
            if version != self._version:
                self._layers, self._version = {}, version
            if (name, "wgs84") not in self._layers:
                base = served_layers(features)
                base.update({alias: pick(base) for alias, pick in ALIASES.items()})
                self._layers.update({(k, "wgs84"): v for k, v in base.items()})
            if (name, datum) not in self._layers:
                self._layers[(name, datum)] = shift_collection(self._layers[(name, "wgs84")], datum)
            return version, self._layers[(name, datum)]


#: Older names of the cell layers (the analytics maps draw the grid by them).
ALIASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "grids": lambda layers: layers["cells"],
    "grids-core": lambda layers: {"type": "FeatureCollection", "features": [
        f for f in layers["cells"]["features"] if f["properties"].get("kind", "core") == "core"]},
}


__all__ = ["ALIASES", "SERVED", "ServedLayers", "bounds_of", "label_points", "served_layers"]
