"""Maps that say where things are, in the browser: the pin after an address search, a click and a drag;
place names by zoom; nothing fetched from another host; the wall opening on the city core."""
from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from harness import ARTIFACTS, choose, foreign_requests, login, make_browser
from harness import wait_until as _wait

pytestmark = pytest.mark.browser


def _shown(b: Any, css: str) -> list[str]:
    """The texts of the elements matching ``css`` that are laid out on screen (display:none ones are not)."""
    return b.driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).filter(function (e) {"
        " var r = e.getBoundingClientRect(); return e.offsetParent !== null && r.width > 0; })"
        ".map(function (e) { return e.textContent; });", css)


def _zoom_classes(b: Any, map_css: str) -> int:
    """How close the map is, as the page's CSS sees it (the highest ``zoom-ge-N`` on its container)."""
    cls = b.find_element(map_css).get_attribute("class").split()
    return max(int(c[len("zoom-ge-"):]) for c in cls if c.startswith("zoom-ge-"))


def _pin_point(b: Any) -> tuple[float, float]:
    lon = float(_wait(lambda: b.find_element("#intake-lon").get_attribute("value")))
    return lon, float(b.find_element("#intake-lat").get_attribute("value"))


def test_the_console_map_pins_and_names_every_picked_point(live_app: str) -> None:
    """An address picked, a click on the map and a dragged pin each put the pin there and name the place;
    street names show at the city's scale, community names only at street scale; no request leaves."""
    b = make_browser(1920, 1080)
    try:
        login(b, live_app, "operator", "/intake")
        b.wait_for_element("#intake-map .leaflet-base-labels-pane .map-label")
        assert not b.driver.find_elements(By.CSS_SELECTOR, "#intake-map .map-pin")  # nothing picked yet
        # The core at the city's scale: streets named, communities not yet.
        _wait(lambda: any("街道" in s for s in _shown(b, "#intake-map .map-label-street")))
        assert not _shown(b, "#intake-map .map-label-community")

        # 1. An address search: the pin drops on it, the map flies to street scale, the place is named.
        choose(b, "#intake-place", "英雄广场")
        lon, lat = _pin_point(b)
        b.wait_for_contains_text("#intake-where", "铁西区 ›")
        b.wait_for_element("#intake-map .map-pin")
        _wait(lambda: _zoom_classes(b, "#intake-map") >= 15, timeout=10)
        _wait(lambda: any(s.startswith("第") and "社区" in s for s in _shown(b, "#intake-map .map-label-community")))
        assert "英雄广场" in _shown(b, "#intake-map .map-label-landmark")  # the gazetteer's landmark, named
        pin = b.find_element("#intake-map .map-pin").rect
        box = b.find_element("#intake-map").rect
        # the view was brought to the point: the pin stands inside the map
        assert box["x"] < pin["x"] < box["x"] + box["width"] and box["y"] < pin["y"] < box["y"] + box["height"]

        # 2. A click on the map: the point under the pointer, pinned and named.
        where = b.find_element("#intake-where").text
        box = b.find_element("#intake-map").size  # the offset is from the map's top-left corner (Selenium 4.2)
        ActionChains(b.driver).move_to_element_with_offset(b.find_element("#intake-map"), box["width"] / 2 - 80,
                                                           box["height"] / 2 + 60).click().perform()
        _wait(lambda: _pin_point(b) != (lon, lat))
        clicked = _pin_point(b)
        assert clicked[0] < lon and clicked[1] < lat  # left of and below the address: west and south
        _wait(lambda: b.find_element("#intake-where").text != where and "›" in b.find_element("#intake-where").text)

        # 3. The pin dragged east: the point follows it and the place is named again.
        ActionChains(b.driver).click_and_hold(b.find_element("#intake-map .map-pin")).move_by_offset(30, 0) \
            .move_by_offset(30, 0).release().perform()
        _wait(lambda: _pin_point(b)[0] > clicked[0] + 0.0003)
        assert abs(_pin_point(b)[1] - clicked[1]) < 0.0005  # dragged sideways: the latitude barely moves
        assert foreign_requests(b, live_app) == []
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        b.driver.save_screenshot(str(ARTIFACTS / "fail-console-map.png"))
        raise
    finally:
        b.driver.quit()


def test_the_wall_opens_on_the_city_core_with_the_prefecture_beside_it(live_app: str) -> None:
    """The urban districts fill the wall's map (street names legible, not the whole prefecture's
    outline), and the inset shows the whole prefecture with the core's frame."""
    b = make_browser(1920, 1080)
    try:
        login(b, live_app, "wall", "/wall")
        b.wait_for_element("#wall-map .leaflet-base-labels-pane .map-label")
        assert _zoom_classes(b, "#wall-map") >= 11  # the city's scale, not the prefecture's (~8)
        _wait(lambda: sum("街道" in s for s in _shown(b, "#wall-map .map-label-street")) >= 8)
        core = b.find_element("#wall-map").rect
        inset = b.find_element("#wall-inset").rect
        assert inset["width"] * inset["height"] < 0.1 * core["width"] * core["height"]
        assert b.driver.find_elements(By.CSS_SELECTOR, "#wall-inset path.wall-inset-core")
        _wait(lambda: {"梨树县", "双辽市"} <= set(_shown(b, "#wall-inset .map-label-district")))
        assert foreign_requests(b, live_app) == []
    finally:
        b.driver.quit()
