"""What every map draws in: the display datum, the colours of severities and cells, the city's centres and
where the browser fetches our layers.

Datum: our coordinates are WGS84, but an internal tile server in China usually serves GCJ-02 tiles
(``CITYOPS_TILE_DATUM=gcj02``). Everything drawn over such tiles — the served GeoJSON layers, the incident
markers and the features pushed to the wall — is shifted to the display datum here (:func:`display_datum`,
:func:`to_display`, :func:`display_features`, :func:`shift_collection`), so stored data never changes datum.
Without tiles every layer is our own WGS84 GeoJSON and nothing is shifted.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from geo.crs import gcj02_to_wgs84, wgs84_to_gcj02

CITY_CENTER = {"lon": 124.55, "lat": 43.43}
CORE_CENTER = {"lon": 124.365, "lat": 43.165}
#: Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
SEVERITY_COLORS = {"urgent": "#D55E00", "high": "#E69F00", "normal": "#56B4E9"}
SEVERITIES = ("urgent", "high", "normal")
OVERDUE_COLOR = "#CC79A7"
#: The wall's cells, from one open case to the busiest cell's count.
CELL_SCALE = [[0.0, "#1d3557"], [0.5, "#2f6f9f"], [1.0, "#8fd0f5"]]


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


__all__ = ["CELL_SCALE", "CITY_CENTER", "CORE_CENTER", "DATUMS", "OVERDUE_COLOR", "SEVERITIES", "SEVERITY_COLORS",
           "display_datum", "display_features", "from_display", "layer_url", "shift_collection", "to_display"]
