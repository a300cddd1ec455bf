"""Benchmark: building the grid index at start from the geography tables vs from ``grids.geojson``.

The app used to read ``data/siping/grids.geojson`` at start; it now builds its index (and keeps the whole
five-level geography) from the ``geo_features`` table. This writes the demo geography into a fresh SQLite
file, then times, alternately and ``--repeat`` times each, the conventional path (``GridIndex.load`` of the
GeoJSON file) and ours (``incidents.geography.load``: one query, one ``json.loads`` of every row's extra
properties, one vectorised ``shapely.from_wkb``, then the index), with the process cache of builds cleared
so every round really builds. Prints the medians and the ratio, and fails if the two indexes differ.

    python benchmarks/geography_load.py            # 7 rounds each
    python benchmarks/geography_load.py --smoke    # 2 rounds each, well under 30 s (CI)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo.geography import demo_geography  # noqa: E402
from geo.grid import DATA_DIR  # noqa: E402
from geo.index import GridIndex  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="2 rounds each (CI)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds of each path")
    args = parser.parse_args(argv)
    rounds = args.repeat or (2 if args.smoke else 7)

    from incidents import geography as store
    from incidents.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/geo.db")
        db.upgrade()
        features = demo_geography()
        with db.write.begin() as s:
            store.save(features, session=s, source="benchmark", generated=True, now=datetime.now(timezone.utc))
        file_s: list[float] = []
        table_s: list[float] = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            from_file = GridIndex.load(DATA_DIR / "grids.geojson")
            file_s.append(time.perf_counter() - t0)
            store._BUILT.clear()  # measure a real build, not this process's cache of it
            t0 = time.perf_counter()
            with db.read() as s:
                from_table = store.load(s).grid
            table_s.append(time.perf_counter() - t0)
        db.dispose()
    same = from_file.cells == from_table.cells and all(
        a.equals(b) for a, b in zip(from_file.geometries, from_table.geometries))
    f, t = statistics.median(file_s), statistics.median(table_s)
    print(f"cells: {len(from_table)}  features: {len(features)}  rounds: {rounds}")
    print(f"GridIndex.load(grids.geojson)      : {f * 1000:8.0f} ms (median)")
    print(f"geography tables → Geography.grid  : {t * 1000:8.0f} ms (median; also keeps all {len(features)} features)")
    print(f"ratio table/file                   : {t / f:.2f}x  (identical index: {same})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
