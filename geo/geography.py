"""The city's geography: districts, streets, communities, unit grid cells and places, as one model.

This module owns the five-level shape every map layer, the grid index and the gazetteer are built from,
the rules a city's own file must pass before it replaces the geography (:func:`validate`), reading such
a file (:func:`read_file`, GeoJSON or Shapefile through geopandas), and the demo geography derived from
the generated grid (:func:`demo_geography`).

The shape (GB/T 30428.1: 区 > 街道 > 社区 > 单元网格):

* ``level`` is ``district``, ``street``, ``community``, ``cell`` or ``place``;
* ``code`` is unique across the whole geography; ``parent_code`` names the feature one level up
  (district > street > community > cell); a place's parent is any area (usually its community);
* a district's code is its 6-digit administrative code (incidents store the district as that number);
  a cell's code is at most 15 characters (incidents store it as the grid column);
* area levels are (multi)polygons in WGS84 degrees; a place is a point;
* any other property (``name_en``, a place's ``kind``/``alias``, the generated grid's ``kind`` ...) is
  kept in ``extra`` and comes back out in :func:`layers`.

Pure: imports only :mod:`geo` modules, numpy and shapely (geopandas only inside :func:`read_file`).
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from geo.crs import gcj02_to_wgs84
from geo.grid import DATA_DIR, DISTRICT_NAMES_EN, PRECISION, _metres_per_degree, geometry_json
from geo.index import GridIndex

__all__ = [
    "AREA_LEVELS", "Geography", "LAYER_NAMES", "LEVELS", "PARENT_LEVEL", "CellRecord", "Feature", "Problem", "Tolerances",
    "CityExtent", "cell_records", "city_extent", "demo_geography", "features_from_geojson", "features_from_records", "layers",
    "read_file", "validate",
]

LEVELS: tuple[str, ...] = ("district", "street", "community", "cell", "place")
AREA_LEVELS: tuple[str, ...] = LEVELS[:4]
#: The level a feature's parent must have (a place's parent may be any area level).
PARENT_LEVEL: dict[str, str] = {"street": "district", "community": "street", "cell": "community"}
#: The key of each level's FeatureCollection in :func:`layers`.
LAYER_NAMES: dict[str, str] = {
    "district": "districts", "street": "streets", "community": "communities", "cell": "cells", "place": "places",
}
#: Properties every feature of a file must carry (``parent_code`` may be empty for a district).
REQUIRED = ("level", "code", "name", "parent_code")
#: incidents.grid is VARCHAR(15): a longer cell code could not be stored on an incident.
MAX_CELL_CODE = 15
MAX_CODE = 64


@dataclass(frozen=True)
class Feature:
    """One district, street, community, cell or place; ``geometry`` in WGS84 degrees."""

    level: str
    code: str
    name: str
    parent_code: str
    geometry: shapely.Geometry
    extra: Mapping[str, Any] = field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        """The GeoJSON properties: the four shape keys first, then the extra ones."""
        return {**self.extra, "level": self.level, "code": self.code, "name": self.name,
                "parent_code": self.parent_code}


@dataclass(frozen=True)
class Problem:
    """One reason a geography is refused: the feature's code (``""`` for the file as a whole), a catalog
    key under ``geography.problem.`` and its parameters, so the edge renders it in the user's language."""

    code: str
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tolerances:
    """How far a real city's survey may stray before it is refused (areas in m², the margin in degrees).

    Each area check allows ``max(absolute, relative × the area concerned)``: published boundaries are
    snap-rounded to ~0.1 m, which leaves slivers along a district's outline of a few m² per km of edge.
    """

    overlap_m2: float = 10.0
    outside_m2: float = 10.0
    gap_m2: float = 100.0
    relative: float = 0.001
    #: The file's bounds must lie inside the city's extent grown by this margin (0.05° ≈ 4–5.5 km).
    margin_deg: float = 0.05


# ---------------------------------------------------------------------------------------------
# Cells as the grid index and the maps read them
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CellRecord:
    """A cell with the properties ``GridIndex`` and the maps use (the generated grid's columns)."""

    properties: dict[str, Any]
    geometry: shapely.Geometry


def _ordinals(children: Iterable[Feature]) -> dict[str, int]:
    """Position (1-based) of each feature among its siblings, by code: the street/community/seq numbers."""
    groups: dict[str, list[str]] = defaultdict(list)
    for f in children:
        groups[f.parent_code].append(f.code)
    return {code: n for codes in groups.values() for n, code in enumerate(sorted(codes), start=1)}


def cell_records(features: Sequence[Feature]) -> list[CellRecord]:
    """Every cell with its district, street and community numbers and names filled from its ancestors.

    The numbers are positions among siblings in code order, which for the generated grid are exactly
    the digits of its codes (numbered densely from 1), so the demo's cells come out unchanged.
    """
    by_code = {f.code: f for f in features}
    street_no = _ordinals(f for f in features if f.level == "street")
    community_no = _ordinals(f for f in features if f.level == "community")
    cells = [f for f in features if f.level == "cell"]
    seq_no = _ordinals(cells)
    # A point inside each cell only where the file gave none (the generated grid carries its own).
    need = [i for i, c in enumerate(cells) if c.extra.get("lon") is None or c.extra.get("lat") is None]
    reps: list[Any] = [None] * len(cells)
    if need:
        for i, rep in zip(need, shapely.point_on_surface(np.array([cells[i].geometry for i in need], dtype=object))):
            reps[i] = rep
    out = []
    for cell, rep in zip(cells, reps):
        community = by_code[cell.parent_code]
        street = by_code[community.parent_code]
        district = by_code[street.parent_code]
        x = cell.extra.get("lon")
        y = cell.extra.get("lat")
        props: dict[str, Any] = {
            "code": cell.code,
            "district": int(district.code),
            "district_name": district.name,
            "district_name_en": str(district.extra.get("name_en", district.name)),
            "street": street_no[street.code],
            "community": community_no[community.code],
            "seq": seq_no[cell.code],
            "kind": str(cell.extra.get("kind", "cell")),
            "street_name": street.name,
            "community_name": community.name,
            "street_name_en": str(street.extra.get("name_en", street.name)),
            "community_name_en": str(community.extra.get("name_en", community.name)),
            "lon": float(x) if rep is None else round(rep.x, 6),
            "lat": float(y) if rep is None else round(rep.y, 6),
        }
        out.append(CellRecord({**props, "level": "cell", "name": cell.name, "parent_code": cell.parent_code,
                               **{k: v for k, v in cell.extra.items() if k not in props}}, cell.geometry))
    return out


@dataclass(frozen=True)
class Geography:
    """One version of the city's geography as a process holds it: the features, the grid index built
    from their cells, and (built on first use) the map layers."""

    version: int
    features: tuple[Feature, ...]
    grid: GridIndex
    generated: bool = False

    @classmethod
    def build(cls, version: int, features: Sequence[Feature], generated: bool = False) -> Geography:
        cells = cell_records(features)
        grid = GridIndex.from_properties((c.properties for c in cells),
                                         np.array([c.geometry for c in cells], dtype=object))
        return cls(version, tuple(features), grid, generated)

    @cached_property
    def layers(self) -> dict[str, dict[str, Any]]:
        """:func:`layers` of this version (computed once per version and process)."""
        return layers(self.features)


# ---------------------------------------------------------------------------------------------
# Layers for the maps
# ---------------------------------------------------------------------------------------------

def layers(features: Sequence[Feature]) -> dict[str, dict[str, Any]]:
    """One GeoJSON FeatureCollection per level: ``districts``, ``streets``, ``communities``, ``cells``,
    ``places`` (WGS84, 6 decimals), in code order.

    Every feature's properties hold at least ``level``, ``code``, ``name`` and ``parent_code`` plus its
    extra properties (``name_en``; a place's ``kind`` and ``alias``); a cell's also hold the grid's
    columns (``district``, ``district_name``, ``street``, ``community``, ``seq``, ``kind``,
    ``street_name``, ``community_name`` and their ``_en``, ``lon``/``lat`` of a point inside it).
    """
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in LAYER_NAMES.values()}
    for f in sorted((f for f in features if f.level != "cell"), key=lambda f: f.code):
        out[LAYER_NAMES[f.level]].append(
            {"type": "Feature", "properties": f.properties(), "geometry": geometry_json(f.geometry)})
    for c in sorted(cell_records(features), key=lambda c: c.properties["code"]):
        out["cells"].append({"type": "Feature", "properties": c.properties, "geometry": geometry_json(c.geometry)})
    return {name: {"type": "FeatureCollection", "features": feats} for name, feats in out.items()}


# ---------------------------------------------------------------------------------------------
# The demo geography, derived from the generated files
# ---------------------------------------------------------------------------------------------

def _read_collection(path: Path) -> list[dict[str, Any]]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["features"]


def demo_geography(data_dir: Path = DATA_DIR) -> list[Feature]:
    """The generated geography of Siping in the five-level shape.

    Districts are ``districts.geojson``; streets and communities are the dissolved unions of the
    generated cells of ``grids.geojson`` grouped by their code's digits; cells are that grid (all its
    properties kept); places are the gazetteer's roads and landmarks (its streets and communities are
    the areas themselves), each under the community of the cell it lies in.
    """
    from geo.gazetteer import read_csv

    data_dir = Path(data_dir)
    features: list[Feature] = []
    for d in _read_collection(data_dir / "districts.geojson"):
        adcode = int(d["properties"]["adcode"])
        features.append(Feature("district", f"{adcode:06d}", str(d["properties"]["name"]), "",
                                shape(d["geometry"]),
                                {"name_en": DISTRICT_NAMES_EN.get(adcode, str(adcode)), "generated": True}))
    cells = _read_collection(data_dir / "grids.geojson")
    geoms = np.array([shape(c["geometry"]) for c in cells], dtype=object)
    streets: dict[str, list[int]] = defaultdict(list)
    communities: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cells):
        code = c["properties"]["code"]
        streets[code[:9]].append(i)
        communities[code[:12]].append(i)
    for level, groups, parent_len, name_key in (("street", streets, 6, "street_name"),
                                                 ("community", communities, 9, "community_name")):
        for code, members in sorted(groups.items()):
            p = cells[members[0]]["properties"]
            union = shapely.union_all(geoms[members], grid_size=PRECISION)
            features.append(Feature(level, code, str(p[name_key]), code[:parent_len], union,
                                    {"name_en": str(p[f"{name_key}_en"]), "generated": True}))
    for c, geom in zip(cells, geoms):
        p = dict(c["properties"])
        code = str(p.pop("code"))
        name = f"{p['community_name']}第{p['seq']}网格"
        extra = {"name_en": f"{p['community_name_en']} cell {p['seq']}", "generated": True, **p}
        features.append(Feature("cell", code, name, code[:12], geom, extra))
    seq: dict[int, int] = defaultdict(int)
    for place in read_csv(data_dir / "gazetteer.csv"):
        if place.kind in ("street", "community"):
            continue
        seq[place.district] += 1
        features.append(Feature("place", f"{place.district}P{seq[place.district]:03d}", place.name, place.grid[:12],
                                shapely.Point(place.lon, place.lat),
                                {"kind": place.kind, "alias": place.alias, "generated": False}))
    return features


@dataclass(frozen=True)
class CityExtent:
    """What a plausible geography of the configured city is checked against: the (west, south, east,
    north) of its districts and their outlines by code (WGS84)."""

    bounds: tuple[float, float, float, float]
    districts: Mapping[str, shapely.Geometry]


def city_extent(data_dir: Path = DATA_DIR) -> CityExtent:
    """The configured city's extent, from ``districts.geojson`` (the published outlines, in WGS84)."""
    districts = {f"{int(d['properties']['adcode']):06d}": shape(d["geometry"])
                 for d in _read_collection(Path(data_dir) / "districts.geojson")}
    bounds = shapely.total_bounds(np.array(list(districts.values()), dtype=object))
    return CityExtent(tuple(float(v) for v in bounds), districts)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Reading a city's file
# ---------------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """A property value as plain Python; NaN/None (a column another feature has) as missing."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # a numeric code column read as float because another row lacks it
    return value


def _text(value: Any) -> str:
    value = _plain(value)
    return "" if value is None else str(value).strip()


def features_from_records(
    records: Iterable[tuple[Mapping[str, Any], shapely.Geometry | None]],
) -> tuple[list[Feature], list[Problem]]:
    """Features from (properties, geometry) pairs, and a problem for each missing required property."""
    features: list[Feature] = []
    problems: list[Problem] = []
    for n, (props, geom) in enumerate(records, start=1):
        values = {k: _plain(v) for k, v in props.items()}
        level, code, name, parent = (_text(values.pop(k, None)) for k in REQUIRED)
        ident = code or f"#{n}"
        missing = [k for k, v in (("level", level), ("code", code), ("name", name)) if not v]
        if level and level != "district" and not parent:
            missing.append("parent_code")
        for key in missing:
            problems.append(Problem(ident, "missing_property", {"property": key}))
        if level and level not in LEVELS:
            problems.append(Problem(ident, "unknown_level", {"level": level, "levels": ", ".join(LEVELS)}))
        if missing or level not in LEVELS:
            continue
        extra = {k: v for k, v in values.items() if v is not None}
        features.append(Feature(level, code, name, parent, geom, extra))
    return features, problems


def _to_wgs84(geoms: np.ndarray) -> np.ndarray:
    """GCJ-02 geometries moved to WGS84, every vertex at once."""
    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, convert)


#: Shapefile fields are at most 10 characters: the names they truncate to.
SHAPEFILE_NAMES = {"parent_cod": "parent_code"}


def read_file(path: Path | str, crs: str = "wgs84") -> tuple[list[Feature], list[Problem]]:
    """Read a GeoJSON file or Shapefiles into features.

    A Shapefile holds one geometry type, so the areas and the places come as several: give a folder or a
    ``.zip`` of them (every layer is read) or one ``.shp``; ``parent_cod`` (the field name truncated to 10
    characters) is read as ``parent_code``. ``crs`` is the datum of the longitudes/latitudes: ``wgs84`` as
    stored, ``gcj02`` converted to WGS84 before anything else. A layer whose own CRS is projected (metres)
    is refused: its coordinates are not degrees, and reprojecting them is the surveyor's choice.
    """
    import geopandas as gpd  # pandas only for this command, never on the app's start

    if crs not in ("wgs84", "gcj02"):
        raise ValueError(f"crs must be wgs84 or gcj02, not {crs!r}")
    source = Path(path)
    layers_ = [None] if source.suffix.lower() in (".geojson", ".json", ".shp") else \
        list(gpd.list_layers(source)["name"])
    features: list[Feature] = []
    problems: list[Problem] = []
    for layer in layers_:
        gdf = gpd.read_file(source) if layer is None else gpd.read_file(source, layer=layer)
        if gdf.crs is not None and not gdf.crs.is_geographic:
            problems.append(Problem("", "crs_projected", {"crs": gdf.crs.name}))
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        if crs == "gcj02" and len(geoms):
            geoms = _to_wgs84(geoms)
        columns = [c for c in gdf.columns if c != gdf.geometry.name]
        names = [SHAPEFILE_NAMES.get(c, c) for c in columns]
        rows = (dict(zip(names, row)) for row in gdf[columns].itertuples(index=False, name=None))
        found, missing = features_from_records(zip(rows, geoms))
        features += found
        problems += missing
    return features, problems


def features_from_geojson(data: Mapping[str, Any]) -> list[Feature]:
    """Features of a GeoJSON FeatureCollection in the five-level shape (the tests' and tables' reader)."""
    features, problems = features_from_records(
        (f["properties"], shape(f["geometry"]) if f.get("geometry") else None) for f in data["features"])
    if problems:
        raise ValueError(f"not in the geography's shape: {problems[:3]}")
    return features


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

def _m2_per_deg2(lat: float) -> float:
    m_lon, m_lat = _metres_per_degree(lat)
    return m_lon * m_lat


def _check_shape(features: Sequence[Feature]) -> tuple[list[Problem], list[bool]]:
    """Codes, parents and geometry types; returns the problems and which features have usable geometry."""
    problems: list[Problem] = []
    counts: dict[str, int] = defaultdict(int)
    for f in features:
        counts[f.code] += 1
    for code, n in counts.items():
        if n > 1:
            problems.append(Problem(code, "duplicate_code", {"count": n}))
    by_code = {f.code: f for f in features}
    usable: list[bool] = []
    for f in features:
        if f.level == "district" and not (len(f.code) == 6 and f.code.isdigit()):
            problems.append(Problem(f.code, "district_code", {}))
        if len(f.code) > (MAX_CELL_CODE if f.level == "cell" else MAX_CODE):
            problems.append(Problem(f.code, "code_too_long",
                                    {"max": MAX_CELL_CODE if f.level == "cell" else MAX_CODE}))
        if f.level != "district":
            parent = by_code.get(f.parent_code)
            expected = PARENT_LEVEL.get(f.level)
            if parent is None:
                problems.append(Problem(f.code, "parent_missing", {"parent": f.parent_code}))
            elif (expected and parent.level != expected) or (f.level == "place" and parent.level == "place"):
                problems.append(Problem(f.code, "parent_level", {"parent": f.parent_code, "got": parent.level,
                                                                 "expected": expected or "district/street/community/cell"}))
        geom = f.geometry
        wanted = ("Point",) if f.level == "place" else ("Polygon", "MultiPolygon")
        if geom is None or geom.is_empty:
            problems.append(Problem(f.code, "geometry_missing", {}))
            usable.append(False)
        elif geom.geom_type not in wanted:
            problems.append(Problem(f.code, "geometry_type", {"got": geom.geom_type, "expected": "/".join(wanted)}))
            usable.append(False)
        elif not geom.is_valid:
            problems.append(Problem(f.code, "geometry_invalid", {"reason": shapely.is_valid_reason(geom)}))
            usable.append(False)
        else:
            usable.append(True)
    return problems, usable


def _check_extent(features: Sequence[Feature], bounds: tuple[float, float, float, float],
                  margin: float) -> list[Problem]:
    """The file must lie inside the city's extent grown by ``margin`` degrees.

    The rule: every feature's bounding box within (west − m, south − m, east + m, north + m) of the
    configured city's districts. Coordinates in projected metres lie millions of units away, swapped
    longitude/latitude near (lat, lon), another city elsewhere: each is named, so the user knows what to fix.
    """
    geoms = np.array([f.geometry for f in features], dtype=object)
    west, south, east, north = bounds
    boxes = shapely.bounds(geoms)
    inside = ((boxes[:, 0] >= west - margin) & (boxes[:, 1] >= south - margin)
              & (boxes[:, 2] <= east + margin) & (boxes[:, 3] <= north + margin))
    if inside.all():
        return []
    outside = [features[i].code for i in np.flatnonzero(~inside)]
    fb = [round(float(v), 4) for v in shapely.total_bounds(geoms)]
    params = {"count": len(outside), "codes": ", ".join(outside[:5]) + (" …" if len(outside) > 5 else ""),
              "bounds": fb, "city": [round(v, 4) for v in bounds]}
    if max(abs(v) for v in fb) > 360:
        key = "crs_metres"
    elif fb[1] >= west - margin and fb[3] <= east + margin and fb[0] >= south - margin and fb[2] <= north + margin:
        key = "crs_swapped"
    else:
        key = "crs_elsewhere"
    return [Problem("", key, params)]


def _limit(absolute: float, relative: float, area_m2: float) -> float:
    return max(absolute, relative * area_m2)


def _check_geometry(features: Sequence[Feature], tol: Tolerances, m2: float) -> list[Problem]:
    """Children inside their parent, no overlaps within a level, no gaps inside a parent."""
    problems: list[Problem] = []
    by_code = {f.code: f for f in features}
    # Children inside their parent (vectorised per level).
    for level, parent_level in PARENT_LEVEL.items():
        kids = [f for f in features if f.level == level and by_code.get(f.parent_code, None) is not None
                and by_code[f.parent_code].level == parent_level]
        if not kids:
            continue
        child = np.array([k.geometry for k in kids], dtype=object)
        parent = np.array([by_code[k.parent_code].geometry for k in kids], dtype=object)
        outside = shapely.area(shapely.difference(child, parent)) * m2
        areas = shapely.area(child) * m2
        for k, out_m2, area in zip(kids, outside, areas):
            if out_m2 > _limit(tol.outside_m2, tol.relative, area):
                problems.append(Problem(k.code, "outside_parent", {"parent": k.parent_code, "area": round(out_m2)}))
    for place in (f for f in features if f.level == "place" and f.parent_code in by_code):
        parent_geom = by_code[place.parent_code].geometry
        if by_code[place.parent_code].level != "place" and not parent_geom.covers(place.geometry):
            problems.append(Problem(place.code, "place_outside", {"parent": place.parent_code}))
    # No overlaps between features of one level.
    for level in AREA_LEVELS:
        same = [f for f in features if f.level == level]
        if len(same) < 2:
            continue
        geoms = np.array([f.geometry for f in same], dtype=object)
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        shared = shapely.area(shapely.intersection(geoms[left], geoms[right])) * m2
        smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right])) * m2
        for i, j, a, s in zip(left.tolist(), right.tolist(), shared, smaller):
            if a > _limit(tol.overlap_m2, tol.relative, s):
                problems.append(Problem(same[i].code, "overlap", {"other": same[j].code, "area": round(a)}))
    # No gaps: each area's children cover it.
    children: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for f in features:
        if f.level in PARENT_LEVEL and f.parent_code in by_code:
            children[f.parent_code].append(f.geometry)
    for f in features:
        if f.level not in ("district", "street", "community") or f.code not in children:
            continue
        gap = shapely.difference(f.geometry, shapely.union_all(children[f.code], grid_size=PRECISION),
                                 grid_size=PRECISION)
        gap_m2 = gap.area * m2
        if gap_m2 > _limit(tol.gap_m2, tol.relative, f.geometry.area * m2):
            where = shapely.point_on_surface(gap)
            problems.append(Problem(f.code, "gap", {"area": round(gap_m2), "lon": round(where.x, 5),
                                                    "lat": round(where.y, 5)}))
    return problems


def _check_datum(features: Sequence[Feature], known: Mapping[str, shapely.Geometry]) -> list[Problem]:
    """A GCJ-02 file declared WGS84 sits ~580 m north-east of where it belongs around Siping: inside the
    extent, so only its districts' outlines can tell. The rule: over the districts whose code the city
    knows, if the mismatch (symmetric difference ÷ the known area) exceeds 1 % as read and converting
    the file from GCJ-02 would more than halve it, the file is refused as probably GCJ-02. A file
    without the city's district outlines is checked against the extent only.
    """
    matched = [f for f in features if f.level == "district" and f.code in known]
    if not matched:
        return []
    mine = np.array([f.geometry for f in matched], dtype=object)
    theirs = np.array([known[f.code] for f in matched], dtype=object)
    total = float(shapely.area(theirs).sum())
    as_read = float(shapely.area(shapely.symmetric_difference(mine, theirs)).sum()) / total
    converted = float(shapely.area(shapely.symmetric_difference(_to_wgs84(mine), theirs)).sum()) / total
    if as_read > 0.01 and converted < as_read / 2:
        return [Problem("", "crs_gcj02", {"as_read": round(100 * as_read, 1), "converted": round(100 * converted, 1)})]
    return []


def validate(features: Sequence[Feature], city: CityExtent, tolerances: Tolerances = Tolerances()) -> list[Problem]:
    """Every problem that keeps ``features`` from replacing the geography (empty: it may).

    Checks, each reported per feature code: codes unique; a district's code 6 digits and a cell's at
    most 15 characters; each parent present and one level up; geometries of the right type and valid;
    the whole file inside the city's extent and not a GCJ-02 file declared WGS84 (else a problem naming
    the likely cause, and the area checks are skipped: their areas would mean nothing); each
    street/community/cell inside its parent and each place inside its parent; no two features of one
    level overlapping; and no gap inside a district, street or community that its children leave
    uncovered. Areas are in m² at the city's mean latitude (within 1 % across a prefecture).
    """
    if not features:
        return [Problem("", "empty", {})]
    problems, usable = _check_shape(features)
    good = [f for f, ok in zip(features, usable) if ok]
    if not good:
        return problems
    placed = _check_extent(good, city.bounds, tolerances.margin_deg) or _check_datum(good, city.districts)
    problems += placed
    if not placed:
        codes: dict[str, int] = defaultdict(int)
        for f in features:
            codes[f.code] += 1
        # Duplicates and broken geometries are already reported; the area checks need one of each.
        clean = [f for f in good if codes[f.code] == 1]
        problems += _check_geometry(clean, tolerances, _m2_per_deg2((city.bounds[1] + city.bounds[3]) / 2))
    return problems
