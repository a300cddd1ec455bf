"""Operator tools in the browser: the console's address type-ahead (the grid worker's phone: test_grid_worker_phone.py)."""
from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from harness import ARTIFACTS, choose, login, make_browser
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

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


def test_operator_answers_a_question_on_the_spot_on_a_console_that_fits_the_screen(live_app: str) -> None:
    """即时办结: number, question, answer, one click — a ``ZX`` record, no case; the console never scrolls."""
    b = make_browser(1920, 1080)
    try:
        login(b, live_app, "operator", "/intake")
        phone = b.wait_for_element("#intake-phone")
        height, inner = b.driver.execute_script(
            "return [document.scrollingElement.scrollHeight, window.innerHeight]")
        assert height <= inner, f"the console scrolls at 1920×1080 ({height} > {inner} px)"
        submit = b.find_element("#intake-submit").rect
        assert submit["y"] + submit["height"] <= inner  # the main path ends on screen
        phone.send_keys("13700001111\t")
        _wait(lambda: b.find_element("#caller-history").text)
        b.find_element("#intake-description").send_keys("冬季供暖费在哪里缴纳？")
        b.find_element("#consult-answer").send_keys("可到热力公司营业厅或在线缴纳")
        b.find_element("#consult-submit").click()
        code = re.search(r"ZX\d{14}", _wait(lambda: re.search(r"ZX\d{14}", b.find_element("#intake-result").text)
                                             and b.find_element("#intake-result").text)).group(0)
        assert not b.find_element("#consult-answer").get_attribute("value")  # ready for the next call
        assert not b.find_element("#intake-phone").get_attribute("value")
        b.driver.save_screenshot(str(ARTIFACTS / "console-consultation.png"))
        phone = b.find_element("#intake-phone")  # the next call from the same number sees the question
        phone.send_keys("13700001111\t")
        b.wait_for_contains_text("#caller-history", code)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        b.driver.save_screenshot(str(ARTIFACTS / "fail-console-consultation.png"))
        raise
    finally:
        b.driver.quit()
