"""核查任务 in the browser, on one real app process: the verifier sends the cell's grid worker from /verify; the
worker's workbench (a phone, 390×844) receives the task over its websocket and answers with a verdict, a note and
a photo; the verifier's case file then shows the answer without a reload."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from PIL import Image, ImageDraw
from selenium.webdriver.common.by import By

from harness import choose, ARTIFACTS, GRID_WORKER, confirm, login, make_browser
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

CELL, CATEGORY = "220302001001001", "10101"  # GRID_WORKER's community; a water manhole cover → SWJ
OPERATOR, HANDLER = "vt-operator-secret-0123", "vt-handler-secret-0123"


@pytest.fixture(scope="module", autouse=True)
def _api_tokens() -> Iterator[None]:
    """Tokens for this module's app: the case is reported and resolved through the API, verified in the browser."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYOPS_API_TOKENS", f"vtop:operator:{OPERATOR},vthd:dept_handler@user=dept_handler:{HANDLER}")
        yield


def _call(base: str, path: str, secret: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))


def _resolved_case(base: str) -> str:
    from geo.index import GridIndex

    cell = GridIndex.load().cell(CELL)
    made = _call(base, "/api/v1/incidents", OPERATOR, {"category": CATEGORY, "description": "人民大街井盖缺失",
                                                       "lon": cell.lon, "lat": cell.lat})
    assert made["state"] == "dispatched" and made["department"] == "SWJ", made
    code = made["code"]
    acked = _call(base, f"/api/v1/incidents/{code}/actions", HANDLER, {"action": "acknowledge", "version": made["version"]})
    done = _call(base, f"/api/v1/incidents/{code}/actions", HANDLER,
                 {"action": "resolve", "version": acked["version"], "note": "已更换井盖"})
    assert done["state"] == "resolved", done
    return code


def _photo(path: Path) -> Path:
    img = Image.new("RGB", (640, 480), (70, 90, 110))
    ImageDraw.Draw(img).rectangle([200, 150, 440, 330], fill=(200, 180, 40))
    img.save(path, "JPEG", quality=85)
    return path


def test_verifier_sends_the_grid_worker_who_answers_with_a_photo_and_the_verifier_sees_it(
        live_app: str, tmp_path: Path) -> None:
    code = _resolved_case(live_app)
    verifier = make_browser(1600, 1000)
    worker = None
    try:
        worker = make_browser(390, 844)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        login(worker, live_app, GRID_WORKER, "/workbench")
        worker.wait_for_element("#workbench")

        login(verifier, live_app, "verifier", "/verify")
        verifier.wait_for_contains_text("#verify-list", code)
        verifier.wait_for_element("#verify-select")
        choose(verifier, "#verify-select", code)
        verifier.wait_for_contains_text("#verify-case", "已更换井盖")
        _wait(lambda: GRID_WORKER in (verifier.find_element("#vt-worker").get_attribute("value") or ""))  # preselected
        assert code in confirm(verifier, "#vt-send") and GRID_WORKER in verifier.driver.find_element(
            By.ID, "vt-message").text + GRID_WORKER
        verifier.wait_for_contains_text("#vt-message", code)
        verifier.wait_for_contains_text("#case-verify-task", "等待网格员反馈")

        worker.wait_for_contains_text("#vt-tasks", code)  # pushed to the worker's room: no reload
        worker.driver.find_element(By.CSS_SELECTOR, "#vt-tasks input[type=radio]").click()
        worker.driver.find_element(By.CSS_SELECTOR, "#vt-verdict input[value=resolved]").click()
        worker.find_element("#vt-answer-note").send_keys("现场井盖已复位")
        worker.driver.find_element(By.CSS_SELECTOR, "#vt-photo input[type=file]").send_keys(
            str(_photo(tmp_path / "onsite.jpg")))
        worker.wait_for_contains_text("#vt-photo-name", "onsite.jpg")
        worker.driver.save_screenshot(str(ARTIFACTS / "verify-task-worker-390.png"))
        worker.find_element("#vt-answer").click()
        worker.wait_for_contains_text("#vt-answer-message", code)
        _wait(lambda: code not in worker.find_element("#vt-tasks").text)

        verifier.wait_for_contains_text("#case-verify-task", "属实已解决", timeout=20)  # over the websocket
        verifier.wait_for_contains_text("#case-verify-task", "现场井盖已复位")
        _wait(lambda: verifier.driver.execute_script(
            "const i = document.querySelector('#case-verify-task img'); return i && i.complete && i.naturalWidth > 0"))
        verifier.driver.save_screenshot(str(ARTIFACTS / "verify-task-answered.png"))  # for a look, not for docs/
        assert code in confirm(verifier, "#verify-pass")
        verifier.wait_for_contains_text("#verify-message", code)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, b in (("verifier", verifier), ("worker", worker)):
            if b is not None:
                b.driver.save_screenshot(str(ARTIFACTS / f"fail-verify-task-{name}.png"))
        raise
    finally:
        for b in (verifier, worker):
            if b is not None:
                b.driver.quit()
