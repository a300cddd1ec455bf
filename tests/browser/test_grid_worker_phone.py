"""The grid worker's main task on a phone (390×844), through the UI only: a patrol report with a photo
previewed before it is sent, the place from the phone's position and from a tap on the map, then the case
on the workbench as a card whose detail shows its pin. One app process and one browser for the module."""
from __future__ import annotations

import math
import re
import struct
import time
import zlib
from typing import Any, Iterator

import pytest
from selenium.webdriver.common.by import By

from harness import ARTIFACTS, GRID_WORKER, ROOT, choose, login, make_browser, pick_row
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

PHONE = (390, 844)
#: Where the phone says it is (WGS84): inside 铁西区 第1街道 第1社区, the test grid worker's own patch.
GPS = (124.3061, 43.1955)
#: The report map's zoom after "use my location" (callbacks/report.py GPS_ZOOM) and Leaflet's world size.
GPS_ZOOM, WORLD_PX = 16, 256


def _png(width: int = 160, height: int = 120) -> bytes:
    """A photo-sized PNG (an orange field with a darker band), big enough to see in the preview."""
    rows = b"".join(b"\x00" + (b"\xd5\x5e\x00" if 40 <= y < 80 else b"\xe6\x9f\x00") * width for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _phone(b: Any) -> None:
    """The viewport of a 390×844 phone, touch included (a tap is a touch, not a mouse click)."""
    b.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                             {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    b.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})


def _tap(b: Any, x: float, y: float) -> None:
    """One finger tap at viewport point (x, y), as a phone's touch screen sends it."""
    point = [{"x": x, "y": y}]
    b.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point})
    b.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _drag(b: Any, x: float, y: float, dx: float) -> None:
    """One finger dragging the map sideways by ``dx`` px, held still before it lifts (no fling)."""
    b.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for k in range(1, 11):
        b.driver.execute_cdp_cmd("Input.dispatchTouchEvent",
                                 {"type": "touchMove", "touchPoints": [{"x": x + dx * k / 10, "y": y}]})
        time.sleep(0.02)
    time.sleep(0.3)
    b.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _leaflet(b: Any, map_id: str, expression: str, *args: Any) -> Any:
    """``expression`` evaluated on the Leaflet map ``map_id`` (``m``, through Leaflet's public API;
    assets/15_map.js keeps each map by its id for tests); None before the map is there."""
    return b.driver.execute_script(
        "var m = (window.cityopsMaps || {})[arguments[0]]; if (!m) { return null; }"
        "var a = arguments; return (function (m) { " + expression + " })(m);", map_id, *args)


def _map_view(b: Any, map_id: str) -> tuple[float, float, float] | None:
    """(lon, lat, zoom) of the map's centre as Leaflet holds it."""
    return _leaflet(b, map_id, "var c = m.getCenter(); return [c.lng, c.lat, m.getZoom()];")


def _under(b: Any, map_id: str, x: float, y: float) -> tuple[float, float]:
    """The point under pixel (x, y) of the map's box."""
    return tuple(_leaflet(b, map_id, "var p = m.containerPointToLatLng([a[1], a[2]]); return [p.lng, p.lat];", x, y))


def _px_apart(a: tuple[float, float], b_: tuple[float, float], zoom: float = GPS_ZOOM) -> float:
    """How many screen pixels apart two points are at ``zoom`` (Leaflet's 256 px tiles)."""
    metres_per_px = 40_075_016 * math.cos(math.radians(GPS[1])) / (WORLD_PX * 2 ** zoom)
    return math.hypot((a[0] - b_[0]) * math.cos(math.radians(GPS[1])), a[1] - b_[1]) * 111_320 / metres_per_px


def _props(b: Any, component_id: str) -> dict[str, Any] | None:
    """A component's props as Dash holds them in the page (its store's path of each id into the layout)."""
    return b.driver.execute_script(
        "var ss = window.dash_stores || [window.store]; var st = ss[ss.length - 1].getState();"
        "var p = st.paths.strs[arguments[0]]; if (!p) { return null; }"
        "var n = p.reduce(function (n, k) { return n && n[k]; }, st.layout); return n ? n.props : null;",
        component_id)


def _stored(b: Any) -> tuple[float, float] | None:
    """The report's point as its hidden stores hold it."""
    if "›" not in b.find_element("#report-place").text:
        return None
    lon, lat = (_props(b, "report-lon") or {}).get("data"), (_props(b, "report-lat") or {}).get("data")
    return (lon, lat) if lon is not None and lat is not None else None


@pytest.fixture(scope="module")
def phone(live_app: str) -> Iterator[Any]:
    b = make_browser(*PHONE)
    _phone(b)
    b.driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_app, "permissions": ["geolocation"]})
    b.driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": GPS[1], "longitude": GPS[0], "accuracy": 10})
    login(b, live_app, GRID_WORKER, "/report")
    b.wait_for_element("#report-submit")
    yield b
    b.driver.quit()


def test_grid_worker_reports_with_photo_preview_location_and_a_map_tap(phone: Any, tmp_path: Any) -> None:
    b = phone
    try:
        assert b.driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        assert not b.driver.find_elements(By.CSS_SELECTOR, "#report input[type=number]")  # no coordinates to type
        photo = tmp_path / "pothole.png"
        photo.write_bytes(_png())
        b.driver.find_element(By.CSS_SELECTOR, "#report-photo input[type=file]").send_keys(str(photo))
        preview = _wait(lambda: b.driver.find_element(By.ID, "report-preview").is_displayed()
                        and b.driver.find_element(By.ID, "report-preview"))
        assert preview.get_attribute("src").startswith("data:image/png;base64,")
        assert preview.size["width"] > 100  # a photo to look at, not a file name
        assert b.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", preview) == 160

        # "Use my location": the phone's position, stored exactly and named.
        b.find_element("#report-locate").click()
        _wait(lambda: _stored(b) == GPS)
        assert "铁西区" in b.find_element("#report-place").text

        # The map came to the worker: street scale, centred on them, their pin there and named.
        _wait(lambda: _map_view(b, "report-map") and _map_view(b, "report-map")[2] >= GPS_ZOOM - 0.01)
        time.sleep(1.5)  # the flight to the worker ends (a tap during it only stops it)
        lon, lat, _ = _map_view(b, "report-map")
        assert abs(lon - GPS[0]) < 2e-4 and abs(lat - GPS[1]) < 2e-4
        b.wait_for_element("#report-map .map-pin")
        # A tap on the map moves the pin: the stored point is the one under the finger (the map's own
        # projection of that pixel, Leaflet's containerPointToLatLng).
        graph = b.find_element("#report-map")
        b.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", graph)
        time.sleep(0.3)
        rect = b.driver.execute_script("var r = arguments[0].getBoundingClientRect();"
                                       "return [r.left, r.top, r.width, r.height];", graph)
        cx, cy = rect[0] + rect[2] / 2, rect[1] + rect[3] / 2
        for dx, dy in ((-90, 50), (90, 60), (30, -40)):  # clear of the zoom buttons in the top-left corner
            before = _stored(b)
            want = _under(b, "report-map", rect[2] / 2 + dx, rect[3] / 2 + dy)
            _tap(b, cx + dx, cy + dy)
            point = _wait(lambda: (_stored(b) != before) and _stored(b))
            assert _px_apart(point, want) <= 2, (dx, dy, point, want)
            time.sleep(0.4)  # taps apart, not a double tap
        # Pan the map away, then tap near the new edge: the point is still the one under the finger.
        _drag(b, cx, cy + 60, -300)
        time.sleep(0.5)
        before = _stored(b)
        want = _under(b, "report-map", rect[2] / 2 + 150, rect[3] / 2)
        _tap(b, cx + 150, cy)
        point = _wait(lambda: (_stored(b) != before) and _stored(b))
        assert _px_apart(point, want) <= 2 and abs(_map_view(b, "report-map")[0] - GPS[0]) > 0.002, (point, want)
        time.sleep(0.4)
        # the report is filed where the worker stands, and the map comes back to them after the pan
        b.find_element("#report-locate").click()
        _wait(lambda: _stored(b) == GPS)
        _wait(lambda: abs(_map_view(b, "report-map")[0] - GPS[0]) < 1e-4)
        time.sleep(1.0)  # the new map draws its cell layer (a screenshot follows)

        b.driver.execute_script("window.scrollTo(0, 0)")
        b.driver.save_screenshot(str(ROOT / "docs" / "grid-worker-390x844.png"))
        choose(b, "#report-category", "暴露垃圾")  # 20102: grid work, routed to this worker
        b.find_element("#report-note").send_keys("路边垃圾堆放")
        b.find_element("#report-submit").click()
        text = _wait(lambda: re.search(r"\d{13}", b.find_element("#report-result").text) and b.find_element("#report-result").text)
        # ready for the next problem on the round: photo, note emptied; the place kept
        _wait(lambda: not b.driver.find_element(By.ID, "report-preview").is_displayed())
        assert not b.find_element("#report-note").get_attribute("value") and _stored(b) == GPS
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        b.driver.save_screenshot(str(ARTIFACTS / "report-sent-390x844.png"))
        b.code = re.search(r"\d{13}", text).group(0)  # type: ignore[attr-defined]
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        b.driver.save_screenshot(str(ARTIFACTS / "fail-phone-report.png"))
        raise


def test_grid_worker_picks_the_case_on_the_workbench_sees_its_pin_and_resolves_it(phone: Any, live_app: str,
                                                                                 tmp_path: Any) -> None:
    b = phone
    code = getattr(b, "code", None)
    assert code, "the report test runs first and files the case"
    try:
        b.driver.get(live_app + "/workbench")
        card = b.wait_for_element(f"#wb-cards button[id*='{code}']")
        assert b.driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        assert card.size["height"] >= 44
        card.click()
        b.wait_for_contains_text("#wb-detail", code)
        b.wait_for_element("#wb-map .map-pin")  # the case's pin, the map centred on it
        pin = _wait(lambda: _map_view(b, "wb-map-leaflet"))
        assert abs(pin[0] - GPS[0]) < 0.01 and abs(pin[1] - GPS[1]) < 0.01
        ack = b.find_element("#wb-acknowledge")
        assert ack.is_enabled() and ack.size["height"] >= 44
        # the actions sit within the screen, under the thumb
        assert b.driver.execute_script("return arguments[0].getBoundingClientRect().bottom", ack) <= PHONE[1]
        b.driver.save_screenshot(str(ARTIFACTS / "workbench-390x844.png"))
        b.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
        b.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                 {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
        b.driver.get(live_app + "/workbench")  # an office screen: the grid, the detail and the pin side by side
        pick_row(b, code, "已派遣")
        b.wait_for_element("#wb-map .map-pin")
        time.sleep(0.5)  # the map's layers drawn
        b.driver.save_screenshot(str(ROOT / "docs" / "workbench-1080p.png"))
        # the thumb's task: acknowledge, then resolve with a note and a photo seen before it is sent
        _phone(b)
        b.driver.get(live_app + "/workbench")
        b.wait_for_element(f"#wb-cards button[id*='{code}']").click()
        b.wait_for_contains_text("#wb-detail", code)
        _wait(lambda: b.find_element("#wb-acknowledge").is_enabled())
        b.find_element("#wb-acknowledge").click()
        b.wait_for_contains_text("#wb-message", code)
        _wait(lambda: b.find_element("#wb-resolve").is_enabled())
        b.find_element("#wb-text").send_keys("垃圾已清运")
        photo = tmp_path / "after.png"
        photo.write_bytes(_png())
        b.driver.find_element(By.CSS_SELECTOR, "#wb-photos input[type=file]").send_keys(str(photo))
        thumb = b.wait_for_element("#wb-preview img")
        assert b.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", thumb) == 160
        b.driver.save_screenshot(str(ARTIFACTS / "workbench-resolve-390x844.png"))
        b.find_element("#wb-resolve").click()
        _wait(lambda: "处置反馈" in b.find_element("#wb-message").text)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        b.driver.save_screenshot(str(ARTIFACTS / "fail-phone-workbench.png"))
        raise
    finally:
        _phone(b)
