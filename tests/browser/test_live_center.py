"""The first live command center, end to end: an operator's report reaches the wall over a websocket."""
from __future__ import annotations

import json
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from harness import ARTIFACTS, ROOT, choose, foreign_requests, login, make_browser
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

# A point in the urban core of 铁西区 and a category with an unambiguous department (water manhole cover → SWJ).
LON, LAT, CATEGORY = 124.3505, 43.1702, "10101"


def test_operator_report_appears_on_the_wall_without_reload(live_app: str) -> None:
    wall = make_browser(1920, 1080)
    operator = make_browser(1600, 1000)
    try:
        t0 = time.monotonic()
        login(wall, live_app, "wall", "/wall")
        wall.wait_for_text_to_equal("#kpi-open", "0")  # the snapshot arrived over the socket
        first_load_s = time.monotonic() - t0
        wall.driver.execute_script("window.cityopsNoReload = true;")

        login(operator, live_app, "operator", "/intake")
        operator.wait_for_element("#intake-category")
        choose(operator, "#intake-category", CATEGORY)
        operator.find_element("#intake-description").send_keys("人民大街井盖缺失，行人有坠落危险")
        operator.find_element("#intake-lon").send_keys(str(LON))
        operator.find_element("#intake-lat").send_keys(str(LAT))
        operator.find_element("#intake-submit").click()

        status = operator.wait_for_element("#result-status")
        code = operator.find_element(".result").get_attribute("data-code")
        assert code and len(code) == 13
        assert "派遣" in status.text  # auto-filed and dispatched: the rules route 10101 to SWJ

        wall.wait_for_text_to_equal("#kpi-open", "1")
        wall.wait_for_text_to_equal("#kpi-intake_today", "1")
        ticker = wall.find_element("#wall-ticker").text
        assert code in ticker and "上水井盖" in ticker
        assert wall.driver.execute_script("return window.cityopsNoReload === true"), "the wall reloaded"
        lag = wall.driver.execute_script("return window.cityopsLastDelta")
        latency_ms = lag["received"] - _epoch_ms(lag["at"])

        health = json.load(urllib.request.urlopen(live_app + "/healthz"))
        assert health["sockets"].get("websocket", 0) >= 2, health
        assert health["sockets"].get("polling", 0) == 0, health

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ROOT / "docs" / "wall-1080p.png"
        wall.driver.save_screenshot(str(shot))
        (ARTIFACTS / "live_center.json").write_text(json.dumps(
            {"first_load_wall_s": round(first_load_s, 3), "commit_to_wall_ms": round(latency_ms, 1)}, indent=2))
        print(f"\nfirst load of /wall: {first_load_s:.2f} s; commit → wall: {latency_ms:.0f} ms")

        for b in (wall, operator):
            assert foreign_requests(b, live_app) == []
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.driver.save_screenshot(str(ARTIFACTS / "fail-wall.png"))
        operator.driver.save_screenshot(str(ARTIFACTS / "fail-operator.png"))
        raise
    finally:
        wall.driver.quit()
        operator.driver.quit()


def _epoch_ms(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp() * 1000


def test_pages_need_login_in_the_browser(live_app: str) -> None:
    b = make_browser(1280, 800)
    try:
        b.driver.get(live_app + "/intake")
        b.wait_for_element("#login-submit")
        assert "/login" in b.driver.current_url
        login(b, live_app, "wall", "/intake")  # the wall login may not use the console
        b.wait_for_element("#forbidden")
        assert not b.driver.find_elements(By.ID, "intake-submit")
    finally:
        b.driver.quit()


def test_an_incident_at_breach_risk_is_ringed_and_counted_on_the_wall(live_app: str,
                                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    """With a history in which every case finished late, each running incident is at risk from its
    dispatch on: the wall's legend counts them and the map draws the ring layer. Runs last in this module
    (the first test expects an empty city)."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import func, select

    from analytics_log import write_incident
    from app import build_services
    from incidents.model import RUNNING_STATES
    from incidents.records import IncidentRow
    from settings import Settings

    db = sorted(tmp_path_factory.getbasetemp().glob("live*/cityops.db"))[-1]  # live_app's store
    svc = build_services(Settings(_env_file=None, database_url=f"sqlite:///{db}", demo=False))  # type: ignore[call-arg]
    wall = make_browser(1920, 1080)
    try:
        now = datetime.now(timezone.utc)
        for k in range(40):  # 40 resolved cases of the last month, all five days past their deadline
            at = now - timedelta(days=30) + timedelta(hours=12 * k)
            deadline = at + timedelta(days=1)
            write_incident(svc, f"2000010{k:06d}", [
                (at, "created", "reported", {}), (at + timedelta(minutes=5), "file", "accepted", {}),
                (at + timedelta(minutes=10), "dispatch", "dispatched", {"department": "SWJ", "deadline": deadline}),
                (deadline + timedelta(days=5), "resolve", "resolved", {}),
                (deadline + timedelta(days=5, hours=1), "verify_pass", "closed", {})])
        with svc.db.read() as s:
            running = s.scalar(select(func.count()).select_from(IncidentRow).where(
                IncidentRow.state.in_([st.value for st in RUNNING_STATES]), IncidentRow.deadline > now))
        assert running >= 1  # the first test's report, dispatched to SWJ

        login(wall, live_app, "wall", "/wall")  # a fresh snapshot: every running feature has its risk
        wall.wait_for_text_to_equal("#wall-risk-count", str(running), timeout=30)
        assert wall.driver.execute_script("return window.cityopsAtRisk") == running
        # each running incident's dot carries the ring (drawn on the map, not only counted)
        _wait(lambda: len(wall.driver.find_elements(By.CSS_SELECTOR, "#wall-map path.map-incident.atrisk")) == running,
              timeout=20)
        # the cells holding running incidents are shaded: polygons in the map's cell layer, rendered
        _wait(lambda: wall.driver.execute_script("return window.cityopsCellsDrawn") >= 1 and wall.driver.find_elements(
            By.CSS_SELECTOR, "#wall-map .leaflet-wall-cells-pane path"), timeout=20)
        assert "超期风险" in wall.find_element(".legend-risk").text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.driver.save_screenshot(str(ARTIFACTS / "wall-at-risk.png"))
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.driver.save_screenshot(str(ARTIFACTS / "fail-wall-risk.png"))
        raise
    finally:
        wall.driver.quit()
        svc.db.dispose()
