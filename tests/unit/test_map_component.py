"""The one map component (layouts/map.py) and the base layers it draws (geo/basemap.py)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from geo.basemap import ServedLayers, bounds_of, label_points, served_layers
from geo.geography import Feature
from layouts.map import MapBase, Pin, View, city_map, click_id, pin_children, pin_id, zoom_class

ROOT = Path(__file__).resolve().parents[2]
BASE = MapBase(layers={"districts": "/geo/districts.geojson", "labels": "/geo/labels.geojson"})


def _json(component: object) -> str:
    return json.dumps(component, default=lambda o: o.to_plotly_json())


def _crescent() -> shapely.Geometry:
    """A C-shaped area whose centroid lies outside it."""
    return shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 3, 2))


def test_an_areas_name_sits_inside_it_even_when_its_centre_does_not() -> None:
    area = _crescent()
    assert not area.contains(area.centroid)
    (label,) = label_points([Feature("street", "S1", "第1街道", "D", area)])["features"]
    assert area.contains(shape(label["geometry"]))
    assert label["properties"] == {"level": "street", "code": "S1", "name": "第1街道"}


def test_places_keep_their_point_and_kind_and_cells_get_no_name() -> None:
    feats = [Feature("place", "P1", "英雄广场", "C1", shapely.Point(124.364, 43.17), {"kind": "landmark"}),
             Feature("cell", "C1001", "网格 001", "C1", shapely.box(124.36, 43.16, 124.37, 43.18))]
    (label,) = label_points(feats)["features"]
    assert label["geometry"]["coordinates"] == [124.364, 43.17] and label["properties"]["kind"] == "landmark"


def test_served_layers_are_rebuilt_when_the_geography_changes_and_shifted_for_gcj02_tiles() -> None:
    geos = {1: [Feature("district", "D", "铁西区", "", shapely.box(124.2, 43.1, 124.4, 43.3))]}
    version = [1]
    served = ServedLayers(lambda: (version[0], geos[version[0]]))
    assert served.get("labels")[1]["features"][0]["properties"]["name"] == "铁西区"
    wgs = served.get("districts")[1]["features"][0]["geometry"]["coordinates"][0][0]
    gcj = served.get("districts", "gcj02")[1]["features"][0]["geometry"]["coordinates"][0][0]
    assert 0.003 < abs(gcj[0] - wgs[0]) < 0.02  # a few hundred metres east in GCJ-02
    geos[2] = [Feature("district", "D", "新区", "", shapely.box(124.2, 43.1, 124.4, 43.3))]
    version[0] = 2
    assert served.get("labels") == (2, label_points(geos[2]))
    with pytest.raises(KeyError):
        served.get("secret-table")
    with pytest.raises(KeyError):
        served.get("labels", "bd09")


def test_the_bounds_a_map_fits_are_those_of_the_named_features() -> None:
    layers = served_layers([Feature("district", "A", "A", "", shapely.box(1, 2, 3, 4)),
                            Feature("district", "B", "B", "", shapely.box(10, 20, 30, 40))])
    assert bounds_of(layers["districts"], ["A"]) == [[2, 1], [4, 3]]
    assert bounds_of(layers["districts"]) == [[2, 1], [40, 30]]


def test_zoom_classes_say_how_close_the_map_is() -> None:
    assert zoom_class(12.5).split() == [f"zoom-ge-{z}" for z in range(6, 13)]
    assert "zoom-ge-13" not in zoom_class(12.99)


def test_a_pin_appears_only_once_a_point_is_picked_and_only_a_draggable_one_has_an_id() -> None:
    assert pin_children("m", Pin()) == []
    (fixed,) = pin_children("m", Pin(124.3, 43.2))
    assert fixed.position == [43.2, 124.3] and not fixed.draggable and "id" not in fixed.to_plotly_json()["props"]
    (moving,) = pin_children("m", Pin(124.3, 43.2, draggable=True))
    assert moving.id == pin_id("m") and moving.draggable
    assert moving.eventHandlers == {"dragend": {"variable": "cityops.map.pinMoved"}}


def test_a_map_that_takes_clicks_comes_with_its_click_store_and_no_tile_layer_without_a_tile_server() -> None:
    leaflet, store = city_map("m", BASE, View(center=(124.3, 43.2), zoom=12), clickable=True)
    assert store.id == click_id("m") and leaflet.center == [43.2, 124.3]
    text = _json(leaflet)
    assert "TileLayer" not in text and "cityops.map.label" in text
    tiled = city_map(None, MapBase(layers={}, tile_url="http://tiles.internal/{z}/{x}/{y}.png"), View(bounds=[[1, 2], [3, 4]]))
    assert "http://tiles.internal/{z}/{x}/{y}.png" in _json(tiled) and tiled.bounds == [[1, 2], [3, 4]]


def test_no_page_script_or_test_reaches_into_a_chart_librarys_private_internals() -> None:
    private = ("_full" + "Layout", "_sub" + "plot")
    files = [p for d in ("assets", "tests") for p in (ROOT / d).rglob("*") if p.suffix in (".js", ".py")]
    offenders = [str(p.relative_to(ROOT)) for p in files if any(w in p.read_text(encoding="utf-8") for w in private)]
    assert offenders == []


def test_every_map_function_the_layouts_name_exists_in_the_browser_script() -> None:
    script = (ROOT / "assets" / "15_map.js").read_text(encoding="utf-8")
    named = set()
    for path in (ROOT / "layouts").glob("*.py"):
        named |= set(re.findall(r'"cityops\.map\.(\w+)"', path.read_text(encoding="utf-8")))
    for path in (ROOT / "callbacks").glob("*.py"):
        named |= set(re.findall(r'"cityops\.map\.(\w+)"', path.read_text(encoding="utf-8")))
    assert named and all(f"{name}: {name}" in script for name in named)
