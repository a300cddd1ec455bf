"""The offline gazetteer of Siping: streets, communities, roads and landmarks with WGS84 points.

No online geocoder may be used, and no public source lists Siping's communities with coordinates, so
the gazetteer is built from two sources (``python -m geo.gazetteer`` writes ``data/siping/gazetteer.csv``):

* **Generated** — every street (街道/乡镇) and community (社区/村) of the unit grid
  (``grids.geojson``, see :mod:`geo.grid`), named ``<district><street>`` / ``<district><community>``
  (community ordinals are unique within a district). Its point is the label point of the member cell
  nearest the mean of the members' label points, so it lies inside the area even for odd shapes.
* **Typed** — real, well-known Siping roads and landmarks (:data:`KNOWN_PLACES`), placed by hand
  from general knowledge of the city. The points are approximate (a few hundred metres); the
  builder drops any that fall outside every grid cell. ``/admin`` corrects them in the ``places``
  table, which is the truth after the first start (the CSV is only the seed).

Pure: imports only :mod:`geo.index`; ranking of look-ups is here too so it is tested without a database.
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from geo.index import DEFAULT_GRIDS_PATH, NO_CELL, GridIndex

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "siping" / "gazetteer.csv"
COLUMNS = ("kind", "name", "alias", "district", "lon", "lat", "grid")
#: Look-up order when two places match equally well: a landmark is what a caller names most often.
KIND_ORDER = {"landmark": 0, "road": 1, "community": 2, "street": 3}

#: (kind, name, alias, lon, lat) — approximate WGS84 positions of well-known places, typed by hand.
KNOWN_PLACES: tuple[tuple[str, str, str, float, float], ...] = (
    ("landmark", "四平站", "四平火车站 Siping Railway Station", 124.3560, 43.1690),
    ("landmark", "四平东站", "高铁站 Siping East Railway Station", 124.4270, 43.1580),
    ("landmark", "英雄广场", "Hero Square", 124.3640, 43.1700),
    ("landmark", "四平战役纪念馆", "Siping Campaign Memorial", 124.3680, 43.1760),
    ("landmark", "吉林师范大学", "吉师 Jilin Normal University", 124.3370, 43.1640),
    ("landmark", "四平市人民政府", "市政府 Siping City Government", 124.3700, 43.1660),
    ("landmark", "南湖公园", "Nanhu Park", 124.3740, 43.1480),
    ("landmark", "四平市中心人民医院", "中心医院 Siping Central Hospital", 124.3550, 43.1740),
    ("landmark", "四平万达广场", "万达 Wanda Plaza", 124.3830, 43.1600),
    ("landmark", "四平职业大学", "Siping Vocational University", 124.4000, 43.1720),
    ("landmark", "梨树县人民政府", "梨树县政府 Lishu County Government", 124.3350, 43.3070),
    ("landmark", "伊通满族自治县人民政府", "伊通县政府 Yitong County Government", 125.3030, 43.3450),
    ("landmark", "双辽市人民政府", "双辽市政府 Shuangliao City Government", 123.5020, 43.5180),
    ("road", "紫气大路", "Ziqi Avenue", 124.3600, 43.1660),
    ("road", "英雄大路", "Yingxiong Avenue", 124.3650, 43.1680),
    ("road", "中央东路", "Zhongyang East Road", 124.3750, 43.1650),
    ("road", "中央西路", "Zhongyang West Road", 124.3450, 43.1650),
    ("road", "北门街", "Beimen Street", 124.3660, 43.1740),
    ("road", "新华大街", "Xinhua Street", 124.3720, 43.1620),
    ("road", "海丰大街", "Haifeng Street", 124.3400, 43.1580),
    ("road", "仁兴街", "Renxing Street", 124.3500, 43.1610),
    ("road", "地直街", "Dizhi Street", 124.3780, 43.1700),
    ("road", "南一纬路", "Nanyiwei Road", 124.3600, 43.1550),
)


@dataclass(frozen=True)
class Place:
    kind: str
    name: str
    alias: str
    district: int
    lon: float
    lat: float
    grid: str

    @property
    def label(self) -> str:
        return self.name


def build(grid: GridIndex) -> list[Place]:
    """Every generated and typed place, located into its grid cell; deterministic order."""
    places: list[Place] = []
    streets: dict[tuple[int, str], list] = defaultdict(list)
    communities: dict[tuple[int, str], list] = defaultdict(list)
    for c in grid.cells:
        streets[(c.district, c.street_name)].append(c)
        communities[(c.district, c.district_name + c.community_name)].append(c)
    for kind, groups in (("street", streets), ("community", communities)):
        for (district, name), cells in sorted(groups.items()):
            mx = sum(c.lon for c in cells) / len(cells)
            my = sum(c.lat for c in cells) / len(cells)
            best = min(cells, key=lambda c: ((c.lon - mx) ** 2 + (c.lat - my) ** 2, c.code))
            places.append(Place(kind, name, "", district, best.lon, best.lat, best.code))
    lons = [p[3] for p in KNOWN_PLACES]
    lats = [p[4] for p in KNOWN_PLACES]
    for (kind, name, alias, lon, lat), code in zip(KNOWN_PLACES, grid.locate(lons, lats)):
        if str(code) == NO_CELL:
            print(f"gazetteer: {name} ({lon}, {lat}) is outside every grid cell; left out", file=sys.stderr)
            continue
        places.append(Place(kind, name, alias, int(str(code)[:6]), lon, lat, str(code)))
    return places


def write_csv(places: Iterable[Place], path: Path = DEFAULT_PATH) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("# Siping gazetteer, generated by `python -m geo.gazetteer` (see geo/gazetteer.py); WGS84\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for p in places:
            w.writerow([p.kind, p.name, p.alias, p.district, f"{p.lon:.6f}", f"{p.lat:.6f}", p.grid])


def read_csv(path: Path = DEFAULT_PATH) -> list[Place]:
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return [Place(r["kind"], r["name"], r["alias"], int(r["district"]), float(r["lon"]), float(r["lat"]),
                      r["grid"]) for r in rows]


def rank(query: str, places: Sequence[Place], limit: int = 10) -> list[Place]:
    """Best matches first: exact name, then name prefix, then name contains, then alias contains;
    ties go to landmarks before roads, communities and streets, then to shorter names."""
    q = query.strip().lower()
    if not q:
        return []

    def score(p: Place) -> tuple[int, int, int, str] | None:
        name, alias = p.name.lower(), p.alias.lower()
        if name == q:
            level = 0
        elif name.startswith(q):
            level = 1
        elif q in name:
            level = 2
        elif q in alias:
            level = 3
        else:
            return None
        return (level, KIND_ORDER.get(p.kind, 9), len(p.name), p.name)

    scored = [(s, p) for p in places if (s := score(p)) is not None]
    return [p for _, p in sorted(scored, key=lambda sp: sp[0])[:limit]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write data/siping/gazetteer.csv from the grids and known places")
    parser.add_argument("--grids", type=Path, default=DEFAULT_GRIDS_PATH)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    places = build(GridIndex.load(args.grids))
    write_csv(places, args.out)
    counts: dict[str, int] = defaultdict(int)
    for p in places:
        counts[p.kind] += 1
    print(f"wrote {len(places)} places to {args.out}: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
