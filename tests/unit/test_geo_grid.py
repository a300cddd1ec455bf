"""The unit grid builder (geo.grid) and the committed data/siping files it produced."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo.grid import (
    CORE_BOX,
    CORE_DISTRICTS,
    CORE_STEP_LAT,
    CORE_STEP_LON,
    DATA_DIR,
    RURAL_FACTOR,
    build_grids,
    convert_districts,
    read_districts,
)

GRIDS = DATA_DIR / "grids.geojson"
DISTRICTS = DATA_DIR / "districts.geojson"
ADCODES = {220302, 220303, 220322, 220323, 220382}


@pytest.fixture(scope="module")
def committed():
    import geopandas as gpd

    return gpd.read_file(GRIDS)


@pytest.fixture(scope="module")
def built():
    return build_grids(DISTRICTS)


def test_builder_reproduces_the_committed_grids(built, committed):
    assert len(built) == len(committed)
    props = [c for c in built.columns if c != "geometry"]
    assert props == [c for c in committed.columns if c != "geometry"]
    for col in props:
        assert built[col].tolist() == committed[col].tolist(), col
    sym = shapely.area(shapely.symmetric_difference(built.geometry.values, committed.geometry.values))
    assert sym.max() < 1e-10  # deg²; a 200 m cell is ~4.4e-6


def test_converted_districts_are_reproduced(tmp_path: Path):
    out = tmp_path / "districts.geojson"
    convert_districts(DATA_DIR / "districts_gcj02.geojson", out)
    assert out.read_text(encoding="utf-8") == DISTRICTS.read_text(encoding="utf-8")
    gcj = json.loads((DATA_DIR / "districts_gcj02.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["adcode"] for f in gcj["features"]} == ADCODES


def test_codes_are_unique_15_digit_and_prefixed_by_the_district(committed):
    codes = committed["code"]
    assert codes.is_unique
    assert codes.str.fullmatch(r"\d{15}").all()
    assert (codes.str[:6].astype(int) == committed["district"]).all()
    assert set(committed["district"]) == ADCODES


def test_code_parts_match_fields_and_never_overflow(committed):
    codes = committed["code"]
    assert (codes.str[6:9].astype(int) == committed["street"]).all()
    assert (codes.str[9:12].astype(int) == committed["community"]).all()
    assert (codes.str[12:].astype(int) == committed["seq"]).all()
    assert committed["seq"].between(1, 100).all()
    assert committed["community"].between(1, 10).all()
    assert committed["street"].between(1, 999).all()


def test_parts_are_numbered_densely_from_one(committed):
    for _, group in committed.groupby(["district", "street", "community"]):
        assert sorted(group["seq"]) == list(range(1, len(group) + 1))
    for _, group in committed.groupby(["district", "street"]):
        assert sorted(set(group["community"])) == list(range(1, group["community"].nunique() + 1))
    for _, group in committed.groupby("district"):
        assert sorted(set(group["street"])) == list(range(1, group["street"].nunique() + 1))


def test_cells_in_a_community_are_numbered_west_to_east_then_north_to_south(committed):
    core = committed[committed["kind"] == "core"]
    area = shapely.area(core.geometry.values)  # degree² on purpose: lattice squares
    full = core[np.isclose(area, CORE_STEP_LON * CORE_STEP_LAT, rtol=1e-3)]
    for _, group in full.groupby(["district", "street", "community"]):
        c = shapely.centroid(group.geometry.values)
        rows = np.floor((CORE_BOX[3] - shapely.get_y(c)) / CORE_STEP_LAT).astype(int)
        x = shapely.get_x(c)
        expected = group.assign(r=rows, x=x).sort_values(["r", "x"])["seq"].tolist()
        assert expected == sorted(expected)


def test_core_cells_are_only_in_the_city_districts_inside_the_box(committed):
    core = committed[committed["kind"] == "core"]
    assert set(core["district"]) == set(CORE_DISTRICTS)
    w, s, e, n = core.total_bounds
    assert w >= CORE_BOX[0] - 1e-9 and s >= CORE_BOX[1] - 1e-9
    assert e <= CORE_BOX[2] + 1e-9 and n <= CORE_BOX[3] + 1e-9
    assert set(committed["kind"]) == {"core", "rural"}


def test_no_slivers_remain(committed):
    full = np.where(committed["kind"] == "core", 1, RURAL_FACTOR**2) * CORE_STEP_LON * CORE_STEP_LAT
    assert (shapely.area(committed.geometry.values) / full).min() >= 0.01


def test_cells_cover_each_district_and_do_not_overlap(committed):
    for d in read_districts(DISTRICTS):
        cells = committed[committed["district"] == d.adcode].geometry.values
        union = shapely.union_all(cells)
        gaps = union.symmetric_difference(d.geometry)
        # Snap-rounding to 1e-6° bends district edges where grid lines cross them, leaving
        # hairline differences (< 0.1 m wide) and nothing else.
        assert gaps.area < 1e-5 * d.geometry.area
        assert shapely.buffer(gaps, -5e-7).is_empty
    geoms = committed.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert pairs.sum() > len(geoms)  # neighbours were really compared
    assert overlap.max() < 1e-12


def test_representative_points_lie_inside_their_cells(committed):
    points = shapely.points(committed["lon"], committed["lat"])
    assert shapely.contains(committed.geometry.values, points).all()


def test_names_are_generated_per_kind(committed):
    row = committed[committed["code"] == committed[committed["kind"] == "core"]["code"].min()].iloc[0]
    assert row["street_name"] == f"{row['district_name']}第{row['street']}街道"
    assert row["community_name"].startswith("第") and row["community_name"].endswith("社区")
    rural = committed[committed["kind"] == "rural"]
    assert rural["street_name"].str.endswith("乡镇").all()
    assert rural["community_name_en"].str.startswith("Village ").all()


def test_geo_imports_nothing_from_the_app():
    code = (
        "import sys, geo.grid, geo.index, geo.crs;"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " {'dash','flask','flask_socketio','sqlalchemy','incidents','dispatch','api','live',"
        "'layouts','callbacks','auth','app','settings'}];"
        "print(','.join(bad))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
