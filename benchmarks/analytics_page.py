"""Benchmark: a filter change on /analytics in headless Chromium, before and after, in one run.

The demo's history (``generate-history``: 12 months, ~36 k incidents; ``--smoke``: 1 month) is written once
into a fresh SQLite file by the older version and copied for the newer (which migrates its copy when it
starts). Both code versions — this worktree ("after") and the base commit checked out into
a temporary git worktree ("before", by default the commit before the charts rework) — serve it side by side,
each as a real ``python app.py`` process with its own headless Chromium logged in as a leader on /analytics.
One filter at a time changes as a pick does (``dash_clientside.set_props``): granularity, indicator,
district, period and category in turn (``CHANGES``), each change on one page then the other (who goes first
alternates), so the shared machine's busy moments fall on both alike. A change is timed from the pick until
the page is quiet: no Dash callback in flight and every chart and map redrawn (the last
``plotly_afterplot``) — the callback chain, the server, the transfer and the drawing. Printed per version:
median and worst, the median per kind of filter, the callback responses' bytes, when the charts alone (maps
aside) had redrawn, and the ratios before ÷ after.

    python benchmarks/analytics_page.py            # 12 months of demo history (~1 min to write)
    python benchmarks/analytics_page.py --smoke    # 1 month, 3 changes each (CI)
    python benchmarks/analytics_page.py --shot docs/analytics-1080p.png   # and photograph the page
    python benchmarks/analytics_page.py --base <commit>   # compare against another commit
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from harness import login, make_browser, start_app, stop_app  # noqa: E402

#: The commit before the charts rework (rates 0–1, every map redrawn on every change): the "before".
BASE = "b321624"
PASSWORD = "browser-test-pw"  # harness.login's
#: Installed in the page after it first settles: when each graph last drew, and how many callbacks run.
PROBE = """
window.cityopsDraw = window.cityopsDraw || {};
document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
  if (gd.cityopsProbe) { return; }
  gd.cityopsProbe = true;
  gd.on('plotly_afterplot', function () { window.cityopsDraw[gd.parentElement.id || gd.id] = performance.now(); });
});
"""
#: What one change costs: click the segment, then wait until no callback is pending and no graph has drawn
#: for ``quiet`` ms; the answer is the last draw (or the callbacks' end) minus the click.
CHANGE = """
const [id, value, quiet, done] = [arguments[0], arguments[1], arguments[2], arguments[arguments.length - 1]];
window.cityopsDraw = {};
const t0 = performance.now();
window.dash_clientside.set_props(id, {value: value});  // what a person's pick does: the filter's value changes
let settled = null;
function busy() { return document.querySelector('[data-dash-is-loading="true"]') !== null; }
(function poll() {
  const now = performance.now();
  if (busy() || now - t0 < 200) { settled = null; return setTimeout(poll, 10); }
  if (settled === null) { settled = now; }
  const draws = Object.values(window.cityopsDraw);
  const last = draws.length ? Math.max.apply(null, draws) : settled;
  if (now - Math.max(settled, last) < quiet) { return setTimeout(poll, 10); }
  const calls = performance.getEntriesByType('resource').filter(
    e => e.name.indexOf('_dash-update-component') >= 0 && e.startTime >= t0);
  const drawn = {};
  Object.keys(window.cityopsDraw).forEach(k => { drawn[k] = Math.round(window.cityopsDraw[k] - t0); });
  done({ms: Math.max(settled, last) - t0, drawn: drawn,
        server: calls.map(e => [Math.round(e.startTime - t0), Math.round(e.responseEnd - t0)])});
})();
"""


#: The charts (not the maps, which another component will draw): when the last of them drew is the second
#: figure printed, what a person sees first.
CHARTS = {"an-trend", "an-mix", "an-ranking", "an-sla"}
#: The changes timed, in turn: (what, filter id, new value) — each kind of filter a leader changes, every
#: value different from the one before it (two rounds: the period and the category go and come back).
_DAY = 86400
CHANGES = [(kind, id_, value) for rnd in (0, 1) for kind, id_, value in [
    ("granularity", "an-freq", "week"), ("indicator", "an-indicator", "close_rate"),
    ("district", "an-district", 220302), ("granularity", "an-freq", "month"),
    ("indicator", "an-indicator", "ontime_close"), ("district", "an-district", None),
    ("granularity", "an-freq", "day"),
    ("period", "an-period", time.strftime("%Y-%m-%d", time.localtime(time.time() - (59 if rnd == 0 else 29) * _DAY))),
    ("category", "an-category", "01" if rnd == 0 else None)]]


def write_history(root: Path, db: Path, months: int) -> dict[str, Any]:
    """The demo's own history (``python app.py generate-history`` of the checkout at ``root``) in ``db``, and
    a leader to log in as. Written by the older checkout: the newer one migrates its copy when it starts."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}", CITYOPS_DEMO="0", CITYOPS_HISTORY_MONTHS=str(months),
               CITYOPS_SECRET_KEY="bench-secret")
    out = subprocess.run([sys.executable, "app.py", "generate-history"], cwd=root, env=env, check=True,
                         capture_output=True, text=True)
    subprocess.run([sys.executable, "-c", (
        "from app import build_services\nfrom auth.users import create_user\ns = build_services()\n"
        "with s.db.write.begin() as x:\n"
        f"    create_user('leader', {PASSWORD!r}, 'leader', session=x, display_name='leader')\n")],
        cwd=root, env=env, check=True, capture_output=True)
    return {"summary": out.stdout.strip().splitlines()[-1][:200]}


def response_bytes(driver: Any) -> list[int]:
    """Sizes of the ``_dash-update-component`` responses since the last read (Chromium's network log)."""
    ids, sizes = set(), []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.responseReceived" and "_dash-update-component" in msg["params"]["response"]["url"]:
            ids.add(msg["params"]["requestId"])
        elif msg["method"] == "Network.loadingFinished" and msg["params"]["requestId"] in ids:
            sizes.append(int(msg["params"]["encodedDataLength"]))
    return sizes


class Page:
    """One version's app process and its Chromium on /analytics, with what its filter changes measured."""

    def __init__(self, root: Path, db: Path, tmp: Path, label: str) -> None:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}", CITYOPS_DEMO="0", CITYOPS_SECRET_KEY="bench-secret",
                   CITYOPS_ASOF_UPKEEP_S="0", PYTHONUNBUFFERED="1")
        env.pop("REDIS_URL", None)
        self.label = label
        self.proc, base, self.log = start_app(env, tmp / f"{label}.log", root=root)
        self.b = make_browser(1920, 1080)
        login(self.b, base, "leader", "/analytics")
        self.b.wait_for_element("#an-indicator-table", timeout=60)
        self.d = self.b.driver
        self.d.set_script_timeout(120)
        self.d.execute_async_script(CHANGE, "an-freq", "week", 1000)  # warm: every graph drawn once, caches filled
        self.d.execute_script(PROBE)
        self.d.execute_async_script(CHANGE, "an-freq", "day", 1000)
        response_bytes(self.d)
        self.whole: dict[str, list[float]] = {}
        self.charts: dict[str, list[float]] = {}
        self.sizes: list[int] = []

    def change(self, kind: str, id_: str, value: Any, verbose: bool) -> None:
        got = self.d.execute_async_script(CHANGE, id_, value, 600)
        self.whole.setdefault(kind, []).append(got["ms"])
        charts = [v for k, v in got["drawn"].items() if k in CHARTS]
        self.charts.setdefault(kind, []).append(max(charts) if charts else got["ms"])
        self.sizes.append(sum(response_bytes(self.d)))
        if verbose:
            print(self.label, kind, value, round(got["ms"]), "callbacks [sent, answered] ms:", got["server"],
                  "graphs drawn at ms:", got["drawn"])

    def shoot(self, shot: Path) -> None:
        """The page as it opens (the last 30 days by day), at 1920×1080."""
        self.d.execute_async_script(CHANGE, "an-freq", "day", 1000)
        self.d.execute_script("window.scrollTo(0, 0)")
        self.d.save_screenshot(str(shot))
        if os.environ.get("CITYOPS_SHOT_BELOW"):  # the rest of the page, for looking at (not kept)
            self.d.execute_script("window.scrollTo(0, 1000)")
            self.d.save_screenshot(str(shot.with_suffix(".below.png")))

    def summary(self) -> dict[str, Any]:
        def med(by: dict[str, list[float]]) -> int:
            return round(statistics.median([x for v in by.values() for x in v]))
        return {"label": self.label, "median_ms": med(self.whole),
                "max_ms": round(max(x for v in self.whole.values() for x in v)),
                "by_filter_ms": {k: round(statistics.median(v)) for k, v in self.whole.items()},
                "charts_median_ms": med(self.charts),
                "charts_by_filter_ms": {k: round(statistics.median(v)) for k, v in self.charts.items()},
                "response_kb": round(statistics.median(self.sizes) / 1024, 1)}

    def close(self) -> None:
        self.b.driver.quit()
        stop_app(self.proc, self.log)


def measure(old: Path, db: Path, db_after: Path, changes: int, tmp: Path, verbose: bool = False,
            shot: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both versions served side by side, each change made on one page then the other, so a busy moment of
    this shared machine falls on both alike."""
    pages: list[Page] = []
    try:
        pages.append(Page(old, db, tmp, "before"))
        pages.append(Page(ROOT, db_after, tmp, "after"))
        for k in range(changes):
            kind, id_, value = CHANGES[k % len(CHANGES)]
            for page in pages if k % 2 == 0 else pages[::-1]:  # who goes first alternates too
                page.change(kind, id_, value, verbose)
        if shot is not None:
            pages[1].shoot(shot)
        return pages[0].summary(), pages[1].summary()
    finally:
        for page in pages:
            page.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="1 month of history, 3 changes each")
    ap.add_argument("--base", default=BASE, help="the commit to compare against (default: %(default)s)")
    ap.add_argument("--db", type=Path, help="serve this database (with a leader) instead of writing history")
    ap.add_argument("--shot", type=Path, help="save the page (this tree's) at 1920×1080 to this PNG")
    ap.add_argument("--verbose", action="store_true", help="print each change's callbacks and draws")
    ap.add_argument("--changes", type=int, default=None, help="filter changes timed per version (default 18)")
    args = ap.parse_args()
    months, changes = (1, args.changes or 3) if args.smoke else (12, args.changes or len(CHANGES))
    with tempfile.TemporaryDirectory(prefix="cityops-anpage-") as tmp_:
        tmp = Path(tmp_)
        old = tmp / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            db = args.db or tmp / "demo.db"
            if args.db is None:
                t0 = time.monotonic()
                info = write_history(old, db, months)
                print(f"history: {months} month(s) in {time.monotonic() - t0:.0f} s — {info['summary']}")
            shutil.copy(db, tmp / "after.db")  # the same incidents; this tree migrates its copy at start
            before, after = measure(old, db, tmp / "after.db", changes, tmp, args.verbose, args.shot)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)
    for r in (before, after):
        print(f"{r['label']:>6} ({args.base if r is before else 'this tree'}): filter change median {r['median_ms']} ms, "
              f"worst {r['max_ms']} ms, {r['response_kb']} KB of callback responses; median by filter {r['by_filter_ms']}")
        print(f"{'':>6} charts (maps aside) redrawn: median {r['charts_median_ms']} ms; by filter {r['charts_by_filter_ms']}")
    ratio = before["median_ms"] / max(after["median_ms"], 1)
    charts_ratio = before["charts_median_ms"] / max(after["charts_median_ms"], 1)
    print(f"ratio before/after (median, whole page): {ratio:.1f}x; charts only: {charts_ratio:.1f}x")
    out = ROOT / "benchmarks" / "results" / f"analytics_page{'-smoke' if args.smoke else ''}.json"
    out.write_text(json.dumps({"months": months, "base": args.base, "before": before, "after": after,
                               "ratio": round(ratio, 2),
                               "charts_ratio": round(charts_ratio, 2)}, indent=1))


if __name__ == "__main__":
    main()
