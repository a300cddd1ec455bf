"""Benchmark: locating points in unit grid cells — GridIndex.locate vs geopandas.sjoin.

Draws N seeded random WGS84 points in Siping's bounding box (the city fills only about 36 % of
it, so most points exercise the "no cell" path), locates them with ``GridIndex.locate`` (one
vectorised STRtree query plus the shared-edge rule) and with the conventional
``geopandas.sjoin(points, cells, predicate="within")``, checks that both agree wherever sjoin
finds a single cell, and prints points/s for each and the ratio.

    python benchmarks/locate.py            # 1,000,000 points
    python benchmarks/locate.py --smoke    # 50,000 points, well under 30 s (CI)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from geo.index import NO_CELL, GridIndex  # noqa: E402

SEED = 20261125


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="50,000 points (CI)")
    parser.add_argument("-n", type=int, default=None, help="number of points")
    args = parser.parse_args(argv)
    n = args.n or (50_000 if args.smoke else 1_000_000)

    t0 = time.perf_counter()
    index = GridIndex.load()
    load_s = time.perf_counter() - t0

    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(SEED)
    west, south, east, north = shapely.total_bounds(index.geometries)
    lons = rng.uniform(west, east, n)
    lats = rng.uniform(south, north, n)

    index.locate(lons[:1000], lats[:1000])  # warm-up (first-call allocations)
    t0 = time.perf_counter()
    ours = index.locate(lons, lats)
    ours_s = time.perf_counter() - t0

    # The conventional path, timed from the same raw arrays to the same per-point answer.
    cells = gpd.GeoDataFrame({"code": index.codes}, geometry=index.geometries, crs="EPSG:4326")
    cells.sindex  # built outside the timing, like our tree
    t0 = time.perf_counter()
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")
    joined = gpd.sjoin(points, cells, predicate="within", how="left")
    theirs = joined["code"].groupby(level=0).first().reindex(range(n)).fillna(NO_CELL).to_numpy()
    sjoin_s = time.perf_counter() - t0

    inside = ours != NO_CELL
    # "within" excludes boundaries, so sjoin can only differ on points exactly on an edge.
    agree = float(np.mean(ours == theirs))
    print(f"cells: {len(index)}  points: {n:,}  inside the city: {inside.mean():.1%}  "
          f"index load: {load_s:.2f} s")
    print(f"GridIndex.locate : {n / ours_s:12,.0f} points/s  ({ours_s:.2f} s)")
    print(f"geopandas.sjoin  : {n / sjoin_s:12,.0f} points/s  ({sjoin_s:.2f} s)")
    print(f"ratio            : {sjoin_s / ours_s:.2f}x  (agreement {agree:.4%})")
    return 0 if agree > 0.999 else 1


if __name__ == "__main__":
    sys.exit(main())
