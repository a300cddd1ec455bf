"""Locating points in unit grid cells (geo.index)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo.crs import gcj02_to_wgs84
from geo.grid import DATA_DIR
from geo.index import NO_CELL, Cell, GridIndex, OutsideCityError

ROOT = Path(__file__).resolve().parents[2]

# Government seats as published (GCJ-02, from the districts' "center" property).
TIEXI_SEAT_GCJ = (124.360894, 43.176263)
TIEDONG_SEAT_GCJ = (124.388464, 43.16726)
SHUANGLIAO_SEAT_GCJ = (123.505283, 43.518275)
BEIJING = (116.3975, 39.9087)


@pytest.fixture(scope="module")
def index() -> GridIndex:
    return GridIndex.load(DATA_DIR / "grids.geojson")


def test_tiexi_government_seat_is_in_a_core_cell_of_tiexi(index):
    code = index.locate_one(*gcj02_to_wgs84(*TIEXI_SEAT_GCJ))
    cell = index.cell(code)
    assert code.startswith("220302") and cell.district == 220302
    assert cell.kind == "core" and cell.district_name == "铁西区"


def test_tiedong_and_shuangliao_seats_are_in_their_districts(index):
    assert index.cell(index.locate_one(*gcj02_to_wgs84(*TIEDONG_SEAT_GCJ))).district == 220303
    code = index.locate_one(*gcj02_to_wgs84(*SHUANGLIAO_SEAT_GCJ))
    assert code.startswith("220382") and index.cell(code).kind == "rural"


def test_a_point_in_beijing_is_no_cell_and_locate_one_names_it(index):
    assert index.locate([BEIJING[0]], [BEIJING[1]]).tolist() == [NO_CELL]
    with pytest.raises(OutsideCityError, match=r"116\.3975.*39\.9087") as err:
        index.locate_one(*BEIJING)
    assert isinstance(err.value, ValueError)


def test_bulk_locate_returns_codes_and_markers_row_by_row(index):
    seat = gcj02_to_wgs84(*TIEXI_SEAT_GCJ)
    lons = [seat[0], BEIJING[0], float("nan"), seat[0]]
    lats = [seat[1], BEIJING[1], 43.0, seat[1]]
    result = index.locate(lons, lats)
    assert result.dtype.kind == "U" and result.shape == (4,)
    assert result[1] == NO_CELL and result[2] == NO_CELL
    assert result[0] == result[3] == index.locate_one(*seat)
    assert index.locate([], []).shape == (0,)


def test_every_cell_contains_its_own_label_point(index):
    lons = np.array([c.lon for c in index.cells])
    lats = np.array([c.lat for c in index.cells])
    assert index.locate(lons, lats).tolist() == list(index.codes)


def test_a_point_on_a_shared_edge_goes_to_the_smallest_code_whatever_the_order(index):
    import geopandas as gpd

    first = index.codes[0]  # NW corner of the core: its east edge is shared with the next cell
    west, south, east, north = index.geometry(first).bounds
    lon, lat = east, (south + north) / 2
    owners = [c for c, g in zip(index.codes, index.geometries) if g.intersects(shapely.Point(lon, lat))]
    assert len(owners) == 2
    assert index.locate_one(lon, lat) == min(owners)
    shuffled = gpd.read_file(DATA_DIR / "grids.geojson").sample(frac=1.0, random_state=7)
    assert GridIndex.from_geodataframe(shuffled).locate_one(lon, lat) == min(owners)


def test_random_points_in_siping_match_a_geopandas_join(index):
    import geopandas as gpd

    rng = np.random.default_rng(3)
    w, s, e, n = shapely.total_bounds(index.geometries)
    lons, lats = rng.uniform(w, e, 20_000), rng.uniform(s, n, 20_000)
    ours = index.locate(lons, lats)
    cells = gpd.GeoDataFrame({"code": index.codes}, geometry=index.geometries, crs="EPSG:4326")
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")
    joined = gpd.sjoin(pts, cells, predicate="within", how="left")
    theirs = joined.groupby(level=0)["code"].min().reindex(range(len(lons))).fillna(NO_CELL)
    assert ours.tolist() == theirs.tolist()
    assert 0 < (ours == NO_CELL).sum() < len(ours)  # the bounding box reaches outside the city


def test_cell_lookup_and_accessors(index):
    code = index.codes[0]
    cell = index.cell(code)
    assert isinstance(cell, Cell) and cell.code == code
    with pytest.raises(AttributeError):
        cell.code = "x"  # type: ignore[misc]
    assert list(index.codes) == sorted(index.codes) and len(index) == len(index.cells)
    assert code in index and "999999999999999" not in index
    with pytest.raises(KeyError, match="999999999999999"):
        index.cell("999999999999999")
    assert index.districts == {220302: "铁西区", 220303: "铁东区", 220322: "梨树县",
                               220323: "伊通满族自治县", 220382: "双辽市"}


def test_index_loads_in_a_fresh_process_without_the_heavy_data_libraries():
    """Why it starts fast (its load time is the locate benchmark's business, not a timed test's): loading
    the prebuilt index never pulls in pandas, geopandas or plotly."""
    code = (
        "import sys; from geo.index import GridIndex; GridIndex.load();"
        "print(','.join(m for m in ('pandas', 'geopandas', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
