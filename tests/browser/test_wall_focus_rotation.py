"""The wall's focus panels on a real wall: they take turns every 2 s in the configured order, each computed
in the browser from the pushed model (no HTTP request per turn), with a fixed number of readable rows that
fit the slot at 1920×1080 and 3840×2160.

The app processes (one turning every 2 s over cells, overdue, risk; one with the rotation off) start on a
SQLite file into which this test first commits, with injected times, ten incidents reported 30 … 12 days ago
(dispatched, long past their deadlines: overdue) and one reported now — what a real store looks like to the
wall's snapshot. The expected rows are computed from the same store.
"""
from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import ARTIFACTS, PASSWORD, app_process, foreign_requests, login, make_browser
from harness import wait_until as _wait
from test_wall_screen import _contrast, _fits

pytestmark = pytest.mark.browser
PANELS = ("cells", "overdue", "risk")
OVERDUE, SIZE = 10, 6
OTHER_CELL = "220302001001002"
TITLES = {"在办最多的网格": "cells", "超期案件": "overdue", "超期风险": "risk"}  # a title's first word → its panel


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, chromium: None) -> tuple[str, dict[str, Any]]:
    """A store with ten overdue incidents and one fresh one; (database URL, what the wall should show)."""
    from app import build_services
    from auth.users import create_user
    from factories import WATER_COVER, operator, report
    from incidents.model import OPEN_STATES, Channel
    from settings import Settings

    url = f"sqlite:///{tmp_path_factory.mktemp('focus') / 'cityops.db'}"
    svc = build_services(Settings(_env_file=None, DATABASE_URL=url, CITYOPS_DEMO=False))  # type: ignore[call-arg]
    now = datetime.now(timezone.utc)
    try:
        with svc.db.write.begin() as s:
            create_user("wall", PASSWORD, "wall", session=s, display_name="wall")
        for k in range(OVERDUE):  # two days apart and 60 m apart: never duplicates of each other
            svc.dispatch.intake(report(WATER_COVER, east_m=(k % 4) * 60.0, north_m=(k // 4) * 60.0,
                                       description=f"超期井盖 {k}"), operator(), Channel.HOTLINE,
                                now - timedelta(days=30 - 2 * k))
        svc.dispatch.intake(report(WATER_COVER, cell=OTHER_CELL, description="今日井盖"), operator(), Channel.HOTLINE,
                            now)
        open_ = svc.incidents.list(states=OPEN_STATES, limit=100)
        late = sorted((i for i in open_ if i.is_overdue(now)), key=lambda i: (i.deadline, i.code))
        ref = svc.reference.get()
        store = {"overdue": [i.code for i in late], "cells": Counter(i.grid for i in open_).most_common(),
                 "late_cells": Counter(i.grid for i in late),
                 "category": ref.taxonomy.get(WATER_COVER).name("zh"),
                 "department": ref.departments[late[0].department].name("zh")}
    finally:
        svc.db.dispose()
    assert len(store["overdue"]) == OVERDUE, store
    return url, store


def _app(url: str, cycle_s: str, panels: str, log: Path) -> Any:
    """``python app.py`` on the seeded store with the focus settings (a context manager giving its URL)."""
    env = dict(os.environ, DATABASE_URL=url, CITYOPS_DEMO="0", CITYOPS_SECRET_KEY="browser-test-secret",
               PYTHONUNBUFFERED="1", CITYOPS_WALL_FOCUS_CYCLE_S=cycle_s, CITYOPS_WALL_FOCUS_PANELS=panels)
    env.pop("REDIS_URL", None)
    return app_process(env, log)


@pytest.fixture
def turning_app(seeded: tuple[str, dict[str, Any]], tmp_path: Path) -> Iterator[str]:
    with _app(seeded[0], "2", ",".join(PANELS), tmp_path / "app.log") as base:
        yield base
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / "app.log", ARTIFACTS / "focus-turning-app.log")


@pytest.fixture(scope="module")
def fixed_app(seeded: tuple[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("fixed") / "app.log"
    with _app(seeded[0], "0", "overdue,cells", log) as base:
        yield base
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(log, ARTIFACTS / "focus-fixed-app.log")


def _panel(browser: Any) -> dict[str, Any]:
    """The slot as one reading (the panel may turn between two scripts): title, rows, dots, rows inside it."""
    return browser.driver.execute_script("""
      var h = document.querySelector('#wall-focus h2'), slot = document.querySelector('.wall-focus-panel');
      if (!slot) { return {title: '', rows: [], dots: [], fit: false, size: 0}; }   // the page is still loading
      var rows = Array.from(document.querySelectorAll('#wall-focus .focus-list li')), b = slot.getBoundingClientRect();
      return {title: h ? h.textContent : '', rows: rows.map(function (r) { return r.textContent; }),
              dots: Array.from(document.querySelectorAll('#wall-focus .focus-dot')).map(function (d) { return d.className; }),
              fit: rows.every(function (r) { return r.getBoundingClientRect().bottom <= b.bottom + 1; }),
              size: rows.length ? parseFloat(getComputedStyle(rows[0]).fontSize) : 0};
    """)


def _title(browser: Any) -> str:
    return str(_panel(browser)["title"])


def _http_requests(browser: Any) -> list[str]:
    """The HTTP(S) requests the page made since the last call (Chromium's network log is drained by reading)."""
    out = []
    for entry in browser.driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"].get("request", {}).get("url", "")
            if url.startswith("http"):
                out.append(url)
    return out


def test_focus_panels_take_turns_every_2_s_in_the_configured_order_with_no_request(
        turning_app: str, seeded: tuple[str, dict[str, Any]]) -> None:
    base, store = turning_app, seeded[1]
    wall = make_browser(1920, 1080)
    try:
        login(wall, base, "wall", "/wall")
        wall.wait_for_text_to_equal("#kpi-open", str(OVERDUE + 1), timeout=30)
        wall.driver.execute_script("""
          window.cityopsNoReload = true; window.seenTitles = [];
          new MutationObserver(function () {
            var h = document.querySelector('#wall-focus h2'), t = h ? h.textContent : '';
            var s = window.seenTitles;
            if (!s.length || s[s.length - 1][0] !== t) { s.push([t, Date.now()]); }
          }).observe(document.querySelector('#wall-focus'), {childList: true, subtree: true, characterData: true});
        """)
        _wait(lambda: wall.driver.execute_script("return window.cityopsMapDrawn") == OVERDUE + 1)
        assert foreign_requests(wall, base) == []  # (reads and empties the network log)

        # The overdue panel: its count in the title, the longest overdue first, a fixed number of rows.
        p = _wait(lambda: (q := _panel(wall))["title"].startswith(f"超期案件 {OVERDUE}") and q, timeout=15)
        assert len(p["rows"]) == SIZE  # ten overdue, six rows: the DOM stays bounded
        assert [r.split(" · ")[0] for r in p["rows"]] == store["overdue"][:SIZE]
        first = p["rows"][0]
        assert store["category"] in first and store["department"] in first and "超期 " in first and "天" in first
        assert p["dots"] == ["focus-dot", "focus-dot on", "focus-dot"]  # the second of three panels is on

        # … then the next configured panel (nothing at breach risk here), then around to the busiest cells.
        p = _wait(lambda: (q := _panel(wall))["title"].startswith("超期风险") and q, timeout=10)
        assert p["rows"] == ["暂无"] and p["dots"] == ["focus-dot", "focus-dot", "focus-dot on"]
        p = _wait(lambda: (q := _panel(wall))["title"].startswith("在办最多的网格") and q, timeout=10)
        assert [r.split(" · 网格 ")[1] for r in p["rows"]] == [  # "铁西区 · 网格 <code><open> 件在办 · 超期 <k>"
            f"{cell}{n} 件在办" + (f" · 超期 {store['late_cells'][cell]}" if store["late_cells"][cell] else "")
            for cell, n in store["cells"]]
        assert p["rows"][0].startswith("铁西区 · 网格 ")
        _wait(lambda: _title(wall).startswith(f"超期案件 {OVERDUE}"), timeout=10)

        # The order and the pace, from the titles as they changed (the first one seen may be mid-turn).
        seen = _wait(lambda: (s := wall.driver.execute_script("return window.seenTitles")) and len(s) >= 5 and s)
        turns = [TITLES[t.split(" ")[0]] for t, _ in seen]
        assert all(PANELS[(PANELS.index(a) + 1) % len(PANELS)] == b for a, b in zip(turns, turns[1:])), turns
        gaps = [(b - a) / 1000 for (_, a), (_, b) in zip(seen[1:], seen[2:])]
        assert all(1.5 <= g <= 8 for g in gaps), gaps  # the configured 2 s, never faster
        # The turns and their rows cost no request: computed in the browser from the pushed model.
        assert _http_requests(wall) == []
        assert wall.driver.execute_script("return window.cityopsNoReload === true")
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.driver.save_screenshot(str(ARTIFACTS / "fail-wall-focus.png"))
        raise
    finally:
        wall.driver.quit()


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)])
def test_with_rotation_off_the_first_panel_stays_readable_and_inside_its_slot(
        fixed_app: str, seeded: tuple[str, dict[str, Any]], width: int, height: int) -> None:
    base, store = fixed_app, seeded[1]
    wall = make_browser(width, height)
    try:
        login(wall, base, "wall", "/wall")
        p = _wait(lambda: (q := _panel(wall))["rows"] and q, timeout=30)
        _wait(lambda: wall.driver.execute_script("return window.cityopsMapDrawn") == OVERDUE + 1)
        assert p["title"].startswith(f"超期案件 {OVERDUE}") and p["dots"] == []  # no turns, so no dots
        assert [r.split(" · ")[0] for r in p["rows"]] == store["overdue"][:SIZE]
        # Readable from 5 m: the ranking's and the ticker's size (twice it at 4K), ≥ 7:1, every row in the slot.
        assert p["size"] >= 18 * width / 1920 and p["fit"] and _fits(wall)
        for sel in ("#wall-focus h2", "#wall-focus .focus-main", "#wall-focus .focus-value"):
            assert _contrast(wall, sel) >= 7.0, sel
        wall.driver.save_screenshot(str(ARTIFACTS / f"wall-focus-{height}p.png"))
        assert _title(wall).startswith(f"超期案件 {OVERDUE}")  # still the first panel
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.driver.save_screenshot(str(ARTIFACTS / f"fail-wall-focus-{height}p.png"))
        raise
    finally:
        wall.driver.quit()
