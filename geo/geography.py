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
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from geo.crs import gcj02_to_wgs84
from geo.grid import DATA_DIR, DISTRICT_NAMES_EN, PRECISION, _metres_per_degree

__all__ = [
    "AREA_LEVELS", "LAYER_NAMES", "LEVELS", "PARENT_LEVEL", "CellRecord", "Feature", "Problem", "Tolerances",
    "cell_records", "city_bounds", "demo_geography", "layers",
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
    geoms = np.array([c.geometry for c in cells], dtype=object)
    reps = shapely.point_on_surface(geoms) if len(cells) else geoms
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
            "lon": float(x) if x is not None else round(rep.x, 6),
            "lat": float(y) if y is not None else round(rep.y, 6),
        }
        out.append(CellRecord({**props, "level": "cell", "name": cell.name, "parent_code": cell.parent_code,
                               **{k: v for k, v in cell.extra.items() if k not in props}}, cell.geometry))
    return out


# ---------------------------------------------------------------------------------------------
# Layers for the maps
# ---------------------------------------------------------------------------------------------

def _round(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), 6) for v in obj]
        return [_round(v) for v in obj]
    return obj


def _geojson_geometry(geom: shapely.Geometry) -> dict[str, Any]:
    m = mapping(geom)
    return {"type": m["type"], "coordinates": _round(m["coordinates"])}


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
            {"type": "Feature", "properties": f.properties(), "geometry": _geojson_geometry(f.geometry)})
    for c in sorted(cell_records(features), key=lambda c: c.properties["code"]):
        out["cells"].append({"type": "Feature", "properties": c.properties, "geometry": _geojson_geometry(c.geometry)})
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


def city_bounds(data_dir: Path = DATA_DIR) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the configured city's districts, WGS84 — the extent a plausible
    geography must fall in."""
    geoms = [shape(d["geometry"]) for d in _read_collection(Path(data_dir) / "districts.geojson")]
    return tuple(float(v) for v in shapely.total_bounds(np.array(geoms, dtype=object)))  # type: ignore[return-value]
