"""Unit grids (单元网格) for Siping: the deterministic builder and its CLI.

This module owns the rule that turns the five district polygons into the unit grid every
incident is located in, and the generated files under ``data/siping/``. No public source
publishes Siping's street/community boundaries or grids, so we synthesise them from a regular
lattice; the rule below is the contract, and ``tests/unit/test_geo_grid.py`` checks that the
committed ``grids.geojson`` is exactly what it produces.

The rule
--------
* Input: ``districts.geojson`` — the published GCJ-02 boundaries converted once to WGS84 and
  rounded to 6 decimals (``convert_districts``; also done by the CLI).
* Core: inside the box 124.30–124.42 E, 43.13–43.20 N (these numbers taken as WGS84 degrees),
  the parts of 铁西区 (220302) and 铁东区 (220303) are cut into ~200 m cells. The degree steps are
  fixed: 200 m along the meridian and along the parallel at the box's centre latitude
  (43.165° N) on the WGS84 ellipsoid. Columns/rows start at the box's north-west corner.
* Rural: everything else of every district (including the parts of other districts that fall in
  the box) is cut into ~2 km cells: exactly 10 × the core steps, on the same origin, so the core
  lattice nests in the rural one.
* Every cell is the intersection of its lattice square with its district (and with the box or
  its complement), snap-rounded to 1e-6° so that neighbours share identical edges and nothing
  overlaps. A square that meets a district in several pieces gives one (multi-part) cell.
* Slivers: a piece smaller than 1 % of its full square is merged into the same-district cell
  with which it shares the longest edge (preferring a cell of the same kind). We merge instead of
  dropping so the cells cover the districts completely and every point in Siping gets a cell.
  A sliver that touches no other cell of its district along an edge stays a cell of its own.
* Codes (GB/T 30428.1 style, 15 digits): adcode(6) + street(3) + community(3) + seq(3).
  Core: a community is a block of 5 × 5 cells (~1 km²), a street (街道) a block of 3 × 3
  communities (~9 km²). Rural: a community (村) is 2 × 2 cells (~16 km²), a street (乡镇) 3 × 3
  of those (~144 km², about a township here). Within a district, core streets are numbered
  before rural ones; streets, communities within a street and cells within a community are each
  numbered densely from 1 in reading order (north→south, then west→east). So seq ≤ 25,
  community ≤ 9 and no part can overflow its digits (asserted).
* Names are generated: ``铁西区第3街道`` / ``第12社区`` (core), ``梨树县第5乡镇`` / ``第40村``
  (rural), with English equivalents. Community names carry an ordinal unique within the
  district (so a name alone identifies it in a district-level list); the code's community digits
  are the position within the street.
* ``lon``/``lat`` of a cell is a representative point guaranteed inside it (shapely's
  ``point_on_surface``), rounded to 6 decimals — usable as its label and as its fallback location.

Run ``python -m geo.grid`` from the repository root to regenerate ``districts.geojson`` and
``grids.geojson``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from geo.crs import gcj02_to_wgs84

if TYPE_CHECKING:
    import geopandas

__all__ = [
    "CORE_BOX",
    "CORE_DISTRICTS",
    "CORE_STEP_LON",
    "CORE_STEP_LAT",
    "RURAL_FACTOR",
    "DISTRICT_NAMES_EN",
    "DATA_DIR",
    "build_grids",
    "build_cells",
    "convert_districts",
    "read_districts",
    "write_grids",
    "main",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "siping"

# (west, south, east, north), WGS84 degrees.
CORE_BOX: tuple[float, float, float, float] = (124.30, 43.13, 124.42, 43.20)
CORE_DISTRICTS: frozenset[int] = frozenset({220302, 220303})
CORE_CELL_M = 200.0
RURAL_FACTOR = 10  # rural cell = 10 × 10 core cells (~2 km)

# Snap-rounding grid of every overlay: the precision we publish (6 decimals ≈ 0.1 m), applied
# inside GEOS so neighbouring cells get bit-identical shared edges.
PRECISION = 1e-6
SLIVER_FRACTION = 0.01

# Coding blocks: (cells per community side, communities per street side) per kind.
_BLOCKS = {"core": (5, 3), "rural": (2, 3)}

DISTRICT_NAMES_EN: dict[int, str] = {
    220302: "Tiexi District",
    220303: "Tiedong District",
    220322: "Lishu County",
    220323: "Yitong Manchu Autonomous County",
    220382: "Shuangliao City",
}

_WGS84_A = 6378137.0
_WGS84_E2 = 0.00669437999014


def _metres_per_degree(lat_deg: float) -> tuple[float, float]:
    """(metres per degree of longitude, of latitude) on the WGS84 ellipsoid at a latitude."""
    phi = math.radians(lat_deg)
    w = 1.0 - _WGS84_E2 * math.sin(phi) ** 2
    meridional = _WGS84_A * (1.0 - _WGS84_E2) / w**1.5
    prime_vertical = _WGS84_A / math.sqrt(w)
    return prime_vertical * math.cos(phi) * math.pi / 180.0, meridional * math.pi / 180.0


def _core_steps() -> tuple[float, float]:
    m_lon, m_lat = _metres_per_degree((CORE_BOX[1] + CORE_BOX[3]) / 2.0)
    return CORE_CELL_M / m_lon, CORE_CELL_M / m_lat


# Fixed degree steps (≈0.002462° × 0.001797°); derived, not tuned, so the rule stays explicit.
CORE_STEP_LON, CORE_STEP_LAT = _core_steps()


# --------------------------------------------------------------------------------------------
# Districts: the one-time GCJ-02 → WGS84 conversion
# --------------------------------------------------------------------------------------------

def _convert_ring(ring: Sequence[Sequence[float]]) -> list[list[float]]:
    arr = np.asarray(ring, dtype=np.float64)
    lon, lat = gcj02_to_wgs84(arr[:, 0], arr[:, 1])
    out: list[list[float]] = []
    for x, y in zip(np.round(lon, 6).tolist(), np.round(lat, 6).tolist()):
        # Rounding may merge neighbouring vertices; repeated points would be noise.
        if not out or out[-1] != [x, y]:
            out.append([x, y])
    return out


def convert_districts(src: Path, dst: Path) -> None:
    """Write the GCJ-02 district file ``src`` as WGS84 (adcode and name kept, 6 decimals)."""
    data = json.loads(Path(src).read_text(encoding="utf-8"))
    features = []
    for feat in data["features"]:
        geom = feat["geometry"]
        if geom["type"] == "Polygon":
            polys = [geom["coordinates"]]
        elif geom["type"] == "MultiPolygon":
            polys = geom["coordinates"]
        else:  # pragma: no cover - the published file has only areal geometries
            raise ValueError(f"unexpected geometry type {geom['type']}")
        coords = [[_convert_ring(ring) for ring in poly] for poly in polys]
        converted = {"type": "MultiPolygon", "coordinates": coords}
        if not shape(converted).is_valid:
            raise ValueError(f"district {feat['properties']['adcode']} invalid after conversion")
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "adcode": int(feat["properties"]["adcode"]),
                    "name": feat["properties"]["name"],
                },
                "geometry": converted,
            }
        )
    features.sort(key=lambda f: f["properties"]["adcode"])
    _write_feature_collection(dst, features)


@dataclass(frozen=True)
class District:
    adcode: int
    name: str
    geometry: shapely.Geometry


def read_districts(path: Path) -> list[District]:
    """Read WGS84 district polygons, sorted by adcode (the builder's iteration order)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = [
        District(int(f["properties"]["adcode"]), str(f["properties"]["name"]), shape(f["geometry"]))
        for f in data["features"]
    ]
    return sorted(out, key=lambda d: d.adcode)


# --------------------------------------------------------------------------------------------
# Builder
# --------------------------------------------------------------------------------------------

@dataclass
class _Piece:
    adcode: int
    kind: str  # "core" | "rural"
    col: int  # lattice column (west→east) of the kind's lattice, origin at the box's NW corner
    row: int  # lattice row (north→south)
    geometry: shapely.Geometry
    fraction: float  # area / area of the full lattice square


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """Keep only the areal part of an overlay result (touching edges can yield lines/points)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts, grid_size=PRECISION)


def _lattice_pieces(region: shapely.Geometry, adcode: int, kind: str) -> list[_Piece]:
    """Cut ``region`` by the kind's lattice; one piece per non-empty square."""
    if region.is_empty:
        return []
    factor = 1 if kind == "core" else RURAL_FACTOR
    dx, dy = CORE_STEP_LON * factor, CORE_STEP_LAT * factor
    west0, north0 = CORE_BOX[0], CORE_BOX[3]
    minx, miny, maxx, maxy = region.bounds
    c0, c1 = math.floor((minx - west0) / dx), math.ceil((maxx - west0) / dx)
    r0, r1 = math.floor((north0 - maxy) / dy), math.ceil((north0 - miny) / dy)
    cols, rows = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
    cols, rows = cols.ravel(), rows.ravel()
    # Grid lines are computed from integer indices (never accumulated) so that the shared edge
    # of two neighbours is the very same float.
    xs = west0 + np.arange(c0, c1 + 1) * dx
    ys = north0 - np.arange(r0, r1 + 1) * dy
    squares = shapely.box(xs[cols - c0], ys[rows - r0 + 1], xs[cols - c0 + 1], ys[rows - r0])
    shapely.prepare(region)
    hit = shapely.intersects(region, squares)
    clipped = shapely.intersection(squares[hit], region, grid_size=PRECISION)
    full_area = dx * dy
    pieces = []
    for col, row, geom in zip(cols[hit].tolist(), rows[hit].tolist(), clipped):
        poly = _polygonal(geom)
        if poly is None or poly.area <= 0.0:
            continue
        pieces.append(_Piece(adcode, kind, col, row, poly, poly.area / full_area))
    return pieces


def _merge_slivers(pieces: list[_Piece]) -> list[_Piece]:
    """Merge each sliver into the same-district neighbour sharing its longest edge."""
    is_sliver = [p.fraction < SLIVER_FRACTION for p in pieces]
    if not any(is_sliver):
        return pieces
    geoms = np.array([p.geometry for p in pieces], dtype=object)
    tree = shapely.STRtree(geoms)
    absorbed: dict[int, list[int]] = {}
    kept_alone: set[int] = set()
    for i, piece in enumerate(pieces):
        if not is_sliver[i]:
            continue
        best: tuple[tuple[int, float, int], int] | None = None
        for j in tree.query(piece.geometry, predicate="intersects").tolist():
            other = pieces[j]
            if j == i or is_sliver[j] or other.adcode != piece.adcode:
                continue
            shared = shapely.intersection(
                piece.geometry.boundary, other.geometry.boundary, grid_size=PRECISION
            ).length
            if shared <= 0.0:
                continue  # touching at a point only: merging would make a bow-tie
            # Same kind first, then the longest shared edge; the index breaks exact ties.
            key = (int(other.kind == piece.kind), shared, -j)
            if best is None or key > best[0]:
                best = (key, j)
        if best is None:
            kept_alone.add(i)
        else:
            absorbed.setdefault(best[1], []).append(i)
    out = []
    for i, piece in enumerate(pieces):
        if is_sliver[i] and i not in kept_alone:
            continue
        if i in absorbed:
            merged = shapely.union_all(
                [piece.geometry] + [pieces[k].geometry for k in absorbed[i]], grid_size=PRECISION
            )
            piece = _Piece(piece.adcode, piece.kind, piece.col, piece.row, merged, piece.fraction)
        out.append(piece)
    return out


def build_cells(districts: Iterable[District]) -> list[dict[str, Any]]:
    """Build the grid as plain records (properties + shapely ``geometry``), ordered by code."""
    core_box = shapely.box(*CORE_BOX)
    records: list[dict[str, Any]] = []
    for district in sorted(districts, key=lambda d: d.adcode):
        geom = shapely.set_precision(district.geometry, PRECISION)
        if district.adcode in CORE_DISTRICTS:
            core = _polygonal(shapely.intersection(geom, core_box, grid_size=PRECISION))
            rural = _polygonal(shapely.difference(geom, core_box, grid_size=PRECISION))
        else:
            core, rural = None, geom
        pieces: list[_Piece] = []
        if core is not None:
            pieces += _lattice_pieces(core, district.adcode, "core")
        if rural is not None:
            pieces += _lattice_pieces(rural, district.adcode, "rural")
        pieces = _merge_slivers(pieces)
        records += _number(pieces, district)
    records.sort(key=lambda r: r["code"])
    return records


def _number(pieces: list[_Piece], district: District) -> list[dict[str, Any]]:
    """Give one district's cells their codes and names (see the module docstring)."""

    def blocks(p: _Piece) -> tuple[tuple[int, int], tuple[int, int]]:
        per_comm, per_street = _BLOCKS[p.kind]
        comm = (p.row // per_comm, p.col // per_comm)  # (row, col): tuples sort in reading order
        street = (comm[0] // per_street, comm[1] // per_street)
        return street, comm

    kind_order = {"core": 0, "rural": 1}
    street_keys = sorted({(kind_order[p.kind], blocks(p)[0]) for p in pieces})
    street_no = {key: n for n, key in enumerate(street_keys, start=1)}
    comm_keys = sorted({(kind_order[p.kind], *blocks(p)) for p in pieces})
    comm_no: dict[tuple[Any, ...], int] = {}
    comm_ordinal: dict[tuple[Any, ...], int] = {}
    per_street: dict[tuple[Any, ...], int] = {}
    for ordinal, key in enumerate(comm_keys, start=1):
        skey = key[:2]
        per_street[skey] = per_street.get(skey, 0) + 1
        comm_no[key] = per_street[skey]
        comm_ordinal[key] = ordinal
    ordered = sorted(pieces, key=lambda p: (kind_order[p.kind], *blocks(p), p.row, p.col))
    seq_in: dict[tuple[Any, ...], int] = {}
    en = DISTRICT_NAMES_EN.get(district.adcode, str(district.adcode))
    records = []
    for p in ordered:
        street_blk, comm_blk = blocks(p)
        ckey = (kind_order[p.kind], street_blk, comm_blk)
        seq_in[ckey] = seq_in.get(ckey, 0) + 1
        street = street_no[(kind_order[p.kind], street_blk)]
        community, seq = comm_no[ckey], seq_in[ckey]
        if not (street <= 999 and community <= 999 and seq <= 999):
            raise AssertionError(f"code part overflow in {district.adcode}: {street}/{community}/{seq}")
        ordinal = comm_ordinal[ckey]
        if p.kind == "core":
            names = (f"{district.name}第{street}街道", f"第{ordinal}社区",
                     f"{en} Subdistrict {street}", f"Community {ordinal}")
        else:
            names = (f"{district.name}第{street}乡镇", f"第{ordinal}村",
                     f"{en} Township {street}", f"Village {ordinal}")
        rep = shapely.point_on_surface(p.geometry)
        records.append(
            {
                "code": f"{district.adcode:06d}{street:03d}{community:03d}{seq:03d}",
                "district": district.adcode,
                "district_name": district.name,
                "district_name_en": en,
                "street": street,
                "community": community,
                "seq": seq,
                "kind": p.kind,
                "street_name": names[0],
                "community_name": names[1],
                "street_name_en": names[2],
                "community_name_en": names[3],
                "lon": round(rep.x, 6),
                "lat": round(rep.y, 6),
                "geometry": p.geometry,
            }
        )
    return records


def build_grids(
    districts_path: Path | str = DATA_DIR / "districts.geojson",
) -> geopandas.GeoDataFrame:
    """Build the unit grid from WGS84 district polygons as a GeoDataFrame (EPSG:4326), by code."""
    import geopandas as gpd  # imported here: the runtime index must not pay for pandas

    records = build_cells(read_districts(Path(districts_path)))
    geoms = [r.pop("geometry") for r in records]
    return gpd.GeoDataFrame(records, geometry=geoms, crs="EPSG:4326")


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def _round_coords(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), 6) for v in obj]
        return [_round_coords(v) for v in obj]
    return obj


def geometry_json(geom: shapely.Geometry) -> dict[str, Any]:
    """A geometry as GeoJSON with coordinates at 6 decimals (~0.1 m): what the files and map layers hold."""
    m = mapping(geom)
    return {"type": m["type"], "coordinates": _round_coords(m["coordinates"])}


def _write_feature_collection(path: Path, features: list[dict[str, Any]]) -> None:
    # One feature per line: small, stable diffs when the rule changes.
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    Path(path).write_text(text, encoding="utf-8")


def write_grids(gdf: geopandas.GeoDataFrame, path: Path | str) -> None:
    """Write a grid GeoDataFrame as GeoJSON (properties in a fixed order, 6-decimal coords)."""
    props = [c for c in gdf.columns if c != gdf.geometry.name]
    features = []
    for row, geom in zip(gdf[props].itertuples(index=False, name=None), gdf.geometry.values):
        values = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in zip(props, row)}
        features.append({"type": "Feature", "properties": values, "geometry": geometry_json(geom)})
    _write_feature_collection(Path(path), features)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo.grid", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR,
                        help="folder with districts_gcj02.geojson; outputs go here too")
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir
    convert_districts(data_dir / "districts_gcj02.geojson", data_dir / "districts.geojson")
    gdf = build_grids(data_dir / "districts.geojson")
    write_grids(gdf, data_dir / "grids.geojson")
    print(f"wrote {data_dir / 'grids.geojson'}: {len(gdf)} cells")
    for (adcode, name), group in gdf.groupby(["district", "district_name"], sort=True):
        kinds = group["kind"].value_counts()
        print(f"  {adcode} {name}: {len(group):5d} cells "
              f"(core {int(kinds.get('core', 0))}, rural {int(kinds.get('rural', 0))}), "
              f"{group['street'].nunique()} streets, "
              f"{group.groupby('street')['community'].nunique().sum()} communities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
