"""The city's geography model (geo.geography): the demo's five-level shape, the map layers, and the
checks a city's own file must pass before it replaces the geography."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from geo.geography import LAYER_NAMES, demo_geography, layers
from geo.grid import DATA_DIR


@pytest.fixture(scope="module")
def demo():
    return demo_geography()


@pytest.fixture(scope="module")
def demo_layers(demo):
    return layers(demo)


def test_demo_geography_has_every_level_each_under_the_level_above(demo):
    counts = Counter(f.level for f in demo)
    assert set(counts) == set(LAYER_NAMES)
    assert counts["district"] == 5 and counts["place"] > 0
    by_code = {f.code: f for f in demo}
    above = {"street": "district", "community": "street", "cell": "community"}
    for f in demo:
        if f.level in above:
            assert by_code[f.parent_code].level == above[f.level], f.code
        elif f.level == "place":
            assert by_code[f.parent_code].level == "community", f.code


def test_demo_cells_keep_every_property_of_the_generated_grid(demo_layers):
    generated = {f["properties"]["code"]: f["properties"]
                 for f in json.loads((DATA_DIR / "grids.geojson").read_text(encoding="utf-8"))["features"]}
    cells = {f["properties"]["code"]: f["properties"] for f in demo_layers["cells"]["features"]}
    assert cells.keys() == generated.keys()
    for code, props in generated.items():
        assert {k: cells[code][k] for k in props} == props


def test_every_layer_feature_carries_level_code_name_and_parent(demo_layers):
    assert set(demo_layers) == {"districts", "streets", "communities", "cells", "places"}
    for name, collection in demo_layers.items():
        assert collection["type"] == "FeatureCollection" and collection["features"], name
        for f in collection["features"]:
            assert {"level", "code", "name", "parent_code"} <= f["properties"].keys()
            assert LAYER_NAMES[f["properties"]["level"]] == name


def test_demo_streets_are_the_union_of_their_cells(demo):
    import shapely

    cells = [f for f in demo if f.level == "cell" and f.code.startswith("220302001")]
    street = next(f for f in demo if f.code == "220302001")
    union = shapely.union_all([c.geometry for c in cells])
    assert street.geometry.symmetric_difference(union).area < 1e-9
