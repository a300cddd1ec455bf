"""In a real browser: markup payloads put into every user text field through every channel
stay inert text on every page, and injection strings typed into every search and filter box are harmless.

Channels: JSON API create, Open311 POST, sensor alarms, CSV import (the /import page), the console form,
workbench acknowledge/resolve/return comments, the verifier's reason, a callback comment, and /admin names
(a department, a user's display name, a gazetteer place). Each page is then opened by a role allowed to see
it; "inert" means: ``window.__xss`` never set, no alert dialog (one payload calls ``alert``: Selenium would
raise on the next command), no element carrying an injected ``onerror``/``onload`` handler, no
``javascript:`` link, no injected ``<script>`` — and the payload *is* on the page as text where the field is
shown, which proves it arrived and was rendered as text rather than dropped. The app's log must show no 500.
"""
from __future__ import annotations

import csv
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import (ARTIFACTS, GRID_WORKER, PASSWORD, app_process, choose, confirm, login, make_browser, pick_row,
                     seeded_env)
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

TOKEN = "xss-sweep-secret-0123456789"
LON, LAT = 124.3505, 43.1702  # urban 铁西区; 10101 (water manhole cover) routes to SWJ unambiguously
WATER_COVER = "10101"

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
ALERT = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=window.__xss=1>'
JS_URL = "javascript:window.__xss=1"
SQL = "' OR 1=1 --"
LIKE = "%_\\"
MARKUP = (SCRIPT, IMG, ALERT, SVG, JS_URL)
INJECTIONS = (*MARKUP, SQL, LIKE)
#: every payload in one string: what a text field receives (tagged per channel, so a hit says where it came from)
ALL = " ".join(INJECTIONS)
SHORT = IMG  # for fields with a short limit (64 characters)


def tagged(tag: str) -> str:
    return f"{tag} {ALL}"


@pytest.fixture(scope="module")
def xss_app(tmp_path_factory: pytest.TempPathFactory, chromium: None) -> Iterator[tuple[str, Path]]:
    """``python app.py`` with an operator API token and one user per role; yields (base URL, its log)."""
    tmp = tmp_path_factory.mktemp("xss")
    env = seeded_env(tmp, CITYOPS_API_TOKENS=f"xss:operator:{TOKEN}")
    log = tmp / "app.log"
    with app_process(env, log) as base:
        yield base, log
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "xss-app.log").write_bytes(log.read_bytes())


# -- HTTP helpers ---------------------------------------------------------------------------------------


def _http(base: str, path: str, *, body: Any = None, form: dict[str, str] | None = None,
          token: bool = True) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data, headers["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    req = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _point(i: int) -> tuple[float, float]:
    """Points ~120 m apart, so no two reports are duplicate candidates of each other (50 m)."""
    return round(LON + 0.0015 * i, 6), LAT


def _strings(value: Any) -> set[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def server_errors(log: Path) -> list[str]:
    """5xx responses and tracebacks in the app's log."""
    text = log.read_text(errors="replace")
    return [line for line in text.splitlines() if '" 500 ' in line or "Traceback" in line or '" 502 ' in line]


# -- browser helpers ------------------------------------------------------------------------------------


def inert(b: Any, where: str) -> str:
    """Assert nothing injected ran or became markup on the current page; returns the page's visible text."""
    try:
        alert = b.driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        raise AssertionError(f"{where}: an alert opened ({text!r})")
    except NoAlertPresentException:
        pass
    found = b.driver.execute_script("""
        const bad = (el) => el.outerHTML.slice(0, 160);
        return {
          xss: typeof window.__xss === 'undefined' ? null : String(window.__xss),
          handlers: Array.from(document.querySelectorAll('[onerror],[onload]')).map(bad),
          imgs: Array.from(document.querySelectorAll('img[src="x"], svg[onload]')).map(bad),
          links: Array.from(document.querySelectorAll('[href^="javascript:"],[src^="javascript:"]')).map(bad),
          scripts: Array.from(document.scripts).filter((s) => s.text.includes('__xss')).map(bad),
          text: document.body ? document.body.innerText : '',
        };""")
    assert found["xss"] is None, f"{where}: an injected script ran (window.__xss={found['xss']})"
    for kind in ("handlers", "imgs", "links", "scripts"):
        assert found[kind] == [], f"{where}: injected {kind} in the DOM: {found[kind]}"
    return found["text"]


def shows(b: Any, where: str, *needles: str, timeout: float = 20) -> str:
    """Wait until every needle is visible text of the page, then check the page is inert."""
    try:
        _wait(lambda: all(n in b.driver.execute_script("return document.body.innerText") for n in needles),
              timeout=timeout, step=0.2)
    except AssertionError:
        text = b.driver.execute_script("return document.body.innerText")
        missing = [n for n in needles if n not in text]
        _shot(b, where)
        raise AssertionError(f"{where}: not shown as text: {missing}") from None
    return inert(b, where)


def settled(b: Any, where: str, anchor: str) -> str:
    """Wait for ``anchor`` and for Dash to finish its callbacks, then check the page is inert."""
    b.wait_for_element(anchor, timeout=20)
    _wait(lambda: b.driver.execute_script(
        "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length === 0"), timeout=20, step=0.2)
    time.sleep(0.8)  # let a last round of callbacks render (they set no loading flag on plain divs)
    return inert(b, where)


def _shot(b: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    b.driver.save_screenshot(str(ARTIFACTS / f"xss-{name.strip('/').replace('/', '-') or 'root'}.png"))


def grid_filter(b: Any, column: str, text: str) -> None:
    """Type ``text`` into the AG Grid column filter of ``column`` (opened from its header) and close it."""
    from selenium.webdriver.common.action_chains import ActionChains

    header = b.driver.find_element(By.CSS_SELECTOR, f'.ag-header-cell[col-id="{column}"]')
    ActionChains(b.driver).move_to_element(header).perform()

    def opened() -> Any:
        boxes = [i for i in b.driver.find_elements(By.CSS_SELECTOR, ".ag-filter input[type=text]") if i.is_displayed()]
        if boxes:
            return boxes[0]
        for button in header.find_elements(By.CSS_SELECTOR,
                                           ".ag-header-cell-filter-button, .ag-header-cell-menu-button"):
            try:
                button.click()
            except WebDriverException:  # hidden until hovered, or covered: try the next, then again
                continue
        return None

    box = _wait(opened, timeout=10, step=0.3)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text)
    time.sleep(0.4)  # AG Grid debounces filter input
    box.send_keys(Keys.ESCAPE)


def type_into(b: Any, selector: str, text: str, *, clear: bool = True) -> None:
    el = b.find_element(selector)
    if clear:
        el.send_keys(Keys.CONTROL, "a")
        el.send_keys(Keys.DELETE)
    el.send_keys(text)


# -- the sweep ------------------------------------------------------------------------------------------


def test_payloads_through_every_channel_are_inert_text_on_every_page(xss_app: tuple[str, Path], tmp_path: Path) -> None:
    base, log = xss_app
    b = make_browser(1600, 1000)
    try:
        _sweep(b, base, log, tmp_path)
    except Exception:
        _shot(b, "failure")
        raise
    finally:
        b.driver.quit()
    assert server_errors(log) == []


def _sweep(b: Any, base: str, log: Path, tmp_path: Path) -> None:
    # 1. admin names first, so every later page shows them: SWJ's name, a user's display name, a place
    login(b, base, "admin", "/admin")
    settled(b, "/admin", "#admin-users")
    type_into(b, "#admin-dept-code", "SWJ")
    type_into(b, "#admin-dept-zh", f"水务{SHORT}")
    type_into(b, "#admin-dept-en", f"Water {SVG}")
    b.find_element("#admin-dept-save").click()
    _wait(lambda: "SWJ" in b.find_element("#admin-message").text)
    type_into(b, "#admin-username", "xssuser")
    type_into(b, "#admin-display", f"显示{SVG}")
    type_into(b, "#admin-password", PASSWORD + "-x")
    choose(b, "#admin-role", "核查员")  # verifier: a role that needs no department
    b.find_element("#admin-user-create").click()
    _wait(lambda: "xssuser" in b.find_element("#admin-message").text)
    type_into(b, "#admin-place-name", f"广场{SHORT}")
    type_into(b, "#admin-place-alias", SQL)
    type_into(b, "#admin-place-lon", str(LON))
    type_into(b, "#admin-place-lat", str(LAT))
    b.find_element("#admin-place-add").click()
    shows(b, "/admin", f"水务{SHORT}", f"显示{SVG}", f"广场{SHORT}")

    # 2. machine channels: JSON API (one urgent, for the wall's alert), Open311, a sensor alarm
    made = []
    for i, severity in enumerate(("normal", "urgent", "normal")):
        lon, lat = _point(i)
        status, body = _http(base, "/api/v1/incidents", body={
            "category": WATER_COVER, "severity": severity, "description": tagged(f"API-DESC-{i}"),
            "address": tagged(f"API-ADDR-{i}"), "lon": lon, "lat": lat,
            "extra": {"reporter_name": tagged("API-NAME"), "note": SCRIPT}})
        assert status == 201 and body["department"] == "SWJ", body
        made.append(body["code"])
    first, urgent, returned = made
    lon, lat = _point(3)
    form = {"api_key": TOKEN, "service_code": WATER_COVER, "lat": str(lat), "long": str(lon),
            "description": tagged("O311-DESC"), "address_string": tagged("O311-ADDR"), "first_name": SCRIPT,
            "last_name": IMG, "email": SVG, "device_id": SQL, "account_id": LIKE}
    status, body = _http(base, "/open311/v2/requests.json", token=False, form={**form, "media_url": JS_URL})
    assert status == 400 and body[0]["description"].startswith("media_url"), body  # refused, never stored
    status, body = _http(base, "/open311/v2/requests.json", token=False,
                         form={**form, "media_url": "https://example.invalid/p.png?q=" + SCRIPT})
    assert status == 200, body
    open311 = body[0]["service_request_id"]
    lon, lat = _point(4)
    status, body = _http(base, "/api/v1/alarms", body=[{
        "device_id": f"dev{SVG}"[:64], "type": "waterlogging", "level": "major", "lon": lon, "lat": lat,
        "description": tagged("ALARM-DESC")}])
    assert status in (200, 207) and body["results"][0]["result"] == "created", body
    alarm = body["results"][0]["code"]

    # 3. the CSV import page: one good row, one refused row whose category is a payload
    lon, lat = _point(5)
    csv_path = tmp_path / "xss.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("category", "description", "lon", "lat", "address"),
                                 (WATER_COVER, tagged("CSV-DESC"), lon, lat, IMG),
                                 (SVG, "bad row", lon, lat, "x")])
    login(b, base, "operator", "/import")
    b.wait_for_element("#import-upload")
    b.driver.find_element(By.CSS_SELECTOR, "#import-upload input[type=file]").send_keys(str(csv_path))
    _wait(lambda: b.find_element("#import-run").is_enabled())
    settled(b, "/import (mapped)", "#import-mapping")
    b.find_element("#import-run").click()
    _wait(lambda: b.find_element("#import-result").text.strip(), timeout=60)
    settled(b, "/import (done)", "#import-result")

    # 4. the console form
    b.driver.get(f"{base}/intake")
    b.wait_for_element("#intake-category")
    choose(b, "#intake-category", WATER_COVER)
    type_into(b, "#intake-description", tagged("CONSOLE-DESC"))
    type_into(b, "#intake-address", tagged("CONSOLE-ADDR"))
    lon, lat = _point(6)
    type_into(b, "#intake-lon", str(lon))
    type_into(b, "#intake-lat", str(lat))
    b.find_element("#intake-submit").click()
    console_result = _wait(lambda: b.find_element("#intake-result").text)
    inert(b, "/intake (submitted)")
    assert any(ch.isdigit() for ch in console_result), console_result

    # 5. the handler: acknowledge with a note, resolve with a payload comment; return another with one
    login(b, base, "dept_handler", "/workbench")
    pick_row(b, first, "已派遣")
    shows(b, "/workbench detail", tagged("API-DESC-0"), tagged("API-ADDR-0"))
    b.find_element("#wb-acknowledge").click()
    b.wait_for_contains_text("#wb-message", first)
    pick_row(b, first, "处置中")
    type_into(b, "#wb-text", tagged("RESOLVE-NOTE"))
    b.find_element("#wb-resolve").click()
    _wait(lambda: first in b.find_element("#wb-message").text and "处置" in b.find_element("#wb-message").text)
    pick_row(b, alarm, "已派遣")
    shows(b, "/workbench (alarm)", tagged("ALARM-DESC"))
    b.find_element("#wb-acknowledge").click()
    b.wait_for_contains_text("#wb-message", alarm)
    pick_row(b, alarm, "处置中")
    type_into(b, "#wb-text", tagged("ALARM-RESOLVE"))
    b.find_element("#wb-resolve").click()
    _wait(lambda: alarm in b.find_element("#wb-message").text and "处置" in b.find_element("#wb-message").text)
    pick_row(b, returned, "已派遣")
    type_into(b, "#wb-text", tagged("RETURN-NOTE"))
    b.find_element("#wb-return").click()
    b.wait_for_contains_text("#wb-message", returned)
    pick_row(b, open311, "已派遣")
    shows(b, "/workbench (Open311)", tagged("O311-DESC"), tagged("O311-ADDR"))

    # 6. the verifier sends the alarm's incident back with a payload reason and closes the first; the
    #    operator records a callback with a payload comment on the closed one
    login(b, base, "verifier", "/verify")
    b.wait_for_contains_text("#verify-list", alarm)
    choose(b, "#verify-select", alarm)
    type_into(b, "#verify-reason", tagged("VERIFY-REASON"))
    confirm(b, "#verify-fail")
    b.wait_for_contains_text("#verify-message", alarm)
    choose(b, "#verify-select", first)
    confirm(b, "#verify-pass")
    b.wait_for_contains_text("#verify-message", first)
    settled(b, "/verify", "#verify-list")
    login(b, base, "operator", "/intake")
    b.wait_for_element("#callback-code")
    type_into(b, "#callback-code", first)
    type_into(b, "#callback-comment", tagged("CALLBACK-COMMENT"))
    b.find_element("#callback-submit").click()
    _wait(lambda: first in b.find_element("#callback-message").text)
    inert(b, "/intake (callback)")

    # every text arrived where it was sent (the timeline keeps the notes, the callback its comment)
    _, events = _http(base, f"/api/v1/incidents/{first}/events")
    for tag in ("RESOLVE-NOTE", "CALLBACK-COMMENT"):
        assert tagged(tag) in _strings(events), tag
    _, events = _http(base, f"/api/v1/incidents/{alarm}/events")
    assert tagged("VERIFY-REASON") in _strings(events)
    _, events = _http(base, f"/api/v1/incidents/{returned}/events")
    assert tagged("RETURN-NOTE") in _strings(events)

    # 7. every page, by a role that may open it, with the payload visible where the field is shown
    b.driver.get(f"{base}/intake")  # still the operator: the console's search lists addresses
    b.wait_for_element("#search-query")
    type_into(b, "#search-query", "API-ADDR-1")
    b.find_element("#search-query").send_keys(Keys.ENTER)
    shows(b, "/intake search", tagged("API-ADDR-1"))
    type_into(b, "#search-query", "CSV-DESC")
    b.find_element("#search-query").send_keys(Keys.ENTER)
    shows(b, "/intake search (csv)", IMG)
    type_into(b, "#search-query", "CONSOLE-ADDR")
    b.find_element("#search-query").send_keys(Keys.ENTER)
    shows(b, "/intake search (console)", tagged("CONSOLE-ADDR"))
    b.driver.get(f"{base}/import")
    settled(b, "/import", "#import-upload")

    login(b, base, "dept_handler", "/workbench")  # the grid's address column, the timeline's notes
    shows(b, "/workbench grid", tagged("O311-ADDR"), tagged("API-ADDR-1"))
    pick_row(b, alarm, "处置中")
    shows(b, "/workbench timeline", tagged("ALARM-RESOLVE"), tagged("VERIFY-REASON"))

    login(b, base, "wall", "/wall")
    shows(b, "/wall", tagged("API-ADDR-1"), f"水务{SHORT}")  # the urgent alert's address; SWJ in the ranking
    # the incident card a click on the map opens (the click's data set as the map would set it)
    b.driver.execute_script("window.dash_clientside.set_props('wall-incidents', {clickData: {type: 'Feature', "
                            "properties: {code: arguments[0]}}})", open311)
    _wait(lambda: tagged("O311-ADDR") in b.find_element("#wall-card").text)
    inert(b, "/wall card")

    login(b, base, "leader", "/analytics")
    settled(b, "/analytics", "#an-trend")
    _wait(lambda: f"水务{SHORT}" in b.driver.execute_script("return document.body.textContent"))  # the ranking
    inert(b, "/analytics ranking")
    b.driver.get(f"{base}/quality")
    settled(b, "/quality", "#quality-table")

    login(b, base, GRID_WORKER, "/report")
    settled(b, "/report", "#report-submit")
    b.driver.get(f"{base}/workbench")
    settled(b, "/workbench (grid worker)", "#workbench")

    login(b, base, "dept_head", "/workbench")
    settled(b, "/workbench (head)", "#workbench")
    b.driver.get(f"{base}/wall")
    settled(b, "/wall (head)", "#wall-map")

    login(b, base, "admin", "/admin")
    shows(b, "/admin (again)", f"水务{SHORT}", f"显示{SVG}", f"广场{SHORT}")
    for path, anchor in (("/analytics", "#an-trend"), ("/quality", "#quality-table"), ("/import", "#import-upload"),
                         ("/intake", "#intake-category"), ("/wall", "#wall-map")):
        b.driver.get(base + path)
        settled(b, f"{path} (admin)", anchor)
    b.driver.get(f"{base}/api/v1/docs")
    settled(b, "/api/v1/docs", "body")
    assert server_errors(log) == []


def test_injection_strings_in_every_filter_are_harmless(xss_app: tuple[str, Path]) -> None:
    base, log = xss_app
    # the API's list filters and Open311's: a normal answer or a 4xx naming the field, never a 5xx
    for payload in INJECTIONS:
        q = urllib.parse.quote(payload)
        for param in ("status", "category", "district", "grid", "department", "since", "cursor", "limit", "q"):
            status, body = _http(base, f"/api/v1/incidents?{param}={q}")
            assert status in (200, 400, 422), (param, payload, status)
            if status != 200:
                assert body["field"], (param, payload, body)
        status, _ = _http(base, f"/open311/v2/requests.json?service_code={q}&status={q}", token=False)
        assert status in (200, 400), (payload, status)
    b = make_browser(1600, 1000)
    try:
        login(b, base, "operator", "/intake")
        b.wait_for_element("#search-query")
        for payload in INJECTIONS:
            type_into(b, "#search-query", payload)
            b.find_element("#search-query").send_keys(Keys.ENTER)
            _wait(lambda: b.find_element("#search-results").text.strip(), timeout=20)
            inert(b, f"/intake search {payload!r}")
        # LIKE wildcards are literal: nothing stored contains "%_%_%", so nothing matches (unescaped, all would)
        type_into(b, "#search-query", "%_%_%")
        b.find_element("#search-query").send_keys(Keys.ENTER)
        b.wait_for_text_to_equal("#search-results", "没有找到案件")
        lon, lat = _point(9)
        status, made = _http(base, "/api/v1/incidents", body={
            "category": WATER_COVER, "lon": lon, "lat": lat, "description": "filter me",
            "address": f"FILTER-{SQL} {LIKE}"})
        assert status == 201, made
        lon, lat = _point(10)
        assert _http(base, "/api/v1/incidents", body={"category": WATER_COVER, "lon": lon, "lat": lat,
                                                      "description": "not me", "address": "人民大街 1 号"})[0] == 201
        login(b, base, "dept_handler", "/workbench")
        settled(b, "/workbench", "#wb-grid")
        row = f'.ag-center-cols-container [row-id="{made["code"]}"]'
        b.wait_for_element(row)
        grid_filter(b, "address", f"FILTER-{SQL} {LIKE}")  # the filter works, and matches the text literally
        _wait(lambda: b.driver.execute_script(
            "return Array.from(document.querySelectorAll('.ag-center-cols-container [row-id]'))"
            ".map((r) => r.getAttribute('row-id'))") == [made["code"]])
        for payload in INJECTIONS:  # the grid's column filter (address), typed as a handler would
            grid_filter(b, "address", payload)
            inert(b, f"/workbench address filter {payload!r}")
        login(b, base, "leader", "/analytics")
        settled(b, "/analytics", "#an-district")
        for dropdown in ("#an-district", "#an-category", "#an-department"):
            for payload in INJECTIONS:
                b.find_element(dropdown).click()
                box = b.driver.switch_to.active_element
                box.send_keys(payload)
                time.sleep(0.2)
                inert(b, f"/analytics {dropdown} {payload!r}")
                box.send_keys(Keys.ESCAPE)
        login(b, base, "admin", "/admin")
        settled(b, "/admin", "#admin-place-query")
        for payload in INJECTIONS:
            type_into(b, "#admin-place-query", payload)
            b.find_element("#admin-place-query").send_keys(Keys.ENTER)
            time.sleep(0.3)
            inert(b, f"/admin place query {payload!r}")
        for payload in INJECTIONS:
            b.find_element("#admin-user-select").click()
            box = b.driver.switch_to.active_element
            box.send_keys(payload)
            time.sleep(0.2)
            inert(b, f"/admin user select {payload!r}")
            box.send_keys(Keys.ESCAPE)
    except Exception:
        _shot(b, "filters-failure")
        raise
    finally:
        b.driver.quit()
    assert server_errors(log) == []
