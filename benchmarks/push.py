"""Push vs polling: commit → visible on a wall in headless Chromium, and socket clients per process.

Three figures, each against the conventional Dash approach where it has one:

1. **Latency** — incidents are committed at 50 and 200 events/s; a MutationObserver in the page records
   when the "intake today" tile first shows a value ≥ each commit's. p50/p95 for the pushed wall (Socket.IO,
   ~50 ms server batching, clientside Patch) and for a baseline page whose ``dcc.Interval`` of 1 s
   re-queries the store through a server callback (the same KPI query).
2. **HTTP requests per minute per client** while the events flow (Chromium's network log; the socket's
   frames are not HTTP requests).
3. **Concurrent socket clients** one process serves with every delta delivered: N python-socketio clients
   (websocket transport) in the wall room, K commits, every client must see all K incidents.

``--smoke`` runs everything small (under 30 s) for CI. Both servers run in this process (``socketio.run`` in
a thread), on a fresh SQLite file, so commits are published exactly as in production.

``--against REV`` then runs the same measurement on another version of the wall (a temporary git worktree
of REV, in a child process, in the same invocation) and prints the ratios of the two: e.g. the Leaflet
map against the Plotly/MapLibre map it replaced (:data:`OLD_MAP_REV`).

    python benchmarks/push.py [--smoke] [--clients 500] [--seconds 10] [--against REV]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
PASSWORD = "bench-pw"
T0 = 0.0
DRAW_MS = 0  # 0: the wall's own default (1 s between map redraws)
OBSERVER = """
window.cityopsSeen = {};
var el = document.querySelector('#kpi-intake_today');
function note() { var v = parseInt(el.textContent, 10); if (!isNaN(v) && !(v in window.cityopsSeen)) { window.cityopsSeen[v] = Date.now(); } }
new MutationObserver(note).observe(el, {childList: true, subtree: true, characterData: true});
note();
// What holds the main thread: long tasks, labelled by the wall's draw log (assets/20_wall.js: 'apply',
// each figure of a draw cycle, 'map-frame' for MapLibre's own frames) entries that fall inside them.
window.cityopsDrawLog = []; window.cityopsLong = [];
if (!window.cityopsLongObserver) {
  window.cityopsLongObserver = new PerformanceObserver(function (l) {
    l.getEntries().forEach(function (e) { if (window.cityopsLong) { window.cityopsLong.push([e.startTime, e.duration]); } });
  });
  window.cityopsLongObserver.observe({entryTypes: ['longtask']});
}
"""


def long_tasks(driver: Any) -> dict[str, dict[str, float]]:
    """Long tasks (> 50 ms) since the observer started, by what ran in them: {label: {n, total_ms, max_ms}}."""
    tasks = driver.execute_script("return window.cityopsLong || []") or []
    log = driver.execute_script("return window.cityopsDrawLog || []") or []
    out: dict[str, dict[str, float]] = {}
    for start, dur in tasks:
        label = "+".join(sorted({name for t, name in log if start <= t <= start + dur})) or "other"
        agg = out.setdefault(label, {"n": 0, "total_ms": 0.0, "max_ms": 0.0})
        agg["n"] += 1
        agg["total_ms"] = round(agg["total_ms"] + dur)
        agg["max_ms"] = round(max(agg["max_ms"], dur))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_servers(tmp: Path) -> tuple[Any, str, str]:
    """The real app (push) and a polling baseline on the same database, each in a thread."""
    import dash
    from dash import Input, Output, dcc, html
    from werkzeug.serving import make_server

    import app as cityops
    from auth.users import create_user
    from settings import Settings

    settings = Settings(_env_file=None, DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}", CITYOPS_DEMO=False,  # type: ignore[call-arg]
                        CITYOPS_SECRET_KEY="bench-secret")
    dash_app = cityops.create_app(settings, background=False)
    services = dash_app.services
    with services.db.write.begin() as s:
        for r in ("operator", "wall"):
            create_user(r, PASSWORD, r, session=s, display_name=r)
    port = free_port()
    threading.Thread(target=lambda: dash_app.socketio.run(dash_app.server, host="127.0.0.1", port=port,
                                                          allow_unsafe_werkzeug=True, use_reloader=False,
                                                          log_output=False), daemon=True).start()

    poll = dash.Dash("baseline", serve_locally=True, assets_folder=str(ROOT / "assets-none"))
    poll.layout = html.Div([dcc.Interval(id="tick", interval=1000), html.Div("–", id="kpi-intake_today")])

    @poll.callback(Output("kpi-intake_today", "children"), Input("tick", "n_intervals"))
    def refresh(_n: int) -> str:  # the conventional way: ask the store every second
        return str(services.kpis()["intake_today"])

    poll_port = free_port()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = make_server("127.0.0.1", poll_port, poll.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    for p in (port, poll_port):
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", p), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
    return services, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{poll_port}"


def browser(width: int = 1920, height: int = 1080) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    o = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                 f"--window-size={width},{height}"):
        o.add_argument(flag)
    o.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=o)


def http_requests(driver: Any) -> int:
    n = 0
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            n += 1
    return n


def commit_at_rate(services: Any, rate: float, seconds: float, start: int) -> dict[int, float]:
    """Commit ``rate`` reports a second for ``seconds``; {intake value after the commit: commit ms}."""
    from factories import WATER_COVER, operator, report
    from incidents.model import Channel

    done: dict[int, float] = {}
    n = int(rate * seconds)
    t0 = time.perf_counter()
    for i in range(n):
        due = t0 + i / rate
        while time.perf_counter() < due:
            time.sleep(min(0.002, max(0.0, due - time.perf_counter())))
        services.dispatch.intake(report(WATER_COVER, east_m=(i % 50) * 25.0, north_m=(i // 50 % 50) * 25.0),
                                 operator(), Channel.HOTLINE, services.clock())
        done[start + i + 1] = time.time() * 1000
    return done


def latencies(seen: dict[str, float], committed: dict[int, float]) -> list[float]:
    """Per commit: first time the tile showed that value or a later one, minus the commit time."""
    shown = sorted((int(v), t) for v, t in seen.items())
    out = []
    for value, at in committed.items():
        first = min((t for v, t in shown if v >= value), default=None)
        if first is not None:
            out.append(first - at)
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def measure(services: Any, driver: Any, rate: float, seconds: float) -> dict[str, Any]:
    start = services.kpis()["intake_today"]
    if DRAW_MS:
        driver.execute_script(f"window.cityopsDrawMs = {DRAW_MS};")
    driver.execute_script(OBSERVER)
    http_requests(driver)  # drop what came before
    t0 = time.monotonic()
    committed = commit_at_rate(services, rate, seconds, start)
    time.sleep(1.5)  # the last commit has time to show, even on the 1 s poll
    elapsed = time.monotonic() - t0
    lat = latencies(driver.execute_script("return window.cityopsSeen"), committed)
    reqs = http_requests(driver)
    lag = driver.execute_script("var l = window.cityopsLag || []; window.cityopsLag = []; return l;") or []
    parts = {}
    if lag:
        parts = {"server_to_socket_p50_ms": round(pct([a for a, _ in lag], 0.5), 1),
                 "socket_to_applied_p50_ms": round(pct([b for _, b in lag], 0.5), 1)}
    if driver.execute_script("return !!document.getElementById('wall')"):
        parts["long_tasks"] = long_tasks(driver)
    return {**parts, "rate": rate, "achieved_rate": round(len(committed) / seconds, 1), "events": len(committed),
            "seen": len(lat), "p50_ms": round(pct(lat, 0.5), 1), "p95_ms": round(pct(lat, 0.95), 1),
            "requests_per_min": round(reqs * 60 / elapsed, 1)}


def login(driver: Any, base: str, path: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login?next={path}")
    driver.find_element(By.ID, "username").send_keys("wall")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()


def wait_text(driver: Any, css: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        els = driver.find_elements("css selector", css)
        if els and els[0].text.strip().isdigit():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{css} never showed a number")


def socket_clients(services: Any, base: str, clients: int, events: int) -> dict[str, Any]:
    """N websocket clients in the wall room; every one must see all ``events`` new incidents."""
    import socketio

    from factories import WATER_COVER, operator, report
    from incidents.model import Channel
    from webclient import login_session

    s = login_session(base, "wall", PASSWORD)
    cookie = "; ".join(f"{k}={v}" for k, v in s.cookies.items())
    seen: list[set[str]] = []
    conns = []
    t0 = time.monotonic()
    for _ in range(clients):
        got: set[str] = set()
        seen.append(got)
        c = socketio.Client(reconnection=False)
        c.on("delta", lambda d, got=got: got.update(i["code"] for i in d["upsert"]))
        c.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=20)
        conns.append(c)
    connect_s = time.monotonic() - t0
    codes = set()
    for i in range(events):
        codes.add(services.dispatch.intake(report(WATER_COVER, north_m=-500.0 - 25 * i), operator(), Channel.HOTLINE,
                                           services.clock()).incident.code)
    end = time.monotonic() + 30
    while time.monotonic() < end and not all(codes <= g for g in seen):
        time.sleep(0.1)
    complete = sum(1 for g in seen if codes <= g)
    for c in conns:  # close the transports without waiting for each goodbye
        threading.Thread(target=c.disconnect, daemon=True).start()
    return {"clients": clients, "events": events, "clients_with_every_event": complete,
            "connect_all_s": round(connect_s, 1)}


#: The last version whose wall drew its map with Plotly's map and MapLibre layers of its own.
OLD_MAP_REV = "b321624"


def run_other(rev: str, args: list[str]) -> dict[str, Any]:
    """This benchmark as version ``rev`` has it, on ``rev``'s code (a detached worktree, removed after)."""
    import subprocess

    where = Path(tempfile.mkdtemp(prefix="cityops-rev-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev], check=True,
                   capture_output=True)
    try:
        out = subprocess.run([sys.executable, str(where / "benchmarks" / "push.py"), *args], cwd=where,
                             capture_output=True, text=True, check=True).stdout
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], capture_output=True)
    return json.loads(out[out.index("{"):out.rindex("}") + 1])


def compare(new: dict[str, Any], old: dict[str, Any], rev: str) -> dict[str, Any]:
    """The figures the wall must keep: p95 at 50 events/s against the old map, and against polling."""
    out: dict[str, Any] = {"against": rev}
    for rate in ("50/s", "200/s"):
        if rate in new and rate in old:
            n, o = new[rate]["push"]["p95_ms"], old[rate]["push"]["p95_ms"]
            out[rate] = {"new_p95_ms": n, "old_p95_ms": o, "new_over_old_p95": round(n / max(o, 1e-6), 2),
                         "new_poll_over_push_p95": new[rate]["latency_ratio_p95"],
                         "old_poll_over_push_p95": old[rate]["latency_ratio_p95"]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="small and quick (CI)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--draw-ms", type=int, default=0,
                    help="min ms between map/sparkline redraws on the pushed wall (0 = the wall's default, 1000)")
    ap.add_argument("--against", metavar="REV", nargs="?", const=OLD_MAP_REV, default=None,
                    help=f"also measure version REV of the wall in the same run (default {OLD_MAP_REV}: the Plotly map)")
    args = ap.parse_args(argv)
    global DRAW_MS
    DRAW_MS = args.draw_ms
    seconds = 2.0 if args.smoke else args.seconds
    clients = 20 if args.smoke else args.clients
    global T0
    T0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="cityops-bench-"))
    os.environ.pop("REDIS_URL", None)
    services, push_base, poll_base = start_servers(tmp)
    print(f"servers up in {time.monotonic() - T0:.1f} s", file=sys.stderr)
    result: dict[str, Any] = {"smoke": args.smoke, "draw_ms": args.draw_ms or 1000}
    push_drv, poll_drv = browser(), browser()
    try:
        login(push_drv, push_base, "/wall")
        wait_text(push_drv, "#kpi-intake_today")
        poll_drv.get(poll_base + "/")
        wait_text(poll_drv, "#kpi-intake_today")
        for rate in (50.0, 200.0):
            push = measure(services, push_drv, rate, seconds)
            poll = measure(services, poll_drv, rate, seconds)
            result[f"{int(rate)}/s"] = {"push": push, "poll": poll,
                                        "latency_ratio_p95": round(poll["p95_ms"] / max(push["p95_ms"], 1e-6), 1),
                                        "request_ratio": round(push["requests_per_min"] / max(poll["requests_per_min"], 1e-6), 3)}
    finally:
        push_drv.quit()
        poll_drv.quit()
    print(f"latency phases done in {time.monotonic() - T0:.1f} s", file=sys.stderr)
    result["sockets"] = socket_clients(services, push_base, clients, 5 if args.smoke else 20)
    if args.against:
        same = [a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("--against")
                and a != args.against]
        result["comparison"] = compare(result, run_other(args.against, same), args.against)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"push{'-smoke' if args.smoke else ''}{'-draw' + str(args.draw_ms) if args.draw_ms else ''}.json").write_text(json.dumps(result, indent=2))
    services.db.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
