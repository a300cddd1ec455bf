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


# -- validation: the sample passes, and each kind of mistake is refused with the feature's code ----------

SAMPLE = DATA_DIR.parent / "samples" / "geography.geojson"


@pytest.fixture(scope="module")
def city():
    from geo.geography import city_extent

    return city_extent()


@pytest.fixture(scope="module")
def sample():
    from geo.geography import features_from_geojson

    return features_from_geojson(json.loads(SAMPLE.read_text(encoding="utf-8")))


def _replace(features, code, **changes):
    import dataclasses

    return [dataclasses.replace(f, **changes) if f.code == code else f for f in features]


def _problems(features, city):
    from geo.geography import validate

    return {(p.code, p.key) for p in validate(features, city)}


def _box(w, s, e, n):
    import shapely

    return shapely.box(w, s, e, n)


def test_the_sample_geography_passes_every_check(sample, city):
    from geo.geography import validate

    assert validate(sample, city) == []
    assert Counter(f.level for f in sample) == {"district": 1, "street": 2, "community": 4, "cell": 16, "place": 4}


def test_the_demo_geography_passes_every_check(demo, city):
    from geo.geography import validate

    assert validate(demo, city) == []


def test_overlapping_cells_are_refused_naming_both(sample, city):
    # 220302101001001 spans 124.330–124.340 E; stretched east it covers part of its neighbour 002.
    cell = next(f for f in sample if f.code == "220302101001001")
    w, s, e, n = cell.geometry.bounds
    problems = _problems(_replace(sample, cell.code, geometry=_box(w, s, e + 0.002, n)), city)
    assert ("220302101001001", "overlap") in problems


def test_a_gap_inside_a_community_is_refused_naming_the_community(sample, city):
    cell = next(f for f in sample if f.code == "220302101001001")
    w, s, e, n = cell.geometry.bounds
    problems = _problems(_replace(sample, cell.code, geometry=_box(w, s, e - 0.003, n)), city)
    assert problems == {("220302101001", "gap")}


def test_a_duplicate_code_is_refused(sample, city):
    import dataclasses

    twin = dataclasses.replace(next(f for f in sample if f.code == "220302P901"), name="又一个四平站")
    assert ("220302P901", "duplicate_code") in _problems([*sample, twin], city)


def test_a_cell_outside_its_community_is_refused(sample, city):
    # A cell of 海丰社区 (west street, south) said to belong to 站前社区 (east street, north).
    problems = _problems(_replace(sample, "220302101001001", parent_code="220302102002"), city)
    assert ("220302101001001", "outside_parent") in problems


def test_a_missing_parent_is_refused(sample, city):
    problems = _problems(_replace(sample, "220302101001", parent_code="220302999"), city)
    assert ("220302101001", "parent_missing") in problems


def test_a_parent_of_the_wrong_level_is_refused(sample, city):
    problems = _problems(_replace(sample, "220302101001001", parent_code="220302101"), city)
    assert ("220302101001001", "parent_level") in problems


def _moved(features, fn):
    import dataclasses

    import shapely

    return [dataclasses.replace(f, geometry=shapely.transform(f.geometry, fn)) for f in features]


def test_swapped_longitude_and_latitude_are_refused_as_such(sample, city):
    problems = _problems(_moved(sample, lambda xy: xy[:, ::-1]), city)
    assert problems == {("", "crs_swapped")}


def test_projected_metres_are_refused_as_such(sample, city):
    problems = _problems(_moved(sample, lambda xy: xy * 111_000.0), city)
    assert problems == {("", "crs_metres")}


def test_another_city_is_refused(sample, city):
    problems = _problems(_moved(sample, lambda xy: xy + [-8.0, -3.0]), city)  # Beijing, roughly
    assert problems == {("", "crs_elsewhere")}


def _to_gcj02(xy):
    import numpy as np

    from geo.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def test_gcj02_districts_declared_wgs84_are_refused(demo, city):
    districts = [f for f in demo if f.level == "district"]
    assert _problems(_moved(districts, _to_gcj02), city) == {("", "crs_gcj02")}


def test_a_gcj02_file_is_converted_to_wgs84_before_the_checks(sample, city, tmp_path):
    import numpy as np
    import shapely

    from geo.geography import read_file, validate

    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for f in data["features"]:
        geom = shapely.transform(shapely.geometry.shape(f["geometry"]), _to_gcj02)
        f["geometry"] = shapely.geometry.mapping(geom)
    path = tmp_path / "gcj02.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    features, problems = read_file(path, crs="gcj02")
    assert problems == [] and validate(features, city) == []
    back = {f.code: f.geometry for f in features}
    for f in sample:
        # The inverse is exact to well under a millimetre (1e-8° ≈ 1 mm).
        assert np.abs(shapely.get_coordinates(back[f.code]) - shapely.get_coordinates(f.geometry)).max() < 1e-8


@pytest.mark.filterwarnings("ignore:.*(truncated|laundered)")
def test_shapefiles_in_a_folder_are_read_with_the_truncated_parent_field(sample, city, tmp_path):
    import geopandas as gpd

    from geo.geography import read_file, validate

    gdf = gpd.read_file(SAMPLE)
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf[gdf.level != "place"].to_file(folder / "areas.shp")
    gdf[gdf.level == "place"].to_file(folder / "places.shp")
    features, problems = read_file(folder)
    assert problems == [] and validate(features, city) == []
    assert {(f.code, f.parent_code) for f in features} == {(f.code, f.parent_code) for f in sample}


@pytest.mark.filterwarnings("ignore:.*(truncated|laundered)")
def test_a_projected_shapefile_is_refused(tmp_path):
    import geopandas as gpd

    from geo.geography import read_file

    gdf = gpd.read_file(SAMPLE)
    gdf[gdf.level != "place"].to_crs("EPSG:32651").to_file(tmp_path / "utm.shp")
    _, problems = read_file(tmp_path / "utm.shp")
    assert [p.key for p in problems] == ["crs_projected"]


def test_a_feature_without_its_required_properties_is_named_by_position():
    import shapely

    from geo.geography import features_from_records

    features, problems = features_from_records([({"level": "cell", "name": "x"}, shapely.box(0, 0, 1, 1))])
    assert features == [] and {(p.code, p.params["property"]) for p in problems} == {("#1", "code"),
                                                                                       ("#1", "parent_code")}
