"""Replay on a real wall: a past day's events play at 3600×, marked REPLAY, then the live state returns.

The app process starts on a fresh SQLite file into which this test first commits, with injected times,
nine incidents yesterday (local time, 00:10–02:50: ~3 s of replay at 3600×) and two today, through the
services — exactly what the event log of a past day looks like. Replay KPIs count that day's events
only, so the wall's "intake today" climbs to 9 during the replay and returns to the live 2 after it.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest

from harness import ARTIFACTS, PASSWORD, ROOT, app_process, foreign_requests, login, make_browser
from harness import wait_until as _wait

pytestmark = pytest.mark.browser
TZ = ZoneInfo("Asia/Shanghai")
PAST, TODAY = 9, 2


@pytest.fixture(scope="module")
def replay_app(tmp_path_factory: pytest.TempPathFactory, chromium: None) -> Iterator[tuple[str, str]]:
    """``python app.py`` on a store with yesterday's and today's incidents; yields (base URL, yesterday)."""
    from app import build_services
    from auth.users import create_user
    from factories import WATER_COVER, operator, report
    from incidents.model import Channel
    from settings import Settings

    tmp = tmp_path_factory.mktemp("replay")
    url = f"sqlite:///{tmp / 'cityops.db'}"
    svc = build_services(Settings(_env_file=None, DATABASE_URL=url, CITYOPS_DEMO=False))  # type: ignore[call-arg]
    yesterday = datetime.now(TZ).date() - timedelta(days=1)
    try:
        with svc.db.write.begin() as s:
            create_user("wall", PASSWORD, "wall", session=s, display_name="wall")
        for i in range(PAST):
            at = datetime.combine(yesterday, datetime.min.time(), TZ) + timedelta(minutes=10 + 20 * i)
            svc.dispatch.intake(report(WATER_COVER, east_m=i * 60.0, description=f"昨日井盖缺失 {i}"), operator(),
                                Channel.HOTLINE, at.astimezone(ZoneInfo("UTC")))
        for i in range(TODAY):
            svc.dispatch.intake(report(WATER_COVER, north_m=i * 60.0, description=f"今日井盖缺失 {i}"), operator(),
                                Channel.HOTLINE, svc.clock())
    finally:
        svc.db.dispose()
    env = dict(os.environ, DATABASE_URL=url, CITYOPS_DEMO="0", CITYOPS_SECRET_KEY="browser-test-secret",
               PYTHONUNBUFFERED="1", CITYOPS_TZ="Asia/Shanghai")
    env.pop("REDIS_URL", None)
    with app_process(env, tmp / "app.log") as base:
        yield base, yesterday.isoformat()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp / "app.log", ARTIFACTS / "replay-app.log")


def test_a_past_day_replays_marked_replay_then_the_live_wall_returns(replay_app: tuple[str, str]) -> None:
    base, day = replay_app
    wall = make_browser(1920, 1080)
    try:
        login(wall, base, "wall", "/wall")
        wall.wait_for_text_to_equal("#kpi-intake_today", str(TODAY), timeout=30)
        wall.wait_for_text_to_equal("#kpi-open", str(PAST + TODAY))
        _wait(lambda: wall.driver.execute_script("return window.cityopsMapDrawn") == PAST + TODAY)
        assert "hidden" in wall.find_element("#wall-replay-badge").get_attribute("class")
        wall.driver.execute_script("""
          window.cityopsNoReload = true; window.seenIntake = [];
          var el = document.querySelector('#kpi-intake_today');
          new MutationObserver(function () { window.seenIntake.push(el.textContent); })
            .observe(el, {childList: true, subtree: true, characterData: true});
          window.seenBadge = [];   // the REPLAY badge's class at every change (a fast replay may end before a look)
          var badge = document.querySelector('#wall-replay-badge');
          new MutationObserver(function () { window.seenBadge.push(badge.className); })
            .observe(badge, {attributes: true, attributeFilter: ['class']});
          window.seenTicker = [];
          new MutationObserver(function () { window.seenTicker.push(document.querySelector('#wall-ticker').textContent); })
            .observe(document.querySelector('#wall-ticker'), {childList: true, subtree: true});
        """)
        # The corner control: open it, pick yesterday and 3600×, start.
        wall.find_element("#wall-replay summary").click()
        wall.driver.execute_script(
            "dash_clientside.set_props('wall-replay-day', {value: arguments[0]});"
            "dash_clientside.set_props('wall-replay-speed', {value: 3600});", day)
        _wait(lambda: wall.find_element("#wall-replay-day").get_attribute("value") == day)
        wall.find_element("#wall-replay-go").click()

        _wait(lambda: "wall-replay-badge" in wall.driver.execute_script("return window.seenBadge"), timeout=15)
        badge = wall.find_element("#wall-replay-badge")
        if badge.is_displayed():  # still replaying (on a loaded machine the day may already have played)
            wall.driver.save_screenshot(str(ROOT / "docs" / "wall-replay-1080p.png"))
        # the day plays: intake climbs from the replay's own count to the day's total
        _wait(lambda: str(PAST) in wall.driver.execute_script("return window.seenIntake"), timeout=30)
        played = [int(v) for v in wall.driver.execute_script("return window.seenIntake") if v.strip().isdigit()]
        assert len({v for v in played if 0 < v <= PAST}) >= 2, played  # several steps, not one jump
        # the ticker plays yesterday's lines (their local times: 00:10, 00:30, …)
        assert any("00:10:00" in t for t in wall.driver.execute_script("return window.seenTicker"))
        assert wall.driver.execute_script("return window.cityopsReplay.phase") in ("frame", "end")

        # the end: the badge goes and the live picture is back without a reload
        wall.wait_for_element("#wall-replay-badge.hidden", timeout=30)
        wall.wait_for_text_to_equal("#kpi-intake_today", str(TODAY), timeout=15)
        wall.wait_for_text_to_equal("#kpi-open", str(PAST + TODAY))
        assert wall.driver.execute_script("return window.cityopsReplay.phase") == "end"
        _wait(lambda: wall.driver.execute_script("return window.cityopsMapDrawn") == PAST + TODAY)
        assert wall.driver.execute_script("return window.cityopsNoReload === true"), "the wall reloaded"
        assert foreign_requests(wall, base) == []
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.driver.save_screenshot(str(ARTIFACTS / "fail-wall-replay.png"))
        raise
    finally:
        wall.driver.quit()
