"""The point → unit-grid index: which cell is this WGS84 coordinate in?

This module owns locating. Every incident, from a form, a phone, a sensor or a CSV import, is
placed in a cell here, so the lookup is vectorised (a shapely 2 ``STRtree`` queried with all
points at once) and the index builds in a fraction of a second without pandas/geopandas: the app
builds it at start from the geography tables (``geo.geography.Geography``), tools from
``data/siping/grids.geojson``; ``ReloadingGrid`` follows a newly imported geography.

Decisions callers rely on:

* ``NO_CELL`` (the empty string) marks a point outside every cell in bulk results, so a CSV
  import can report rows one by one; ``locate_one`` raises ``OutsideCityError`` instead.
* Boundaries are inclusive: a point exactly on a cell's edge belongs to it. A point on an edge
  shared by several cells goes to the cell with the smallest code — deterministic, and
  independent of the order the file lists the cells in.
* Coordinates in and out are WGS84 longitude/latitude degrees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import shape

if TYPE_CHECKING:
    import geopandas

__all__ = ["NO_CELL", "Cell", "GridIndex", "OutsideCityError", "DEFAULT_GRIDS_PATH", "ReloadingGrid"]

NO_CELL = ""
DEFAULT_GRIDS_PATH = Path(__file__).resolve().parent.parent / "data" / "siping" / "grids.geojson"
_CODE_DTYPE = "<U15"


class OutsideCityError(ValueError):
    """A coordinate lies in no unit grid cell (outside the city, or not a number)."""

    def __init__(self, lon: float, lat: float) -> None:
        self.lon = lon
        self.lat = lat
        super().__init__(
            f"point lon={lon!r}, lat={lat!r} (WGS84) is outside every unit grid cell of the city"
        )


@dataclass(frozen=True, slots=True)
class Cell:
    """One unit grid cell's identity; ``lon``/``lat`` is a point inside it (for labels)."""

    code: str
    district: int
    district_name: str
    street: int
    community: int
    seq: int
    kind: str
    street_name: str
    community_name: str
    lon: float
    lat: float


def _cell_from_properties(p: Mapping[str, Any]) -> Cell:
    return Cell(
        code=str(p["code"]),
        district=int(p["district"]),
        district_name=str(p["district_name"]),
        street=int(p["street"]),
        community=int(p["community"]),
        seq=int(p["seq"]),
        kind=str(p["kind"]),
        street_name=str(p["street_name"]),
        community_name=str(p["community_name"]),
        lon=float(p["lon"]),
        lat=float(p["lat"]),
    )


class GridIndex:
    """An immutable spatial index over the unit grid cells."""

    def __init__(self, cells: list[Cell], geometries: ArrayLike) -> None:
        geoms = np.asarray(geometries, dtype=object)
        if len(cells) != len(geoms):
            raise ValueError(f"{len(cells)} cells but {len(geoms)} geometries")
        # Sorting by code makes "smallest tree index" mean "smallest code": the edge rule.
        order = sorted(range(len(cells)), key=lambda i: cells[i].code)
        self._cells: tuple[Cell, ...] = tuple(cells[i] for i in order)
        self._geoms: NDArray[np.object_] = geoms[order] if len(order) else geoms
        self._by_code: dict[str, Cell] = {c.code: c for c in self._cells}
        if len(self._by_code) != len(self._cells):
            raise ValueError("duplicate cell codes in the grid")
        # One extra slot holds NO_CELL so "not found" is just index len(cells).
        self._code_table: NDArray[np.str_] = np.array(
            [c.code for c in self._cells] + [NO_CELL], dtype=_CODE_DTYPE
        )
        self._tree = shapely.STRtree(self._geoms)
        self._districts: dict[int, str] = {}
        for c in self._cells:
            self._districts.setdefault(c.district, c.district_name)

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | str = DEFAULT_GRIDS_PATH) -> GridIndex:
        """Load the grids GeoJSON written by ``python -m geo.grid``."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        features = data["features"]
        cells = [_cell_from_properties(f["properties"]) for f in features]
        geoms = [shape(f["geometry"]) for f in features]
        return cls(cells, geoms)

    @classmethod
    def from_properties(cls, properties: Iterable[Mapping[str, Any]], geometries: ArrayLike) -> GridIndex:
        """Build from each cell's properties (the grid's columns) and its polygon, in the same order."""
        return cls([_cell_from_properties(p) for p in properties], geometries)

    @classmethod
    def from_geodataframe(cls, gdf: geopandas.GeoDataFrame) -> GridIndex:
        """Build from a GeoDataFrame with the grid columns (e.g. ``geo.grid.build_grids()``)."""
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        records = (dict(zip(cols, row)) for row in gdf[cols].itertuples(index=False, name=None))
        cells = [_cell_from_properties(r) for r in records]
        return cls(cells, np.asarray(gdf.geometry.values, dtype=object))

    # -- lookups ----------------------------------------------------------------------------

    def locate_indices(self, lons: ArrayLike, lats: ArrayLike) -> NDArray[np.intp]:
        """Position (in ``codes`` order) of each point's cell, or ``len(self)`` if none."""
        x = np.asarray(lons, dtype=np.float64).ravel()
        y = np.asarray(lats, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"lons and lats differ in length: {x.size} vs {y.size}")
        result = np.full(x.size, len(self._cells), dtype=np.intp)
        if x.size == 0:
            return result
        # NaN coordinates make empty points, which intersect nothing -> NO_CELL.
        points = shapely.points(x, y)
        point_idx, cell_idx = self._tree.query(points, predicate="intersects")
        # A point on a shared edge matches several cells: keep the smallest index (= code).
        np.minimum.at(result, point_idx, cell_idx)
        return result

    def locate(self, lons: ArrayLike, lats: ArrayLike) -> NDArray[np.str_]:
        """Cell codes for WGS84 points (vectorised); ``NO_CELL`` where a point is in no cell.

        Returns a 1-d numpy array of ``str`` (dtype ``<U15``) as long as the inputs.
        """
        return self._code_table[self.locate_indices(lons, lats)]

    def locate_one(self, lon: float, lat: float) -> str:
        """The code of the cell containing one WGS84 point; raises ``OutsideCityError``."""
        code = str(self.locate([lon], [lat])[0])
        if code == NO_CELL:
            raise OutsideCityError(lon, lat)
        return code

    def cell(self, code: str) -> Cell:
        """The cell with this code (``KeyError`` naming the code if unknown)."""
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"unknown unit grid cell code {code!r}") from None

    def geometry(self, code: str) -> shapely.Geometry:
        """The cell's polygon (WGS84)."""
        return self._geoms[self._position(code)]

    def _position(self, code: str) -> int:
        pos = int(np.searchsorted(self._code_table[:-1], code))
        if pos >= len(self._cells) or self._cells[pos].code != code:
            raise KeyError(f"unknown unit grid cell code {code!r}")
        return pos

    # -- accessors --------------------------------------------------------------------------

    @property
    def codes(self) -> tuple[str, ...]:
        """All cell codes, sorted."""
        return tuple(c.code for c in self._cells)

    @property
    def cells(self) -> tuple[Cell, ...]:
        """All cells, in code order."""
        return self._cells

    @property
    def geometries(self) -> NDArray[np.object_]:
        """Cell polygons in code order (a copy of the array; the shapely objects are shared)."""
        return self._geoms.copy()

    @property
    def districts(self) -> dict[int, str]:
        """District adcode → name for the districts the grid covers."""
        return dict(self._districts)

    def __len__(self) -> int:
        return len(self._cells)

    def __iter__(self) -> Iterator[Cell]:
        return iter(self._cells)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code


class ReloadingGrid:
    """The grid index a process uses when the geography may change under it (an import in any process).

    Every call asks ``current`` for the index of the moment (the composition root passes a cache that
    reloads from the geography tables when their version moves) and delegates to it, so services hold
    this one object for their lifetime and still locate into the newest cells. A lookup and the cell it
    names come from one index only if the caller keeps ``current()``'s result for both.
    """

    def __init__(self, current: Callable[[], GridIndex]) -> None:
        self._current = current

    def current(self) -> GridIndex:
        """The index as of now (immutable: keep it to make several lookups agree)."""
        return self._current()

    def locate_indices(self, lons: ArrayLike, lats: ArrayLike) -> NDArray[np.intp]:
        return self._current().locate_indices(lons, lats)

    def locate(self, lons: ArrayLike, lats: ArrayLike) -> NDArray[np.str_]:
        return self._current().locate(lons, lats)

    def locate_one(self, lon: float, lat: float) -> str:
        return self._current().locate_one(lon, lat)

    def cell(self, code: str) -> Cell:
        return self._current().cell(code)

    def geometry(self, code: str) -> shapely.Geometry:
        return self._current().geometry(code)

    @property
    def codes(self) -> tuple[str, ...]:
        return self._current().codes

    @property
    def cells(self) -> tuple[Cell, ...]:
        return self._current().cells

    @property
    def geometries(self) -> NDArray[np.object_]:
        return self._current().geometries

    @property
    def districts(self) -> dict[int, str]:
        return self._current().districts

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self) -> Iterator[Cell]:
        return iter(self._current())

    def __contains__(self, code: object) -> bool:
        return code in self._current()
