"""Benchmark: the operator's search box and caller history on 100,000 incidents.

Fills a fresh, migrated database (SQLite in a temp dir, or ``--database-url`` e.g. PostgreSQL) with
N seeded incidents (codes, phones, grids, gazetteer addresses, category-named descriptions) by Core
bulk insert, then times :func:`incidents.search.search` and :func:`incidents.search.caller_history`
for each kind of query — best of R runs — against the 1 s budget, and prints the ratio to
the conventional approach (a ``LIKE '%q%'`` scan of every column, which is what a search box without
index paths does).

    python benchmarks/search.py             # 100,000 incidents, SQLite
    python benchmarks/search.py --smoke     # same size, fewer repetitions (CI, < 30 s)
    python benchmarks/search.py --database-url postgresql+psycopg://postgres@127.0.0.1/cityops_bench
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, or_, select, text  # noqa: E402

from geo.gazetteer import read_csv  # noqa: E402
from geo.index import GridIndex  # noqa: E402
from incidents.db import Database  # noqa: E402
from incidents.records import IncidentRow  # noqa: E402
from incidents.search import caller_history, find  # noqa: E402

SEED = 20261125
T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
WORDS = ("井盖缺失", "垃圾堆放", "路灯不亮", "占道经营", "小广告", "道路积水", "树木倒伏", "噪音扰民")


def fill(db: Database, n: int) -> dict[str, str]:
    """Insert ``n`` incidents; returns sample values to search for."""
    rng = random.Random(SEED)
    cells = GridIndex.load().cells
    places = [p.name for p in read_csv()]
    phones = [f"13{rng.randrange(10**8, 10**9)}" for _ in range(n // 4)]  # ~4 calls per caller
    rows = []
    for i in range(n):
        c = cells[rng.randrange(len(cells))]
        at = T0 + timedelta(minutes=5 * i)
        rows.append(dict(
            code=at.strftime("%Y%m%d") + f"{i % 288 + 1:05d}", state=rng.choice(["closed", "dispatched", "reported"]),
            category="10101", severity="normal", description=f"{rng.choice(WORDS)} 第{i}号 {rng.choice(WORDS)}",
            lon=c.lon, lat=c.lat, grid=c.code, district=c.district, channel="hotline",
            address=f"{rng.choice(places)}{rng.randrange(1, 300)}号", reporter_phone=rng.choice(phones),
            department=None, assignee=None, deadline=None, rework_count=0, merged_into=None, reported_at=at,
            updated_at=at, resolved_at=None, closed_at=None, version=1, extra={},
        ))
    with db.write.begin() as s:
        for k in range(0, n, 20_000):
            s.execute(insert(IncidentRow), rows[k:k + 20_000])
    mid = rows[n // 2]
    return {"code": mid["code"], "phone": mid["reporter_phone"], "grid": mid["grid"][:12],
            "address": "英雄广场", "text": "树木倒伏", "nothing": "不存在的内容"}


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="fewer repetitions (CI)")
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    repeat = 3 if args.smoke else 10
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        db.upgrade()
        with db.write.begin() as s:
            s.execute(text("DELETE FROM events"))
            s.execute(text("DELETE FROM incidents"))
        t0 = time.perf_counter()
        samples = fill(db, args.n)
        print(f"{db.engine.dialect.name}: {args.n:,} incidents inserted in {time.perf_counter() - t0:.1f} s")
        worst = 0.0
        with db.read() as s:
            for kind, q in samples.items():
                ours = best(lambda: find(q, session=s), repeat)
                pattern = f"%{q}%"
                cols = (IncidentRow.code, IncidentRow.reporter_phone, IncidentRow.grid, IncidentRow.address,
                        IncidentRow.description)
                naive = best(lambda: s.scalars(select(IncidentRow).where(or_(*(c.like(pattern) for c in cols)))
                                               .order_by(IncidentRow.id.desc()).limit(50)).all(), repeat)
                found = len(find(q, session=s))
                worst = max(worst, ours)
                print(f"  search {kind:8s} {q!r:>20}: {ours * 1000:7.1f} ms ({found:2d} hits)  "
                      f"full LIKE scan {naive * 1000:7.1f} ms  ratio {naive / ours:6.1f}x")
            hist = best(lambda: caller_history(samples["phone"], session=s), repeat)
            worst = max(worst, hist)
            print(f"  caller history {samples['phone']}: {hist * 1000:.1f} ms "
                  f"({len(caller_history(samples['phone'], session=s))} incidents)")
        print(f"worst case {worst * 1000:.1f} ms — budget 1000 ms: {'OK' if worst < 1 else 'TOO SLOW'}")
        db.dispose()
        return 0 if worst < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
