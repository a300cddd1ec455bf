"""End to end: a department handler acknowledges and resolves on /workbench, a verifier closes
on /verify, and a /wall browser sees the open-incidents tile change over its websocket meanwhile."""
from __future__ import annotations

import json
import urllib.request
from typing import Any, Iterator

import pytest
from selenium.webdriver.common.by import By

from harness import ARTIFACTS, choose, confirm, foreign_requests, login, make_browser, pick_row
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

LON, LAT, CATEGORY = 124.3505, 43.1702, "10101"  # urban 铁西区, water manhole cover → SWJ (the handler's dept)
TOKEN = "flow-test-secret-0123456789"


@pytest.fixture(scope="module", autouse=True)
def _api_token() -> Iterator[None]:
    """An API token for this module's app (the harness passes the environment to ``python app.py``)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYOPS_API_TOKENS", f"flowtest:operator:{TOKEN}")
        yield


def _create(base: str, category: str = CATEGORY, state: str = "dispatched", east: float = 0.0) -> str:
    """A report over the API at the module's point, ``east`` degrees further east (a report at the same
    place as an open one waits as a likely duplicate)."""
    body = json.dumps({"category": category, "description": "人民大街井盖缺失", "lon": LON + east, "lat": LAT}).encode()
    req = urllib.request.Request(base + "/api/v1/incidents", data=body, method="POST", headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    made = json.load(urllib.request.urlopen(req))
    assert made["state"] == state, made
    return made["code"]


def _open_row(b: Any, list_id: str, code: str) -> None:
    """Click the list's row of ``code`` (lists redraw on pushes: look again when the row went stale)."""
    from selenium.common.exceptions import WebDriverException

    def clicked() -> bool:
        try:
            b.driver.find_element(By.CSS_SELECTOR, f'{list_id} tr[data-case-row="{code}"]').click()
            return True
        except WebDriverException:  # not drawn yet, or redrawn under the click
            return False

    _wait(clicked, step=0.2)
    b.wait_for_contains_text(".case-drawer .case-title", code)


def test_handler_resolves_verifier_closes_and_the_wall_follows(live_app: str) -> None:
    code = _create(live_app)
    wall = make_browser(1920, 1080)
    handler = make_browser(1400, 1000)
    verifier = None
    try:
        login(wall, live_app, "wall", "/wall")
        wall.wait_for_text_to_equal("#kpi-open", "1")
        wall.driver.execute_script("window.cityopsNoReload = true;")

        login(handler, live_app, "dept_handler", "/workbench")
        pick_row(handler, code, "已派遣")
        handler.find_element("#wb-acknowledge").click()
        handler.wait_for_contains_text("#wb-message", code)
        pick_row(handler, code, "处置中")
        handler.find_element("#wb-text").send_keys("已更换井盖，现场恢复通行")
        handler.find_element("#wb-resolve").click()
        _wait(lambda: "处置" in handler.find_element("#wb-message").text and code in handler.find_element("#wb-message").text)
        wall.wait_for_text_to_equal("#kpi-open", "1")  # resolved is still open until verified
        assert foreign_requests(handler, live_app) == []
        handler.driver.quit()
        handler = None

        verifier = make_browser(1400, 1000)
        login(verifier, live_app, "verifier", "/verify")
        verifier.wait_for_contains_text("#verify-list", code)
        verifier.wait_for_element("#verify-select")
        choose(verifier, "#verify-select", code)
        verifier.wait_for_contains_text("#verify-case", code)  # the pick has reached the server's confirmation
        assert code in confirm(verifier, "#verify-pass")  # "确认案件 … 核查通过并结案？"
        verifier.wait_for_contains_text("#verify-message", code)

        wall.wait_for_text_to_equal("#kpi-open", "0")
        wall.wait_for_text_to_equal("#kpi-closed_today", "1")
        assert wall.driver.execute_script("return window.cityopsNoReload === true"), "the wall reloaded"
        timeline = json.load(urllib.request.urlopen(urllib.request.Request(
            f"{live_app}/api/v1/incidents/{code}/events", headers={"Authorization": f"Bearer {TOKEN}"})))
        actions = [e["action"] for e in timeline["items"]]
        assert [a for a in actions if a != "escalate"][-3:] == ["acknowledge", "resolve", "verify_pass"], actions
        for b in (wall, verifier):
            assert foreign_requests(b, live_app) == []
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, b in (("wall", wall), ("handler", handler), ("verifier", verifier)):
            if b is not None:
                b.driver.save_screenshot(str(ARTIFACTS / f"fail-flow-{name}.png"))
        raise
    finally:
        for b in (wall, handler, verifier):
            if b is not None:
                b.driver.quit()


def _severe(b: Any) -> list[str]:
    return [e["message"] for e in b.driver.get_log("browser") if e["level"] == "SEVERE"]


def test_console_sections_and_admin_page_render_in_a_browser(live_app: str) -> None:
    """The operator console's redispatch and extension sections and /admin load with no callback error."""
    operator = make_browser(1600, 1000)
    admin = make_browser(1600, 1000)
    try:
        login(operator, live_app, "operator", "/intake")
        operator.wait_for_contains_text("#ext-list", "延期")
        operator.wait_for_element("#reassign-list")
        login(admin, live_app, "admin", "/admin")
        admin.wait_for_contains_text("#admin-users", "dept_handler")
        assert _severe(operator) == [] and _severe(admin) == []
    finally:
        operator.driver.quit()
        admin.driver.quit()


def test_the_headers_logout_posts_and_ends_the_session(live_app: str) -> None:
    """The header's 退出 is a form posting the session's CSRF token: clicking it lands on the login form,
    and the pages need a login again."""
    b = make_browser(1280, 800)
    try:
        login(b, live_app, "operator", "/intake")
        b.wait_for_element("#logout")
        b.driver.find_element(By.ID, "logout").click()
        b.wait_for_element("#login-submit")
        assert "/login" in b.driver.current_url
        b.driver.get(live_app + "/intake")
        b.wait_for_element("#login-submit")
        assert "/login" in b.driver.current_url
    finally:
        b.driver.quit()


def test_a_leader_opens_a_case_from_its_deep_link_and_a_grid_worker_may_not(live_app: str) -> None:
    """The link a leader is sent opens the whole case file — names, the place, the timeline — with no request
    to another host; a grid worker following the same link gets the 403 page."""
    from harness import GRID_WORKER, ROOT

    code = _create(live_app)
    leader = make_browser(1920, 1080)
    worker = None
    try:
        login(leader, live_app, "leader", f"/case/{code}")
        leader.wait_for_element("#case-file")
        leader.wait_for_contains_text(".case-title", code)
        for words in ("上水井盖", "水务集团", "铁西区", "人民大街井盖缺失", "上报", "您当前无可办理的操作"):
            leader.wait_for_contains_text("#case-file", words)
        leader.wait_for_element(".case-map-box .leaflet-container .map-pin")  # the case's place, pinned
        leader.find_element("#case-instruction").send_keys("今天下班前处理完毕")
        leader.find_element("#case-instruct").click()  # 批示: pinned at the top, pushed to the handler
        leader.wait_for_contains_text("#case-pinned", "今天下班前处理完毕")
        leader.wait_for_contains_text("#case-notice", "已批示")
        leader.wait_for_contains_text(".case-timeline", "批示")  # the case redrew: the instruction is in its trail
        assert foreign_requests(leader, live_app) == []
        leader.driver.save_screenshot(str(ROOT / "docs" / "case-file-1080p.png"))
        worker = make_browser(1280, 800)
        login(worker, live_app, GRID_WORKER, f"/case/{code}")
        worker.wait_for_element("#forbidden")
        assert "#case-file" not in worker.driver.page_source
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        leader.driver.save_screenshot(str(ARTIFACTS / "fail-case-leader.png"))
        raise
    finally:
        leader.driver.quit()
        if worker is not None:
            worker.driver.quit()


def test_operator_decides_in_the_case_file_opened_from_the_console_lists(live_app: str) -> None:
    """The console's rows open the case file in a drawer (by click or from the keyboard); dispatch and 改派
    are taken there, with the suggestion filled in, and the case redraws in its new state."""
    waiting = _create(live_app, "20601", "reported", east=0.02)  # 其他事件: no rule names a department
    running = _create(live_app, east=0.03)
    op = make_browser(1920, 1080)
    try:
        login(op, live_app, "operator", "/intake")
        op.wait_for_element(f'#queue tr[data-case-row="{waiting}"]')
        row = op.driver.find_element(By.CSS_SELECTOR, f'#queue tr[data-case-row="{waiting}"]')
        op.driver.execute_script("arguments[0].focus()", row)
        row.send_keys("\n")  # Enter on a focused row opens it, as a click does
        op.wait_for_contains_text(".case-drawer .case-title", waiting)
        op.wait_for_contains_text(".case-drawer", "人民大街井盖缺失")
        choose(op, "#case-department", "城市管理局")
        op.find_element("#case-dispatch").click()
        op.wait_for_contains_text("#case-notice", waiting)
        op.wait_for_contains_text(".case-drawer .case-badges", "已派遣")
        op.driver.find_element(By.CSS_SELECTOR, ".case-drawer button[aria-label='关闭案卷']").click()
        _wait(lambda: not op.driver.find_elements(By.CSS_SELECTOR, f'#queue tr[data-case-row="{waiting}"]'))

        _open_row(op, "#reassign-list", running)
        choose(op, "#case-reassign-department", "城市管理局")
        op.find_element("#case-reassign").click()
        op.wait_for_contains_text("#case-notice", "请填写改派原因")  # refused in words; nothing changed
        op.find_element("#case-reassign-reason").send_keys("地下管线属城管")
        op.find_element("#case-reassign").click()
        op.wait_for_contains_text("#case-notice", "已改派")
        op.wait_for_contains_text(".case-drawer .case-timeline", "地下管线属城管")
        assert foreign_requests(op, live_app) == []
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        op.driver.save_screenshot(str(ARTIFACTS / "fail-case-drawer.png"))
        raise
    finally:
        op.driver.quit()
