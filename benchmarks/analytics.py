"""Benchmark: each /analytics view on generated history vs the conventional way (pandas over the table).

Writes ``--incidents`` (default 1,000,000) incidents over two years with their events (~6 per incident)
into a fresh SQLite database with a vectorised generator (numpy; every lifecycle step in order, some
returned, reworked, late, called back), then times each view of ``incidents.analytics`` as the page
calls it, and the conventional approach — load the whole events table into pandas and compute the same
month's indicator table — in the same run. Prints a table and writes benchmarks/results/analytics*.json.

    python benchmarks/analytics.py              # 1,000,000 incidents (~2–3 min to generate)
    python benchmarks/analytics.py --smoke      # 20,000 incidents, well under 30 s (CI)
    python benchmarks/analytics.py --size 10m   # 10,000,000 incidents (checks free disk first)
    python benchmarks/analytics.py --keep /tmp/a1m.db   # keep the database; a later run reuses it
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import app  # noqa: E402
from incidents import asof, milestones, rollup  # noqa: E402
from incidents.analytics import Analytics, Filters  # noqa: E402
from settings import Settings  # noqa: E402

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
SIZES = {"1m": 1_000_000, "10m": 10_000_000}
#: database bytes per generated incident (incidents, ~6.4 events, summary row, indexes; measured at 1 M:
#: ~2.2 KB) with room for the WAL
BYTES_PER_INCIDENT = 2_600
EPOCH = np.datetime64("1970-01-01T00:00:00", "us")


def _iso(seconds: np.ndarray) -> np.ndarray:
    """UTC epoch seconds → SQLAlchemy's SQLite datetime text (``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    us = (seconds * 1e6).astype("int64").astype("datetime64[us]")
    return np.char.replace(np.datetime_as_string(us, unit="us"), "T", " ")


#: Incidents generated and written at a time: the history is made in time slices of this many, so memory
#: stays ~3 GB whatever ``n`` (10 M in one piece needed > 21 GB).
PART = 1_000_000


def generate(services: Any, n: int, seed: int = 7, years: float = 2.0, part: int = PART) -> dict[str, Any]:
    """``n`` incidents with their event logs, written with the DBAPI's executemany (one transaction), in
    consecutive time slices of ``part`` incidents (one slice: the same history as before slicing)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    now_s = NOW.timestamp()
    span = years * 365.25 * 86400
    slices = max(1, -(-n // part))
    acc = rollup.Deltas()
    carry: tuple[str, int] = ("", 0)  # the last day written and its count (incident codes number per day)
    n_events, t_gen = 0, 0.0
    raw = services.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        for k in range(slices):
            lo, hi = n * k // slices, n * (k + 1) // slices
            end_s = now_s - span * (slices - 1 - k) / slices  # the last slice ends at NOW exactly
            made = _generate_slice(services, rng, cur, hi - lo, lo, end_s, span / slices, carry, acc)
            carry, n_events, t_gen = made["carry"], n_events + made["events"], t_gen + made["generate_s"]
        for table, names, rows in (("analytics_daily", rollup.KEY + rollup.COLUMNS, acc.daily),
                                   ("analytics_group_daily", rollup.GKEY + rollup.GCOLUMNS, acc.groups)):
            for chunk in rollup.new_rows(rows, 500_000):
                cur.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                                chunk)
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()
    t_write = time.perf_counter() - t0 - t_gen
    t1 = time.perf_counter()
    with services.db.write.begin() as s:  # written around the writes: the month-start snapshots from the log
        # (above 1 M only the latest, which the views read: a cold month's fold at 10 M is minutes of random
        # reads on a slow disk; the older ones fold until `python app.py analytics-snapshots` builds them)
        asof.reset(session=s, recent=None if n <= 1_000_000 else 1)
    return {"incidents": n, "events": n_events, "generate_s": round(t_gen, 1), "write_s": round(t_write, 1),
            "snapshots_s": round(time.perf_counter() - t1, 1)}


def _without_snapshots(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` with no month-start snapshot ready: the late incidents folded (the way before them)."""
    def run() -> Any:
        saved = asof.ready
        asof.ready = lambda t, *, session: None  # type: ignore[assignment]
        try:
            return fn()
        finally:
            asof.ready = saved
    return run


def _generate_slice(services: Any, rng: np.random.Generator, cur: Any, n: int, id0: int, end_s: float, span: float,
                    carry: tuple[str, int], acc: rollup.Deltas) -> dict[str, Any]:
    """``n`` incidents (ids after ``id0``) reported in the ``span`` seconds before ``end_s``, with their events
    and summary rows written through ``cur``; their rollup contributions go to ``acc``."""
    t0 = time.perf_counter()
    ref = services.reference.get()
    cats = [c for c in ref.taxonomy.all()]
    cat_codes = np.array([c.code for c in cats])
    cat_dept = np.array([c.department or "CGJ" for c in cats])
    cells = services.grid
    import json as _json

    feats = _json.loads((services.settings.data_dir / "siping" / "grids.geojson").read_text())["features"]
    core = [f["properties"] for f in feats if f["properties"]["kind"] == "core"]
    grid_codes = np.array([p["code"] for p in core])
    grid_lon = np.array([p["lon"] for p in core])
    grid_lat = np.array([p["lat"] for p in core])
    del cells
    now_s = NOW.timestamp()
    reported = np.sort(end_s - rng.random(n) * span)
    hot = rng.zipf(1.6, n) % len(grid_codes)  # a few busy cells, a long tail
    ci = rng.integers(0, len(cat_codes), n)
    H = 3600.0
    rejected = rng.random(n) < 0.03
    filed = reported + rng.uniform(60, 90 * 60, n)
    d1 = filed + rng.uniform(60, 1800, n)
    limit = rng.choice([4 * H, 24 * H, 72 * H], n, p=[0.2, 0.5, 0.3])
    returned = rng.random(n) < 0.05
    ret = d1 + rng.uniform(600, 4 * H, n)
    d2 = ret + rng.uniform(600, 2 * H, n)
    start = np.where(returned, d2, d1)
    deadline = start + limit
    ack = start + rng.uniform(300, 2 * H, n)
    share = rng.gamma(2.0, 0.33, n)  # ~15 % late
    res1 = start + np.maximum(share * limit, ack - start + 60)
    rework = rng.random(n) < 0.08
    vfail = res1 + rng.uniform(H, 12 * H, n)
    res2 = vfail + rng.uniform(H, 24 * H, n)
    final_res = np.where(rework, res2, res1)
    vpass = final_res + rng.uniform(H, 12 * H, n)
    called = rng.random(n) < 0.3
    cb = vpass + rng.uniform(H, 72 * H, n)
    level = rng.choice(["satisfied", "basically_satisfied", "dissatisfied"], n, p=[0.7, 0.2, 0.1])
    dept = cat_dept[ci]
    # steps in order: (name, time, present-if, to_state)
    nan = np.full(n, np.nan)
    steps = [
        ("created", reported, np.ones(n, bool), "reported"),
        ("reject", np.where(rejected, filed, nan), rejected, "rejected"),
        ("file", filed, ~rejected, "accepted"),
        ("dispatch", d1, ~rejected, "dispatched"),
        ("return", ret, ~rejected & returned, "accepted"),
        ("dispatch", d2, ~rejected & returned, "dispatched"),
        ("acknowledge", ack, ~rejected, "in_progress"),
        ("resolve", res1, ~rejected, "resolved"),
        ("verify_fail", vfail, ~rejected & rework, "in_progress"),
        ("resolve", res2, ~rejected & rework, "resolved"),
        ("verify_pass", vpass, ~rejected, "closed"),
        ("callback", cb, ~rejected & called, "closed"),
    ]
    seq = np.zeros(n, int)
    state = np.array(["reported"] * n, dtype=object)
    last_at = reported.copy()
    closed_at = np.full(n, np.nan)
    resolved_at = np.full(n, np.nan)
    cur_deadline = np.full(n, np.nan)
    ev_parts = []
    ids = np.arange(id0 + 1, id0 + n + 1)
    for k, (action, at, present, to_state) in enumerate(steps):
        m = present & (at <= now_s)
        if action == "dispatch":
            cur_deadline = np.where(m, np.where(action == "dispatch" and k == 3, d1 + limit, deadline), cur_deadline)
        seq = seq + m
        dl = np.where(np.isnan(cur_deadline), np.nan, cur_deadline)
        idx = np.nonzero(m)[0]
        payload = np.array(["{}"] * len(idx), dtype=object)
        if action == "callback":
            payload = np.array(['{"reached": true, "satisfaction": "%s"}' % lv for lv in level[idx]], dtype=object)
        ev_parts.append(pd.DataFrame({
            "incident_id": ids[idx], "seq": seq[idx], "at": at[idx], "action": action,
            "from_state": state[idx], "to_state": to_state,
            "department": np.where(np.isnan(dl[idx]), None, dept[idx]), "deadline": dl[idx], "payload": payload}))
        state = np.where(m, to_state, state)
        last_at = np.where(m, at, last_at)
        if action == "resolve":
            resolved_at = np.where(m, at, resolved_at)
        if action == "verify_pass":
            closed_at = np.where(m, at, closed_at)
    ev = pd.concat(ev_parts, ignore_index=True).sort_values(["at"], kind="stable")
    t_gen = time.perf_counter() - t0

    def dt_or_none(a: np.ndarray) -> list[Any]:
        s = _iso(np.nan_to_num(a))
        return [None if np.isnan(x) else v for x, v in zip(a, s)]

    g = grid_codes[hot]
    lon = grid_lon[hot] + rng.uniform(-0.0008, 0.0008, n)
    lat = grid_lat[hot] + rng.uniform(-0.0006, 0.0006, n)
    days = pd.to_datetime(reported, unit="s", utc=True).tz_convert(services.settings.tz).strftime("%Y%m%d")
    daily = pd.Series(1, index=days).groupby(level=0).cumsum().to_numpy() + np.where(days == carry[0], carry[1], 0)
    codes = [f"{d}{s:05d}" for d, s in zip(days, daily)]
    has_dl = ~np.isnan(cur_deadline)
    inc_rows = list(zip(
        ids.tolist(), codes, state.tolist(), cat_codes[ci].tolist(), ["normal"] * n, [""] * n, lon.tolist(),
        lat.tolist(), g.tolist(), [int(x[:6]) for x in g], ["hotline"] * n, [""] * n,
        [f"138{int(x):08d}" for x in rng.integers(0, 10 ** 8, n)], np.where(has_dl, dept, None).tolist(),
        [None] * n, dt_or_none(cur_deadline), (rework & (vfail <= now_s)).astype(int).tolist(), [None] * n,
        _iso(reported).tolist(), _iso(last_at).tolist(), dt_or_none(resolved_at), dt_or_none(closed_at),
        seq.tolist(), ["{}"] * n))
    def event_rows(part: pd.DataFrame) -> list[tuple[Any, ...]]:
        return list(zip(
            part["incident_id"].tolist(), part["seq"].tolist(), _iso(part["at"].to_numpy()).tolist(),
            ["gen"] * len(part), part["action"].tolist(), part["from_state"].tolist(), part["to_state"].tolist(),
            part["department"].tolist(), [None] * len(part), dt_or_none(part["deadline"].to_numpy()),
            part["seq"].tolist(), part["payload"].tolist()))

    cur.executemany(
        "INSERT INTO incidents (id, code, state, category, severity, description, lon, lat, grid, district, "
        "channel, address, reporter_phone, department, assignee, deadline, rework_count, merged_into, "
        "reported_at, updated_at, resolved_at, closed_at, version, extra) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", inc_rows)
    for i in range(0, len(ev), 500_000):
        cur.executemany(
            "INSERT INTO events (incident_id, seq, at, actor, action, from_state, to_state, department, "
            "assignee, deadline, version, payload) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            event_rows(ev.iloc[i:i + 500_000]))
    ms_rows = summary_rows(ev, ids, codes, cat_codes[ci], [int(x[:6]) for x in g], g, reported)
    for i in range(0, len(ms_rows), 500_000):
        cur.executemany(
            f"INSERT INTO incident_milestones ({', '.join(milestones.COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(milestones.COLUMNS))})", ms_rows[i:i + 500_000])
    rollup_rows(services, ms_rows, ev, acc)
    return {"events": len(ev), "generate_s": t_gen, "carry": (days[-1], int(daily[-1])) if n else carry}


def summary_rows(ev: pd.DataFrame, ids: np.ndarray, codes: list[str], categories: np.ndarray, districts: list[int],
                 grids: np.ndarray, reported: np.ndarray) -> list[tuple[Any, ...]]:
    """The ``incident_milestones`` rows of the generated history, folded from its events with pandas
    group-bys by the rules of :func:`incidents.milestones.aggregate` (the consistency tests check those
    rules against the store's own maintenance; the generator only has to write what the store would)."""
    def us(seconds: pd.Series) -> pd.Series:  # the µs of the stored text exactly (``_iso`` truncates alike)
        return pd.Series((np.nan_to_num(seconds.to_numpy(float)) * 1e6).astype("int64"),
                         index=seconds.index).where(seconds.notna())

    at, dl, a, iid = us(ev["at"]), us(ev["deadline"]), ev["action"], ev["incident_id"]

    def first(mask: pd.Series) -> pd.Series:
        return at.where(mask).groupby(iid).min()

    def last(mask: pd.Series) -> pd.Series:
        return at.where(mask).groupby(iid).max()

    def count(name: str) -> pd.Series:
        return (a == name).astype(int).groupby(iid).sum()

    tail = (ev.assign(dl_us=dl).sort_values(["incident_id", "seq"]).groupby("incident_id").tail(1)
            .set_index("incident_id"))
    f = pd.DataFrame({
        "filed": first(a == "file"), "dropped": first(a.isin(["reject", "merge"])),
        "dispatched": first(a == "dispatch"), "resolved_first": first(a == "resolve"), "resolved": last(a == "resolve"),
        "resolved_ontime": last((a == "resolve") & dl.notna() & (at <= dl)), "closed": last(a == "verify_pass"),
        "returns": count("return"), "reassigns": count("reassign"), "reworks": count("verify_fail"),
        "last_at": at.groupby(iid).max(), "last_seq": ev["seq"].groupby(iid).max()})
    f = f.join(tail[["to_state", "department", "dl_us"]]).reindex(ids)

    def col(name: str) -> list[Any]:
        return [None if np.isnan(v) else int(v) for v in f[name].to_numpy(float)]

    rep = (reported * 1e6).astype("int64").tolist()
    return list(zip(ids.tolist(), codes, categories.tolist(), districts, grids.tolist(), rep, f["to_state"].tolist(),
                    f["department"].tolist(), col("dl_us"), *[col(c) for c in milestones.TIMES],
                    *[f[c].astype(int).tolist() for c in milestones.COUNTS], col("last_at"),
                    f["last_seq"].astype(int).tolist()))


def rollup_rows(services: Any, ms_rows: list[tuple[Any, ...]], ev: pd.DataFrame,
                acc: rollup.Deltas | None = None) -> rollup.Deltas:
    """The ``analytics_daily`` and ``analytics_group_daily`` rows of the generated history: the same per-row
    contributions the store adds as events commit (:func:`incidents.rollup.contributions`, in the zone and
    limit the migrated database recorded), summed per key; callbacks from the generated ``callback`` events."""
    with services.db.read() as s:
        meta = rollup.meta(session=s)
    assert meta is not None, "the database has no analytics_daily rollup (migration 0013)"
    day, limit_us = rollup.DayOf(meta[0]), meta[1] * 60e6
    acc = rollup.Deltas() if acc is None else acc
    cols = milestones.COLUMNS
    for k in range(0, len(ms_rows), 200_000):
        rollup.contributions_many([dict(zip(cols, row)) for row in ms_rows[k:k + 200_000]], day, limit_us, acc)
    by_id = {row[0]: (row[3], row[2], row[4]) for row in ms_rows}  # incident id → (district, category, grid)
    cb = ev[ev["action"] == "callback"]
    at_us = (cb["at"].to_numpy(float) * 1e6).astype("int64")  # as stored (``_iso`` truncates alike)
    for iid, at, dept, payload in zip(cb["incident_id"].tolist(), at_us.tolist(), cb["department"].tolist(),
                                      cb["payload"].tolist()):
        p = json.loads(payload)
        dist, cat, grid = by_id[iid]
        rollup.callback_contribution(at, dist, cat, grid, dept, p.get("satisfaction"), p.get("reached"), day, acc)
    return acc


def conventional(services: Any, start: datetime, end: datetime, as_of: datetime) -> dict[str, Any]:
    """The usual way: read the whole events table into pandas, fold per incident, apply the period rules."""
    from incidents.analytics import _fold, measure_masks  # the same rules, so only the data access differs
    from incidents.indicators import load

    defs = load()
    with services.db.engine.connect() as conn:
        ev = pd.read_sql("SELECT incident_id, seq, at, action, to_state, department, deadline, payload FROM events",
                         conn)
        inc = pd.read_sql("SELECT id, code, category, district, grid, reported_at, reporter_phone FROM incidents", conn)
    for c in ("at", "deadline"):
        ev[c] = pd.to_datetime(ev[c], utc=True, format="ISO8601")
    ev = ev[ev["at"] <= pd.Timestamp(as_of)]
    a = ev["action"]
    at = ev["at"]
    frame = pd.DataFrame({"iid": ev["incident_id"],
                          "filed": at.where(a == "file"), "dropped": at.where(a.isin(["reject", "merge"])),
                          "dispatched": at.where(a == "dispatch"), "resolved_first": at.where(a == "resolve"),
                          "resolved": at.where(a == "resolve"),
                          "resolved_ontime": at.where((a == "resolve") & (at <= ev["deadline"])),
                          "closed": at.where(a == "verify_pass"), "returns": (a == "return").astype(int),
                          "reassigns": (a == "reassign").astype(int), "reworks": (a == "verify_fail").astype(int)})
    g = frame.groupby("iid").agg({"filed": "min", "dropped": "min", "dispatched": "min", "resolved_first": "min",
                                  "resolved": "max", "resolved_ontime": "max", "closed": "max", "returns": "sum",
                                  "reassigns": "sum", "reworks": "sum"})
    last = ev.sort_values(["incident_id", "seq"]).groupby("incident_id").tail(1).set_index("incident_id")
    g = g.join(last[["to_state", "department", "deadline"]].rename(columns={"to_state": "state"}))
    inc = inc.set_index("id")
    g = g.join(inc.rename(columns={"reported_at": "reported"}))
    g["reported"] = pd.to_datetime(g["reported"], utc=True, format="ISO8601")
    masks = measure_masks(g.reset_index(drop=True), start, end, as_of, defs)
    cb = pd.DataFrame({"at": pd.Series(dtype="datetime64[ns, UTC]"), "satisfied": pd.Series(dtype=bool)})
    out = _fold(masks, cb, pd.Series(dtype=bool), defs, None)
    return out.iloc[0].to_dict()


def _rollup_of(session: Any) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Every non-zero row of both rollup tables, by table and key."""
    from sqlalchemy import select

    from incidents.records import GroupRollupRow, RollupRow

    out = {}
    for T, key, cols in ((RollupRow.__table__, rollup.KEY, rollup.COLUMNS),
                         (GroupRollupRow.__table__, rollup.GKEY, rollup.GCOLUMNS)):
        for r in session.execute(select(*[T.c[c] for c in key + cols])):
            if any(r[len(key):]):
                out[(T.name, *r[:len(key)])] = tuple(r[len(key):])
    return out


CPU: dict[str, float] = {}


def timed(fn: Callable[[], Any], repeat: int = 3, name: str = "") -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs; the CPU time of that run goes to ``CPU[name]`` — SQLite runs in
    this process, so CPU time is the view's own cost even when other work shares the machine."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, CPU[name] = wall, time.process_time() - c0
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="20,000 incidents (CI)")
    parser.add_argument("--size", choices=sorted(SIZES), default=None,
                        help="1m (default) or 10m incidents; 10m needs ~%d GB free and checks first" % (
                            SIZES["10m"] * BYTES_PER_INCIDENT // 10**9))
    parser.add_argument("--incidents", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the generated database at this path; when it exists, reuse it (no generation)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the conventional whole-table run")
    args = parser.parse_args(argv)
    n = args.incidents or (20_000 if args.smoke else SIZES[args.size or "1m"])
    reuse = args.keep is not None and args.keep.exists()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep if args.keep is not None else Path(tmp) / "bench.db"
        need = n * BYTES_PER_INCIDENT
        free = shutil.disk_usage(path.parent).free
        if not reuse and free < need:
            print(f"not enough free disk for {n:,} incidents: need ~{need / 1e9:.1f} GB in {path.parent}, "
                  f"{free / 1e9:.1f} GB free — free some space or pass --keep PATH on a larger disk")
            return 1
        settings = Settings(_env_file=None, database_url=f"sqlite:///{path}", demo=False)  # type: ignore[call-arg]
        t0 = time.perf_counter()
        services = app.build_services(settings, clock=lambda: NOW)  # migrates a kept database (0015 builds snapshots)
        t_services = time.perf_counter() - t0
        if reuse:
            with services.db.read() as s:
                from sqlalchemy import func, select

                from incidents.records import EventRow, IncidentRow

                kept = s.scalar(select(func.count()).select_from(IncidentRow)) or 0
                gen = {"incidents": kept, "events": s.scalar(select(func.count()).select_from(EventRow)) or 0}
            if kept:
                n = kept
                print(f"reusing {path}: {gen['incidents']:,} incidents, {gen['events']:,} events "
                      f"(opened and migrated in {t_services:.1f} s)")
            else:  # a generation that died left an empty database: generate again
                reuse = False
        if not reuse:
            gen = generate(services, n)
            print(f"generated {gen['incidents']:,} incidents, {gen['events']:,} events "
                  f"(numpy {gen['generate_s']} s, write {gen['write_s']} s, month-start snapshots "
                  f"{gen['snapshots_s']} s)")
        summary_ok = None
        if n <= 100_000:  # the generator's summary rows are what the store's fold gives (smoke/CI)
            with services.db.read() as s:
                summary_ok = milestones.read_all(session=s) == milestones.folded(session=s)
            print(f"summary table equals the fold of the events: {summary_ok}")
            with services.db.read() as s:  # …and its rollup what a rebuild from them gives
                before = _rollup_of(s)
            with services.db.write.begin() as s:
                m = rollup.meta(session=s)
                assert m is not None
                rollup.rebuild_all(session=s, tz=m[0], filing_limit_minutes=m[1])
            with services.db.read() as s:
                rollup_ok = _rollup_of(s) == before
            print(f"rollup equals a rebuild from the summary and the callbacks: {rollup_ok}")
            summary_ok = summary_ok and rollup_ok
        an = Analytics(services.db, services.settings.tz)
        tz = services.settings.tz
        month_end = datetime(2026, 3, 1, tzinfo=tz).astimezone(timezone.utc)
        month_start = datetime(2026, 2, 1, tzinfo=tz).astimezone(timezone.utc)
        year_start = datetime(2025, 3, 1, tzinfo=tz).astimezone(timezone.utc)
        views: dict[str, Callable[[], Any]] = {
            "indicator table, last month": lambda: an.table(month_start, month_end, NOW),
            "table by department, last month": lambda: an.table(month_start, month_end, NOW, by="department"),
            "table by grid, last month": lambda: an.table(month_start, month_end, NOW, by="grid"),
            "daily trend, last month": lambda: an.trend(month_start, month_end, "day", NOW),
            "dashboard (page), last month": lambda: an.dashboard(month_start, month_end, "day", NOW),
            "dashboard, one district": lambda: an.dashboard(month_start, month_end, "day", NOW, Filters(district=220302)),
            "dashboard as of the month's end": lambda: an.dashboard(month_start, month_end, "day", month_end),
            "the same, late incidents folded": _without_snapshots(
                lambda: an.dashboard(month_start, month_end, "day", month_end)),
            "monthly trend, 12 months": lambda: an.trend(year_start, month_end, "month", NOW),
            "drill-down list": lambda: an.drill(month_start, month_end, NOW, measure="to_close"),
            "hotspots": lambda: an.hotspots(NOW),
            "recurrence (50 m, 30 d)": lambda: an.recurrences(NOW, top=200, examples=6),  # as the page asks
            "breach risk (all running)": lambda: an.breach_risk(NOW),
        }
        results: dict[str, float] = {}
        ours_table = None
        for name, fn in views.items():
            seconds, value = timed(fn, 2, name)
            results[name] = round(seconds, 3)
            if name == "indicator table, last month":
                ours_table = value[0]
            print(f"{name:<34} {seconds:8.3f} s  (cpu {CPU[name]:.3f} s)")
        same: bool | None = None
        t_conv = None
        if not args.no_pandas:
            t_conv, conv = timed(lambda: conventional(services, month_start, month_end, NOW), 1)
            print(f"{'pandas over the whole table':<34} {t_conv:8.3f} s  "
                  f"(×{t_conv / results['indicator table, last month']:.0f} the indexed query)")
            same = all(ours_table[k] == int(conv[k]) for k in ("to_close", "closed", "to_file", "dispatched"))
            print(f"same counts as the conventional way: {same}")
        out = ROOT / "benchmarks" / "results" / ("analytics-smoke.json" if args.smoke else f"analytics-{n}.json")
        out.write_text(json.dumps({"incidents": n, "events": gen["events"], "snapshots_s": gen.get("snapshots_s"),
                                   "views_s": results,
                                   "views_cpu_s": {k: round(CPU[k], 3) for k in results},
                                   "pandas_whole_table_s": None if t_conv is None else round(t_conv, 3),
                                   "same_counts": same, "summary_equals_fold": summary_ok, "load_average": [round(x, 2) for x in os.getloadavg()]},
                                  indent=2))
        services.db.dispose()
    return 0 if same is not False and summary_ok is not False else 1


if __name__ == "__main__":
    sys.exit(main())
