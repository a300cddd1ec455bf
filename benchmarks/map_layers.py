"""A map layer of 5,000 points updated 50 times a second in the browser: the map component the product
uses (dash-leaflet's GeoJSON layer, clustered as on the wall, and unclustered) against the conventional
Dash way (a Plotly ``Scattermap`` figure replaced through ``set_props``), in one run.

Each variant is a page of one small Dash app served from this process; headless Chromium (Debian's) opens
it and a driver in the page applies 50 events a second (each moves one of the 5,000 points) for
``--seconds`` and hands the whole layer to the component as the wall hands the socket's deltas to its map
(no server round trip): once per event, and at the wall's cadence (one draw per second, assets/20_wall.js). Measured in the page: how long after a hand-over the page paints again (p50/p95), the frames the
browser painted per second, and the main thread's time in long tasks (> 50 ms), whose share says how much
of the page is left for everything else. Also counted: requests to any other host (must be 0).

    python benchmarks/map_layers.py [--smoke] [--points 5000] [--rate 50] [--seconds 10]
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DRIVER = """
window.benchDone = null;
(function (points, rate, seconds, kind, drawMs) {
  var seed = 42;
  function rnd() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }
  var xs = [], ys = [];
  for (var i = 0; i < points; i++) { xs.push(124.30 + 0.13 * rnd()); ys.push(43.12 + 0.09 * rnd()); }
  var frames = 0, long = 0, longN = 0, lags = [], t0 = performance.now();
  new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { long += e.duration; longN++; }); })
    .observe({entryTypes: ['longtask']});
  (function frame() { frames++; if (!window.benchDone) { requestAnimationFrame(frame); } })();
  function layer() {
    if (kind === 'plotly') {
      return {data: [{type: 'scattermap', lon: xs.slice(), lat: ys.slice(), mode: 'markers',
                      marker: {size: 7, color: '#56B4E9'}}],
              layout: {map: {style: 'white-bg', center: {lon: 124.365, lat: 43.165}, zoom: 11},
                       margin: {l: 0, r: 0, t: 0, b: 0}, uirevision: 'keep'}};
    }
    var f = [];
    for (var i = 0; i < points; i++) {
      f.push({type: 'Feature', geometry: {type: 'Point', coordinates: [xs[i], ys[i]]},
              properties: {code: String(i), severity: i % 7 ? 'normal' : 'urgent'}});
    }
    return {type: 'FeatureCollection', features: f};
  }
  var sent = 0, lastDraw = 0, timer = setInterval(function () {
    var j = Math.floor(rnd() * points);   // one event: one case moved (or changed)
    xs[j] += 0.001 * (rnd() - 0.5); ys[j] += 0.001 * (rnd() - 0.5);
    if (performance.now() - lastDraw < drawMs) { return; }
    lastDraw = performance.now();
    var value = layer();
    window.dash_clientside.set_props('layer', kind === 'plotly' ? {figure: value} : {data: value});
    sent++;
    var at = performance.now();   // how long the page takes to paint again after the layer was handed over
    requestAnimationFrame(function () { lags.push(performance.now() - at); });
    if (performance.now() - t0 >= seconds * 1000) {
      clearInterval(timer);
      setTimeout(function () {
        var s = (performance.now() - t0) / 1000;
        lags.sort(function (a, b) { return a - b; });
        window.benchDone = {sent_per_s: sent / s, paint_lag_p50_ms: lags[Math.floor(lags.length * 0.5)] || 0,
                            paint_lag_p95_ms: lags[Math.floor(lags.length * 0.95)] || 0, fps: frames / s,
                            long_task_ms_per_s: long / s, long_tasks: longN};
      }, 500);
    }
  }, 1000 / rate);
})(arguments[0], arguments[1], arguments[2], arguments[3], arguments[4]);
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_app() -> Any:
    import dash
    import dash_leaflet as dl
    from dash import dcc, html

    app = dash.Dash(__name__, assets_folder=str(ROOT / "assets"), assets_ignore=r"^(?!15_map\.js$).*",
                    use_pages=True, pages_folder="")
    size = {"width": "1600px", "height": "900px"}
    empty = {"type": "FeatureCollection", "features": []}
    hide = {"colors": {"urgent": "#D55E00", "normal": "#56B4E9"}, "scale": 1}
    common = {"pointToLayer": {"variable": "cityops.map.incident"}, "hideout": hide}
    dash.register_page("clustered", path="/clustered", layout=html.Div(dl.Map(
        [dl.GeoJSON(id="layer", data=empty, cluster=True, superClusterOptions={"radius": 48, "maxZoom": 15},
                    clusterToLayer={"variable": "cityops.map.cluster"}, **common)],
        center=[43.165, 124.365], zoom=11, style=size)))
    dash.register_page("points", path="/points", layout=html.Div(dl.Map(
        [dl.GeoJSON(id="layer", data=empty, **common)], center=[43.165, 124.365], zoom=11, preferCanvas=True,
        style=size)))
    dash.register_page("plotly", path="/plotly", layout=html.Div(dcc.Graph(
        id="layer", figure={"data": [], "layout": {"map": {"style": "white-bg"}}}, style=size)))
    app.layout = html.Div(dash.page_container)
    return app


def browser() -> Any:
    from selenium import webdriver

    o = webdriver.ChromeOptions()
    o.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--window-size=1700,1000"):
        o.add_argument(flag)
    o.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=o)


def foreign(driver: Any, base: str) -> list[str]:
    out = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if url.startswith("http") and not url.startswith(base):
                out.append(url)
    return out


def measure(driver: Any, base: str, kind: str, points: int, rate: int, seconds: float, draw_ms: int) -> dict[str, Any]:
    driver.get(f"{base}/{kind}")
    deadline = time.monotonic() + 30
    while not driver.execute_script("return !!(window.dash_clientside && window.dash_clientside.set_props && "
                                    "document.querySelector('.leaflet-container, .js-plotly-plot'))"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind}: the page did not load")
        time.sleep(0.2)
    time.sleep(1.0)
    driver.execute_script(DRIVER, points, rate, seconds, kind, draw_ms)
    deadline = time.monotonic() + seconds + 60
    while (done := driver.execute_script("return window.benchDone")) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind}: the run did not finish")
        time.sleep(0.5)
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in done.items()} | {
        "foreign_requests": len(foreign(driver, base))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="small and quick (CI)")
    ap.add_argument("--points", type=int, default=5000)
    ap.add_argument("--rate", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args(argv)
    seconds = 2.0 if args.smoke else args.seconds
    port = free_port()
    app = make_app()
    threading.Thread(target=lambda: app.run(port=port, debug=False), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    time.sleep(2)
    driver = browser()
    result: dict[str, Any] = {"points": args.points, "events_per_s": args.rate, "seconds": seconds}
    try:
        # every event handed to the map at once, and the wall's cadence (all events of a second in one draw)
        for draw_ms in (0, 1000):
            run: dict[str, Any] = {}
            for kind in ("clustered", "points", "plotly"):
                run[kind] = measure(driver, base, kind, args.points, args.rate, seconds, draw_ms)
            conv = run["plotly"]
            for kind in ("clustered", "points"):
                run[f"{kind}_vs_plotly"] = {
                    "paint_lag_p95": round(run[kind]["paint_lag_p95_ms"] / max(conv["paint_lag_p95_ms"], 1e-6), 2),
                    "fps": round(run[kind]["fps"] / max(conv["fps"], 1e-6), 2),
                    "long_task_ms_per_s": round(run[kind]["long_task_ms_per_s"] / max(conv["long_task_ms_per_s"], 1e-6), 2)}
            result["every event drawn" if draw_ms == 0 else f"drawn every {draw_ms} ms"] = run
    finally:
        driver.quit()
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"map_layers{'-smoke' if args.smoke else ''}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
