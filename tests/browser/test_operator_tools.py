"""Operator and field tools in the browser: the console's address type-ahead, a patrol report from a phone."""
from __future__ import annotations

import base64
import re

import pytest
from selenium.webdriver.common.by import By

from harness import ARTIFACTS, GRID_WORKER, choose, login, make_browser
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

# A 1×1 PNG: the patrol page checks a photo by its content, not its name.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def test_console_address_type_ahead_fills_address_and_point(live_app: str) -> None:
    """The type-ahead fills address and point; a repeat call is offered the open case before it is stored."""
    b = make_browser(1600, 1000)
    try:
        login(b, live_app, "operator", "/intake")
        b.wait_for_element("#intake-place")
        choose(b, "#intake-place", "英雄广场")  # its options come from the server as the name is typed
        _wait(lambda: "英雄广场" in (b.find_element("#intake-address").get_attribute("value") or ""))
        lon = float(_wait(lambda: b.find_element("#intake-lon").get_attribute("value")))
        lat = float(b.find_element("#intake-lat").get_attribute("value"))
        assert 124.2 < lon < 124.5 and 43.1 < lat < 43.25  # in Siping's urban core
        # A first call about a missing manhole cover there …
        choose(b, "#intake-category", "上水井盖")
        b.find_element("#intake-description").send_keys("英雄广场旁井盖缺失")
        b.find_element("#intake-submit").click()
        first = re.search(r"\d{13}", _wait(lambda: re.search(r"\d{13}", b.find_element("#intake-result").text)
                                            and b.find_element("#intake-result").text)).group(0)
        assert not b.find_element("#intake-description").get_attribute("value")  # the form is ready for the next call
        # … and a second caller a few metres away: the open case is offered before anything is stored.
        choose(b, "#intake-category", "上水井盖")
        b.find_element("#intake-lon").send_keys(f"{lon + 0.0001:.6f}")
        b.find_element("#intake-lat").send_keys(f"{lat:.6f}")
        b.find_element("#intake-description").send_keys("又一位市民反映井盖缺失")
        b.wait_for_contains_text("#intake-likely", first)
        b.find_element("#intake-likely button").click()
        b.wait_for_contains_text("#intake-result", f"来电人已加入案件 {first}")
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        b.driver.save_screenshot(str(ARTIFACTS / "fail-console-repeat.png"))
        raise
    finally:
        b.driver.quit()


def test_grid_worker_reports_from_a_phone_with_photo_and_location(live_app: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "pothole.png"
    photo.write_bytes(PNG)
    b = make_browser(360, 640)
    try:
        # The phone's GPS, as the browser's geolocation API reports it (WGS84): a point in 铁西区's core.
        b.driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_app, "permissions": ["geolocation"]})
        b.driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                                 {"latitude": 43.1702, "longitude": 124.3505, "accuracy": 10})
        login(b, live_app, GRID_WORKER, "/report")
        b.wait_for_element("#report-submit")
        width = b.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways on a 360 px phone ({width} px)"
        b.driver.find_element(By.CSS_SELECTOR, "#report-photo input[type=file]").send_keys(str(photo))
        _wait(lambda: "pothole.png" in b.find_element("#report-photo-name").text)
        b.find_element("#report-locate").click()
        assert abs(float(_wait(lambda: b.find_element("#report-lon").get_attribute("value"))) - 124.3505) < 1e-4
        choose(b, "#report-category", "非法小广告")  # 20201: the rules allow 自行处置
        assert "非法小广告" in b.find_element("#report-category").get_attribute("value")
        b.find_element("#report-note").send_keys("电线杆上的小广告已清除")
        b.driver.find_element(By.CSS_SELECTOR, "#report-onspot input").click()
        b.find_element("#report-submit").click()
        text = _wait(lambda: b.find_element("#report-result").text)
        assert re.search(r"\d{13}", text), text
        assert "自行处置" in text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        b.driver.save_screenshot(str(ARTIFACTS / "patrol-360x640.png"))
    finally:
        b.driver.quit()
