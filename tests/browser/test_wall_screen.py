"""The video wall over real processes: Redis fan-out between two app processes, both screen sizes, the
major-incident alert lane beside the KPI row (never over it), the paced ticker, the kiosk's full screen,
and a long run whose DOM stays bounded.

Two ``python app.py`` processes (ports A and B) share one SQLite file and the real Redis at
127.0.0.1:6379 on a channel of their own. Events committed in the test process reach the walls through
the same Redis (as the CLI import or the scheduler would), so the test drives thousands of real commits
without clicking.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import ARTIFACTS, PASSWORD, ROOT, _free_port, foreign_requests, login, make_browser, start_app, stop_app
from harness import wait_until as _wait
from callbacks.pages import ALERT_LANE_SIZE, TICKER_ROWS

pytestmark = pytest.mark.browser
REDIS = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except Exception:
        return False


class Cluster:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env, self.procs, self.bases, self.logs = tmp, env, [], [], []  # type: ignore[var-annotated]

    def start(self) -> str:
        proc, base, log = start_app(self.env, self.tmp / f"app-{_free_port()}.log")
        self.logs.append(log)
        self.procs.append(proc)
        self.bases.append(base)
        return base

    def services(self) -> Any:
        """Services in this (test) process on the same database, publishing through the same Redis."""
        from flask_socketio import SocketIO

        from app import build_services
        from live.broadcaster import Broadcaster
        from settings import Settings

        settings = Settings(_env_file=None, DATABASE_URL=self.env["DATABASE_URL"], CITYOPS_DEMO=False)  # type: ignore[call-arg]
        holder: dict[str, Any] = {}
        svc = build_services(settings, publish=lambda m: holder["b"].publish(m))
        emitter = SocketIO(message_queue=REDIS, channel=self.env["CITYOPS_SOCKETIO_CHANNEL"])
        svc.broadcaster = holder["b"] = Broadcaster(emitter, lambda: {}, svc.kpis, svc.clock, window_s=0.05)
        return svc


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, chromium: None) -> Iterator[Cluster]:
    if not _redis_up():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    tmp = tmp_path_factory.mktemp("wall")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'cityops.db'}", CITYOPS_DEMO="0", REDIS_URL=REDIS,
               CITYOPS_SOCKETIO_CHANNEL=f"cityops-test-{uuid.uuid4().hex[:8]}",
               CITYOPS_SECRET_KEY="browser-test-secret", PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-c", (
        "from app import build_services\nfrom auth.users import create_user\n"
        "s = build_services()\n"
        "with s.db.write.begin() as x:\n"
        "    for r in ('operator', 'wall'):\n"
        f"        create_user(r, {PASSWORD!r}, r, session=x, display_name=r)\n"
    )], cwd=ROOT, env=env, check=True, capture_output=True)
    c = Cluster(tmp, env)
    c.start()
    c.start()
    os.environ["CITYOPS_SOCKETIO_CHANNEL"] = env["CITYOPS_SOCKETIO_CHANNEL"]
    yield c
    os.environ.pop("CITYOPS_SOCKETIO_CHANNEL", None)
    for p, log in zip(c.procs, c.logs):
        stop_app(p, log)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for log in tmp.glob("app-*.log"):
        (ARTIFACTS / f"wall-{log.name}").write_bytes(log.read_bytes())


def _session(base: str, username: str) -> Any:
    import requests

    s = requests.Session()
    form = s.get(base + "/login", timeout=10).text  # the form's csrf_token must ride along with the post
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    r = s.post(base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
               allow_redirects=False, timeout=10)
    assert r.status_code in (302, 303), r.text[:300]
    return s


def _submit_through_dash(session: Any, base: str, category: str, lon: float, lat: float, severity: str) -> Any:
    """The operator console's submit button, as the browser sends it: the callback is found in Dash's
    own dependency list (so the test follows the form as it grows), unknown states are sent empty."""
    from layouts import ids

    deps = session.get(base + "/_dash-dependencies").json()
    cb = next(d for d in deps if any(i["id"] == ids.INTAKE_SUBMIT and i["property"] == "n_clicks" for i in d["inputs"]))
    known = {ids.INTAKE_CATEGORY: category, ids.INTAKE_SEVERITY: severity, ids.INTAKE_LON: lon, ids.INTAKE_LAT: lat,
             ids.INTAKE_DESCRIPTION: "人民大街井盖缺失，行人有坠落危险", ids.INTAKE_ADDRESS: "人民大街"}
    out = cb["output"]
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in out.strip(".").split("...")]
    body = {"output": out, "outputs": outputs if out.startswith("..") else outputs[0],
            "inputs": [{"id": ids.INTAKE_SUBMIT, "property": "n_clicks", "value": 1}],
            "changedPropIds": [f"{ids.INTAKE_SUBMIT}.n_clicks"],
            "state": [dict(st, value=known.get(st["id"])) for st in cb["state"]]}
    r = session.post(base + "/_dash-update-component", json=body)
    assert r.status_code == 200, r.text[:500]
    return r.json()


def test_incident_created_through_process_a_reaches_a_wall_socket_on_process_b(cluster: Cluster) -> None:
    import socketio

    a, b = cluster.bases
    got: list[dict[str, Any]] = []
    snap: list[dict[str, Any]] = []
    client = socketio.Client(reconnection=False)
    client.on("delta", got.append)
    client.on("snapshot", snap.append)
    wall = _session(b, "wall")
    client.connect(b, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in wall.cookies.items())},
                   transports=["websocket"], wait_timeout=10)
    try:
        assert client.transport() == "websocket"
        _wait(lambda: snap)
        resp = _submit_through_dash(_session(a, "operator"), a, "10101", 124.3505, 43.1702, "normal")
        code = json.dumps(resp).split('"data-code": "')[1][:13]
        delta = _wait(lambda: next((d for d in got if any(i["code"] == code for i in d["upsert"])), None))
        assert delta["kpi"]["intake_today"] >= 1
    finally:
        client.disconnect()


def _dom_nodes(browser: Any) -> int:
    return browser.driver.execute_script("return document.getElementsByTagName('*').length")


def _contrast(browser: Any, selector: str) -> float:
    """WCAG contrast of an element's text against the nearest opaque background behind it."""
    return browser.driver.execute_script("""
      function rgb(s) { var m = s.match(/[\\d.]+/g).map(Number); return m; }
      function lum(c) { var a = c.slice(0, 3).map(function (v) { v /= 255;
          return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2]; }
      var el = document.querySelector(arguments[0]); var fg = rgb(getComputedStyle(el).color);
      var n = el, bg = null;
      while (n && n.nodeType === 1) { var c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length < 4 || c[3] > 0.9) { if (c.length < 4 || c[3] > 0) { bg = c; break; } } n = n.parentElement; }
      bg = bg || [11, 18, 32];
      var l1 = lum(fg), l2 = lum(bg); return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    """, selector)


def _width(browser: Any, selector: str) -> float:
    return browser.driver.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().width", selector)


def _kpis_in_sight(browser: Any) -> list[str]:
    """What hides a KPI tile: the tile outside the screen, the alert lane's box over it, or any other
    element on top at the tile's centre or its number's centre. Empty when every tile can be read."""
    return browser.driver.execute_script("""
      var out = [], lane = document.querySelector('#wall-alert').getBoundingClientRect();
      document.querySelectorAll('.kpi-tile').forEach(function (tile) {
        var r = tile.getBoundingClientRect(), v = tile.querySelector('.kpi-value').getBoundingClientRect();
        if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) { out.push(tile.className + ' off screen'); }
        if (r.left < lane.right && lane.left < r.right && r.top < lane.bottom && lane.top < r.bottom) {
          out.push(tile.className + ' under the alert');
        }
        [[r.left + r.width / 2, r.top + r.height / 2], [v.left + v.width / 2, v.top + v.height / 2]].forEach(function (p) {
          var hit = document.elementFromPoint(p[0], p[1]);
          if (!hit || !tile.contains(hit)) { out.push(tile.className + ' covered by ' + (hit ? hit.id || hit.className : 'nothing')); }
        });
      });
      return out;
    """)


def _fits(browser: Any) -> bool:
    return browser.driver.execute_script(
        "var d = document.documentElement; return d.scrollHeight <= window.innerHeight + 1 && "
        "d.scrollWidth <= window.innerWidth + 1;")


def test_wall_at_1080p_and_4k_alert_and_a_long_run_stays_bounded(cluster: Cluster) -> None:
    from factories import WATER_COVER, operator, report
    from incidents.model import Channel

    a, b = cluster.bases
    svc = cluster.services()
    wall = make_browser(1920, 1080)
    big = make_browser(3840, 2160)
    try:
        login(wall, b, "wall", "/wall")
        base_n = int(_wait(lambda: (wall.find_element("#kpi-intake_today").text or "").strip().isdigit()
                           and wall.find_element("#kpi-intake_today").text))  # the fan-out test's report is there
        wall.driver.execute_script("window.cityopsNoReload = true;")

        def push(n: int, start: int) -> None:
            for i in range(start, start + n):
                svc.dispatch.intake(report(WATER_COVER, east_m=(i % 40) * 30.0, north_m=(i // 40 % 40) * 30.0,
                                           description=f"long run {i}"), operator(), Channel.HOTLINE, svc.clock())

        push(300, 0)
        wall.wait_for_text_to_equal("#kpi-intake_today", str(base_n + 300), timeout=60)
        # 300 commits as fast as the test can make them: six rows on screen, the rest summed up as "+k"
        _wait(lambda: re.fullmatch(r"\+\d+ 件新案件", wall.find_element("#wall-ticker-more").text))
        assert _contrast(wall, "#wall-ticker-more") >= 7.0
        _wait(lambda: wall.driver.execute_script("return document.querySelectorAll('#wall-ticker li').length") == TICKER_ROWS)
        after_300 = _dom_nodes(wall)
        assert wall.driver.execute_script("return window.cityopsWallCount()") == int(wall.find_element("#kpi-open").text)

        # 1080p: no scroll, big numerals, ≥ 7:1 text contrast
        assert _fits(wall)
        size = wall.driver.execute_script("return parseFloat(getComputedStyle(document.querySelector('#kpi-open')).fontSize)")
        assert size >= 56
        for sel in ("#kpi-open", ".kpi-label", ".ticker-line", ".wall-title", ".wall-clock"):
            assert _contrast(wall, sel) >= 7.0, sel

        # major incidents: a lane of their own beside the map, with sound, until an operator acknowledges
        # them; the newest ALERT_LANE_SIZE stacked, "+k" for the rest; the KPI row stays in sight
        map_width = _width(wall, "#wall-map")
        urgent = [svc.dispatch.intake(report(WATER_COVER, severity="urgent", north_m=-300.0 - 30 * i), operator(),
                                      Channel.HOTLINE, svc.clock()).incident for i in range(ALERT_LANE_SIZE + 1)]
        wall.wait_for_element("#wall-alert:not(.hidden)")
        _wait(lambda: "+1" in wall.find_element("#wall-alert .alert-more").text)
        lane = wall.find_element("#wall-alert").text
        assert all(u.code in lane for u in urgent[1:]) and urgent[0].code not in lane  # newest on top
        assert _kpis_in_sight(wall) == []
        assert _width(wall, "#wall-map") < 0.8 * map_width  # the lane took its column from the map
        _wait(lambda: wall.driver.execute_script("return window.cityopsMapResized || 0") >= 1)  # ... and told the map
        assert _contrast(wall, "#wall-alert .alert-line") >= 7.0
        assert _wait(lambda: wall.driver.execute_script("return window.cityopsBeeps || 0") >= 1)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.driver.save_screenshot(str(ROOT / "docs" / "wall-alert-1080p.png"))
        for u in urgent:
            svc.incidents.act(u.code, "alert_acknowledged", operator(), svc.incidents.get(u.code).version, svc.clock())
        wall.wait_for_element("#wall-alert.hidden")
        _wait(lambda: _width(wall, "#wall-map") == map_width)
        _wait(lambda: wall.driver.execute_script("return window.cityopsMapResized || 0") >= 2)

        # 4K on the other process: same picture, twice the size, no scroll
        login(big, a, "wall", "/wall")
        big.wait_for_text_to_equal("#kpi-intake_today", str(base_n + 300 + len(urgent)), timeout=30)
        assert _fits(big)
        big_size = big.driver.execute_script("return parseFloat(getComputedStyle(document.querySelector('#kpi-open')).fontSize)")
        assert big_size >= 1.8 * size
        # the picture for the README once the maps have laid their named layers
        big.wait_for_element("#wall-map .leaflet-base-labels-pane .map-label", timeout=30)
        big.wait_for_element("#wall-inset .map-label-district", timeout=30)
        big.driver.save_screenshot(str(ROOT / "docs" / "wall-4k.png"))

        t0 = time.monotonic()
        push(2700, 300)
        wall.wait_for_text_to_equal("#kpi-intake_today", str(base_n + 3000 + len(urgent)), timeout=180)
        push_s = time.monotonic() - t0
        _wait(lambda: wall.driver.execute_script("return document.querySelectorAll('#wall-ticker li').length") == TICKER_ROWS)
        after_3000 = _dom_nodes(wall)
        # no delta lost on the way, however fast they came: the map holds exactly the open incidents
        assert wall.driver.execute_script("return window.cityopsWallCount()") == int(wall.find_element("#kpi-open").text)
        assert after_3000 <= 1.1 * after_300, (after_300, after_3000)
        assert wall.driver.execute_script("return window.cityopsNoReload === true"), "the wall reloaded"
        wall.driver.save_screenshot(str(ROOT / "docs" / "wall-1080p.png"))
        for br, base in ((wall, b), (big, a)):
            assert foreign_requests(br, base) == []
        (ARTIFACTS / "wall_long_run.json").write_text(json.dumps(
            {"dom_after_300": after_300, "dom_after_3000": after_3000, "push_2700_s": round(push_s, 1),
             "deltas_received": wall.driver.execute_script("return window.cityopsDeltas")}, indent=2))
        print(f"\nDOM nodes after 300 events: {after_300}; after 3,001: {after_3000}; 2,700 commits in {push_s:.1f} s")
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.driver.save_screenshot(str(ARTIFACTS / "fail-wall-1080p.png"))
        big.driver.save_screenshot(str(ARTIFACTS / "fail-wall-4k.png"))
        raise
    finally:
        wall.driver.quit()
        big.driver.quit()
        svc.db.dispose()


@pytest.fixture(scope="module")
def kiosk(cluster: Cluster) -> Iterator[Any]:
    """A 1920×1080 kiosk: the wall opened by a device login (as /admin makes one), not by a person."""
    svc = cluster.services()
    try:
        _id, secret = svc.devices.create("admin", svc.clock(), name="大屏 1", username="wall")
    finally:
        svc.db.dispose()
    screen = make_browser(1920, 1080)
    try:
        screen.driver.get(f"{cluster.bases[1]}/device/{secret}")
        screen.wait_for_element("#wall-ticker li")
        yield screen
    finally:
        screen.driver.quit()


def test_kiosk_is_the_whole_screen_with_no_header_links_and_56px_numerals(kiosk: Any) -> None:
    found = kiosk.driver.execute_script("""
      return {header: document.querySelectorAll('header, nav, #lang-switch, #logout, #theme-switch').length,
              links: Array.from(document.querySelectorAll('a, button')).filter(function (e) {
                return e.offsetParent !== null && !e.closest('#wall-replay'); }).map(function (e) { return e.textContent; }),
              wall: document.querySelector('.wall').getBoundingClientRect().toJSON(),
              numerals: Array.from(document.querySelectorAll('.kpi-value')).map(function (e) {
                return parseFloat(getComputedStyle(e).fontSize); })};
    """)
    assert found["header"] == 0 and found["links"] == []
    assert "English" not in kiosk.driver.page_source and "退出" not in kiosk.find_element("body").text
    assert (found["wall"]["top"], found["wall"]["height"], found["wall"]["width"]) == (0, 1080, 1920)
    assert _fits(kiosk)
    assert len(found["numerals"]) == 5 and min(found["numerals"]) >= 56
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kiosk.driver.save_screenshot(str(ARTIFACTS / "wall-kiosk-1080p.png"))


def test_ticker_keeps_each_case_ten_seconds_at_50_events_per_second_and_counts_the_rest(kiosk: Any) -> None:
    """The page's own pacing function, driven with an injected clock: two minutes at 50 events/s, then a
    quiet spell of one event every 3 s, stepped every 20 ms as the page would."""
    run = kiosk.driver.execute_script("""
      var L = window.cityopsLane, o = {rows: 6, dwell: 10000, queue: 6};
      var s = L.tickerStart([], 0, o), since = {}, lives = [], shownEver = {}, arrived = {}, n = 0;
      var drops = [], prev = 0, busy = null;
      function step(t, incoming) {
        incoming.forEach(function (l) { arrived[l.code] = t; });
        s = L.tickerPace(s, incoming, t, o);
        drops.push([t, s.dropped - prev]); prev = s.dropped;
        var on = {};
        s.rows.forEach(function (r) { on[r.line.code] = true; if (!(r.line.code in since)) { since[r.line.code] = t; shownEver[r.line.code] = t; } });
        Object.keys(since).forEach(function (c) { if (!on[c]) { lives.push(t - since[c]); delete since[c]; } });
      }
      for (var t = 0; t <= 120000; t += 20) { step(t, [{code: 'busy' + (n++), at: t}]); }
      var end = 120000, more = L.tickerMore(s, end, o), inWindow = 0;
      drops.forEach(function (d) { if (d[0] > end - 10000) { inWindow += d[1]; } });
      busy = {more: more, expected: inWindow + s.queue.length, received: s.received, shown: s.shown,
              dropped: s.dropped, queued: s.queue.length, distinct: Object.keys(shownEver).length,
              rows: s.rows.length, minLife: Math.min.apply(null, lives), left: lives.length};
      var quietDelay = [];
      for (t = 120020; t <= 240000; t += 20) {
        var incoming = (t - 120020) % 3000 === 0 ? [{code: 'quiet' + (n++), at: t}] : [];
        step(t, incoming);
        incoming.forEach(function (l) { quietDelay.push([l.code, t]); });
      }
      quietDelay = quietDelay.map(function (x) { return shownEver[x[0]] === undefined ? null : shownEver[x[0]] - x[1]; });
      return {busy: busy, quietDelay: quietDelay, quietMore: L.tickerMore(s, 240000, o),
              minLife: Math.min.apply(null, lives), drawn: document.querySelectorAll('#wall-ticker li').length};
    """)
    busy = run["busy"]
    assert busy["minLife"] >= 10000 and run["minLife"] >= 10000  # no case left the screen before its 10 s
    assert busy["left"] >= 60  # the rows did turn over: about a page of six every 10 s
    assert busy["distinct"] <= 6 * (120 // 10 + 1)  # ... and no faster
    assert busy["received"] == 6001 == busy["shown"] + busy["dropped"] + busy["queued"]
    assert busy["more"] == busy["expected"] and 480 <= busy["more"] <= 500  # "+k": the last 10 s not shown
    # then quiet (a case every 3 s): every case is shown, within 10 s while the burst's last rows have their
    # time, and the moment it arrives from 20 s after the burst (the 8th case on)
    delays = run["quietDelay"]
    assert len(delays) == 40 and None not in delays and max(delays) <= 10000 and set(delays[7:]) == {0}
    assert run["quietMore"] == 0
    assert run["drawn"] == TICKER_ROWS
