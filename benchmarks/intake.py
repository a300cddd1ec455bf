"""Benchmark: machine intake — sustained JSON API creates/s (p50/p99) and CSV import rows/s against raw
``sqlite3`` ``executemany`` writing the same incident and event rows, printed as a ratio.

One process, SQLite (WAL) in a temporary folder. The API is driven through Flask's test client (no
socket: the figure is the app's own cost per create — validation, locating, duplicate check, routing,
three events, one commit). The import file is generated from real grid cells, then imported through
``dispatch.importer`` (decode → map → validate every row → bulk insert in one transaction).

    python benchmarks/intake.py            # 2,000 API creates, 100,000 CSV rows
    python benchmarks/intake.py --smoke    # 300 creates, 10,000 rows, well under 30 s (CI)
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SECRET = "bench-secret-123456"


def _settings(path: Path, group_commit: int = 0):  # type: ignore[no-untyped-def]
    from settings import Settings

    return Settings(_env_file=None, database_url=f"sqlite:///{path}", demo=False,  # type: ignore[call-arg]
                    api_tokens=f"bench:operator:{SECRET}", redis_url=None, api_group_commit=group_commit)


def _points(grid, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    cells = grid.cells
    pick = rng.integers(0, len(cells), n)
    lon = np.array([cells[i].lon for i in pick])
    lat = np.array([cells[i].lat for i in pick])
    return lon, lat


def bench_api(n: int, folder: Path, *, clients: int = 1, group_commit: int = 0, name: str = "api") -> dict[str, float]:
    """``n`` creates from ``clients`` threads (each its own test client), group commit on or off."""
    import threading

    import app as cityops_app

    web = cityops_app.create_app(_settings(folder / f"{name}.db", group_commit), background=False)
    rng = np.random.default_rng(7)
    lon, lat = _points(web.services.grid, n, rng)
    cats = ["10101", "20102", "20403", "10115"]
    headers = {"Authorization": f"Bearer {SECRET}"}
    lat_ms: list[float] = []
    failures: list[str] = []

    def client_loop(ks: range) -> None:
        client = web.server.test_client()
        mine = []
        for k in ks:
            body = {"category": cats[k % 4], "description": f"bench {k}", "lon": float(lon[k]), "lat": float(lat[k])}
            s = time.perf_counter()
            r = client.post("/api/v1/incidents", data=json.dumps(body), headers=headers,
                            content_type="application/json")
            mine.append((time.perf_counter() - s) * 1000)
            if r.status_code != 201:
                failures.append(f"{r.status_code} {r.get_data(as_text=True)[:200]}")
        lat_ms.extend(mine)

    threads = [threading.Thread(target=client_loop, args=(range(c, n, clients),)) for c in range(clients)]
    t0 = time.perf_counter()
    if clients == 1:  # in this thread, so a profiler sees it
        client_loop(range(n))
    for t in threads if clients > 1 else ():
        t.start()
    for t in threads if clients > 1 else ():
        t.join()
    wall = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"{len(failures)} creates failed, first: {failures[0]}")
    committer = web.services.channels.committer
    group = committer.writes / max(committer.commits, 1) if committer else 1.0
    if committer:
        committer.close()
    web.services.db.dispose()
    q = statistics.quantiles(lat_ms, n=100)
    return {"creates": n, "per_s": n / wall, "p50_ms": q[49], "p99_ms": q[98], "clients": clients, "group": group}


def profile_create(folder: Path, n: int = 300) -> list[tuple[str, float]]:
    """Where one create's time goes (sequential, group commit off): the bound on the figure."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    bench_api(n, folder, name="profile")
    prof.disable()
    stats = pstats.Stats(prof)
    wanted = {"request parsing + validation + locating": ("dispatch/service.py", "parse"),
              "duplicate query": ("incidents/store.py", "nearby_open"),
              "incident + created event insert": ("incidents/store.py", "insert"),
              "file + dispatch (ORM update + event, twice)": ("incidents/service.py", "act"),
              "commit": ("orm/session.py", "commit")}
    stats_ = stats.stats  # type: ignore[attr-defined]
    total = max((v[3] for k, v in stats_.items() if k[2] == "client_loop"), default=1e-9)
    out = []
    for label, (path, fn) in wanted.items():
        cum = max((v[3] for k, v in stats_.items() if k[0].endswith(path) and k[2] == fn), default=0.0)
        out.append((label, cum / total))
    return out


def bench_import(n: int, folder: Path) -> dict[str, float]:
    import app as cityops_app
    from dispatch.importer import import_csv
    from incidents.model import Actor, Role

    services = cityops_app.build_services(_settings(folder / "import.db"))
    rng = np.random.default_rng(11)
    lon, lat = _points(services.grid, n, rng)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["类别", "描述", "经度", "纬度", "地址", "上报时间"])
    now = datetime.now(timezone.utc)
    for k in range(n):  # a back-office batch over the past months: ~1,000 reports a day
        at = (now - timedelta(minutes=1.44 * (n - k) + 1)).isoformat(timespec="seconds")
        w.writerow(["20102", f"导入测试 {k}", f"{lon[k]:.6f}", f"{lat[k]:.6f}", "四平市", at])
    data = out.getvalue().encode("gb18030")
    t0 = time.perf_counter()
    report = import_csv(services, data, None, Actor("bench", Role.OPERATOR), now)
    ours = time.perf_counter() - t0
    assert report.imported == n, report.errors[:3]
    # The conventional floor: the same rows, already built, written by sqlite3 executemany.
    with services.db.read() as s:
        from sqlalchemy import text

        inc = [tuple(r) for r in s.execute(text("SELECT * FROM incidents")).all()]
        ev = [tuple(r) for r in s.execute(text("SELECT * FROM events")).all()]
        inc_cols = [c for c in s.execute(text("SELECT * FROM incidents LIMIT 0")).keys()]
        ev_cols = [c for c in s.execute(text("SELECT * FROM events LIMIT 0")).keys()]
    services.db.dispose()
    raw_db = folder / "raw.db"
    import shutil

    shutil.copyfile(folder / "import.db", raw_db)
    con = sqlite3.connect(raw_db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("DELETE FROM events")
    con.execute("DELETE FROM incidents")
    t0 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    con.executemany(f"INSERT INTO incidents ({','.join(inc_cols)}) VALUES ({','.join('?' * len(inc_cols))})", inc)
    con.executemany(f"INSERT INTO events ({','.join(ev_cols)}) VALUES ({','.join('?' * len(ev_cols))})", ev)
    con.execute("COMMIT")
    raw = time.perf_counter() - t0
    con.close()
    return {"rows": n, "per_s": n / ours, "raw_per_s": n / raw, "ratio": raw / ours}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes, under 30 s (CI)")
    parser.add_argument("--creates", type=int, default=None)
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients (threads)")
    parser.add_argument("--group", type=int, default=200, help="most creates per group commit")
    parser.add_argument("--profile", action="store_true", help="print where a create's time goes")
    args = parser.parse_args(argv)
    creates = args.creates or (300 if args.smoke else 2000)
    rows = args.rows or (10_000 if args.smoke else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = [
            ("one transaction per request, 1 client", bench_api(creates, folder, name="seq")),
            (f"one transaction per request, {args.clients} clients",
             bench_api(creates, folder, clients=args.clients, name="conc")),
            (f"group commit, {args.clients} clients",
             bench_api(creates, folder, clients=args.clients, group_commit=args.group, name="group")),
        ]
        for label, api in runs:
            print(f"API creates ({label}): {api['creates']} in one process on SQLite: {api['per_s']:.0f}/s, "
                  f"p50 {api['p50_ms']:.2f} ms, p99 {api['p99_ms']:.2f} ms, mean group {api['group']:.1f} "
                  f"(target 1,000/s)")
        print(f"group commit / one transaction per request (same clients): "
              f"{runs[2][1]['per_s'] / runs[1][1]['per_s']:.2f}x")
        if args.profile:
            for label, share in profile_create(folder):
                print(f"  share of a create's time in {label}: {share:.0%}")
        imp = bench_import(rows, folder)
        print(f"CSV import: {imp['rows']} rows (GB18030): {imp['per_s']:.0f} rows/s; raw sqlite3 executemany of the "
              f"same rows: {imp['raw_per_s']:.0f} rows/s; ratio {imp['ratio']:.2f}x raw (target >= 0.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
