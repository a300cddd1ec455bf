"""CITYOPS_TILE_DATUM: over GCJ-02 tiles every layer, marker and pushed feature is drawn in GCJ-02."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from geo.crs import wgs84_to_gcj02
from geo.display import display_datum, display_features, layer_url, shift_collection, to_display
from live.batcher import for_display
from settings import Settings

LON, LAT = 124.3505, 43.1702


def test_the_display_datum_is_the_tiles_and_only_when_there_are_tiles() -> None:
    assert display_datum("gcj02", None, None) == "wgs84"  # our own layers only: nothing to align with
    assert display_datum("gcj02", "http://tiles.internal/{z}/{x}/{y}.png") == "gcj02"
    assert display_datum("gcj02", None, "http://maps.internal/style.json") == "gcj02"
    assert display_datum("wgs84", "http://tiles.internal/{z}/{x}/{y}.png") == "wgs84"
    with pytest.raises(ValueError):
        display_datum("bd09", "http://tiles.internal/{z}/{x}/{y}.png")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, CITYOPS_TILE_DATUM="bd09")  # type: ignore[call-arg]


def test_points_are_shifted_to_gcj02_and_left_alone_in_wgs84() -> None:
    glon, glat = wgs84_to_gcj02(LON, LAT)
    assert 200 < abs(glon - LON) * 81_000 + abs(glat - LAT) * 111_000 < 2_000  # a few hundred metres around Siping
    (x,), (y,) = to_display([LON], [LAT], "gcj02")
    assert (x, y) == pytest.approx((glon, glat), abs=1e-7)
    assert to_display([LON], [LAT], "wgs84") == ([LON], [LAT])


def test_served_layers_follow_the_datum_and_the_geographys_version() -> None:
    assert layer_url("http://h", "districts") == "http://h/geo/districts.geojson"
    assert layer_url("http://h", "districts", "gcj02") == "http://h/geo/districts.geojson?datum=gcj02"
    assert layer_url("http://h", "labels", "gcj02", 3) == "http://h/geo/labels.geojson?datum=gcj02&v=3"
    wgs = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[LON, LAT], [LON + 0.01, LAT], [LON, LAT + 0.01], [LON, LAT]]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [LON, LAT]}}]}
    gcj = shift_collection(wgs, "gcj02")
    assert gcj["features"][0]["geometry"]["coordinates"][0][0] == pytest.approx(list(wgs84_to_gcj02(LON, LAT)), abs=1e-6)
    assert gcj["features"][1]["geometry"]["coordinates"] == pytest.approx(list(wgs84_to_gcj02(LON, LAT)), abs=1e-6)
    assert wgs["features"][1]["geometry"]["coordinates"] == [LON, LAT]  # the WGS84 layer is untouched


def test_every_base_layer_of_a_map_is_fetched_in_the_tiles_datum() -> None:
    from layouts.map import MapBase, View, city_map

    tiles = "http://tiles.internal/{z}/{x}/{y}.png"
    base = MapBase(layers={n: layer_url("http://h", n, "gcj02") for n in ("districts", "labels")}, tile_url=tiles)
    leaflet = city_map("m", base, View(center=(LON, LAT), zoom=12))
    found = json.dumps(leaflet.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert found.count("?datum=gcj02") == 2 and tiles in found
    plain = city_map("m", MapBase(layers={"districts": layer_url("http://h", "districts")}), View())
    assert "datum" not in json.dumps(plain.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "TileLayer" not in json.dumps(plain.to_plotly_json(), default=lambda o: o.to_plotly_json())


def test_pushed_features_leave_in_the_display_datum() -> None:
    feat = {"code": "A", "lon": LON, "lat": LAT, "severity": "high"}
    delta = {"upsert": [feat], "alerts": [dict(feat)], "remove": ["B"], "kpi": {"open": 1}}
    snap = {"incidents": [feat, {"code": "C", "lon": None, "lat": None}], "ticker": []}
    glon, glat = wgs84_to_gcj02(LON, LAT)
    d = for_display(delta, "gcj02")
    assert (d["upsert"][0]["lon"], d["alerts"][0]["lat"]) == pytest.approx((glon, glat), abs=1e-7)
    assert d["remove"] == ["B"] and d["kpi"] == {"open": 1}
    s = for_display(snap, "gcj02")
    assert s["incidents"][0]["lon"] == pytest.approx(glon, abs=1e-7) and s["incidents"][1]["lon"] is None
    assert feat["lon"] == LON  # the broadcaster's own data stays WGS84
    assert for_display(delta, "wgs84") == delta
    assert display_features([feat], "wgs84") == [feat]


def test_a_point_picked_over_gcj02_tiles_is_stored_in_wgs84() -> None:
    from callbacks.maps import picked_point
    from geo.crs import wgs84_to_gcj02
    from geo.display import from_display

    true_lon, true_lat = 124.3505, 43.1702  # WGS84, in 铁西
    shown_lon, shown_lat = wgs84_to_gcj02(true_lon, true_lat)  # where GCJ-02 tiles draw it
    assert abs(shown_lon - true_lon) > 0.004  # the offset is real: hundreds of metres
    lon, lat = from_display(shown_lon, shown_lat, "gcj02")
    assert abs(lon - true_lon) < 2e-6 and abs(lat - true_lat) < 2e-6
    tiles = "http://tiles.internal/{z}/{x}/{y}.png"
    assert picked_point({"lon": shown_lon, "lat": shown_lat}, "gcj02", tiles) == (lon, lat)
    # no tile server: the map is our own WGS84 layers, the click is already WGS84
    assert picked_point({"lon": shown_lon, "lat": shown_lat}, "gcj02", None) == (round(shown_lon, 6), round(shown_lat, 6))
    assert picked_point({"lon": 1.0, "lat": 2.0}, "wgs84", tiles) == (1.0, 2.0)


def test_anything_but_a_point_changes_nothing_in_the_form() -> None:
    from dash import no_update

    from callbacks.maps import picked_point

    for bad in (None, {}, {"lon": "x", "lat": 1}, {"lon": 1}):
        assert picked_point(bad, "gcj02", "http://tiles.internal/{z}/{x}/{y}.png") == (no_update, no_update)
