"""Each role's day, through the UI only, on the real app process: one case goes round the whole loop.

The operator takes a call, a second caller reports the same problem and is added to it (a duplicate
offered before submitting); a third call waits in the queue and is dispatched from its case file; the
department handler acknowledges and resolves it with a photo; the verifier sends it back for rework, then
passes it; the operator records the callback from the 待回访 list; a leader opens the case from its deep
link. Each role's page is photographed at 1920×1080 into docs/ (the README shows them).

One app process and one browser per role for the module; the steps run in order and share the case codes.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from selenium.webdriver.common.by import By

from harness import (ARTIFACTS, ROOT, app_process, choose, confirm, foreign_requests, login, make_browser, pick_row,
                     seeded_env)
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

DOCS = ROOT / "docs"
CODE = re.compile(r"\d{13}")
#: What the steps hand on to the next ones (the module's steps run in file order on one worker).
CASE: dict[str, str] = {}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, chromium: None) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("journeys")
    with app_process(seeded_env(tmp), tmp / "app.log") as base:
        yield base


@pytest.fixture(scope="module")
def browsers(app: str) -> Iterator[dict[str, Any]]:
    """One logged-in browser per role, made when a step first needs it."""
    made: dict[str, Any] = {}

    def of(role: str, path: str) -> Any:
        if role not in made:
            made[role] = make_browser(1920, 1080)
            login(made[role], app, role, path)
        else:
            made[role].driver.get(app + path)
        return made[role]

    yield of  # type: ignore[misc]
    for b in made.values():
        b.driver.quit()


def _shot(b: Any, name: str) -> None:
    b.driver.save_screenshot(str(DOCS / f"{name}.png"))


def _on_fail(b: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    b.driver.save_screenshot(str(ARTIFACTS / f"fail-journey-{name}.png"))


def _call(b: Any, phone: str, category: str, description: str) -> None:
    """The console's call flow up to (not including) submitting: phone, category, place, description."""
    b.find_element("#intake-phone").send_keys(phone)
    choose(b, "#intake-category", category)
    choose(b, "#intake-place", "英雄广场")
    _wait(lambda: b.find_element("#intake-lon").get_attribute("value"))
    b.wait_for_contains_text("#intake-where", "铁西区 ›")  # the pin dropped and the place named
    b.find_element("#intake-description").send_keys(description)


def _submitted(b: Any) -> str:
    b.find_element("#intake-submit").click()
    text = _wait(lambda: CODE.search(b.find_element("#intake-result").text) and b.find_element("#intake-result").text)
    return CODE.search(text).group(0)


def test_operator_takes_calls_adds_a_repeat_caller_and_dispatches_from_the_case_file(app: str, browsers: Any) -> None:
    op = browsers("operator", "/intake")
    try:
        op.wait_for_element("#intake-submit")
        _call(op, "13800001111", "上水井盖", "英雄广场东侧井盖缺失")
        CASE["first"] = _submitted(op)
        _call(op, "13900002222", "上水井盖", "广场边上井盖没了")
        op.wait_for_contains_text("#intake-likely", CASE["first"])  # offered before anything is stored
        op.find_element("#intake-likely button").click()
        op.wait_for_contains_text("#intake-result", CASE["first"])
        _call(op, "13700003333", "其他事件", "广场路面有一大片油污")
        CASE["code"] = _submitted(op)
        row = f'#queue tr[data-case-row="{CASE["code"]}"]'
        op.wait_for_element(row).click()
        op.wait_for_contains_text(".case-drawer .case-title", CASE["code"])
        choose(op, "#case-department", "水务集团")
        op.find_element("#case-dispatch").click()
        op.wait_for_contains_text(".case-drawer .case-badges", "已派遣")
        op.wait_for_contains_text("#case-notice", "已派往")
        op.wait_for_element("#case-reassign")  # the redrawn case offers 改派 now, and its new form fired nothing
        assert "失败" not in op.find_element("#case-notice").text
        _shot(op, "role-operator-1080p")
        assert foreign_requests(op, app) == []
    except Exception:
        _on_fail(op, "operator")
        raise


def _resolve(b: Any, code: str, note: str, photo: Path | None = None) -> None:
    pick_row(b, code, "处置中")
    b.find_element("#wb-text").send_keys(note)
    if photo is not None:
        b.driver.find_element(By.CSS_SELECTOR, "#wb-photos input[type=file]").send_keys(str(photo))
        _wait(lambda: photo.name in b.find_element("#wb-photo-names").text)
    b.find_element("#wb-resolve").click()
    _wait(lambda: code in b.find_element("#wb-message").text and "处置" in b.find_element("#wb-message").text)


def test_handler_acknowledges_and_resolves_with_a_photo(app: str, browsers: Any, tmp_path: Path) -> None:
    from PIL import Image

    photo = tmp_path / "after.png"
    Image.new("RGB", (64, 48), (40, 120, 60)).save(photo)
    code = CASE["code"]
    h = browsers("dept_handler", "/workbench")
    try:
        pick_row(h, code, "已派遣")
        h.find_element("#wb-acknowledge").click()
        h.wait_for_contains_text("#wb-message", code)
        _resolve(h, code, "油污已清理，路面已冲洗", photo)
        _shot(h, "role-handler-1080p")
    except Exception:
        _on_fail(h, "handler")
        raise


def test_verifier_sends_it_back_then_passes_it(app: str, browsers: Any) -> None:
    code = CASE["code"]
    v = browsers("verifier", "/verify")
    try:
        v.wait_for_contains_text("#verify-list", code)
        choose(v, "#verify-select", code)
        v.wait_for_contains_text("#verify-case", "油污已清理")  # the handler's note in the case file
        v.find_element("#verify-reason").send_keys("照片未见路面全貌，请补拍")
        assert code in confirm(v, "#verify-fail")
        v.wait_for_contains_text("#verify-message", code)
        h = browsers("dept_handler", "/workbench")
        _resolve(h, code, "已补拍路面全貌")
        v.driver.get(app + "/verify")
        v.wait_for_contains_text("#verify-list", code)
        choose(v, "#verify-select", code)
        v.wait_for_contains_text("#verify-case", "已补拍路面全貌")
        _shot(v, "role-verifier-1080p")
        assert code in confirm(v, "#verify-pass")
        v.wait_for_contains_text("#verify-message", code)
    except Exception:
        _on_fail(v, "verifier")
        raise


def test_operator_records_the_callback_from_the_awaiting_list(app: str, browsers: Any) -> None:
    code = CASE["code"]
    op = browsers("operator", "/intake")
    try:
        pick = f'#callback-due button[id*="{code}"]'
        op.wait_for_element(pick).click()
        _wait(lambda: op.find_element("#callback-code").get_attribute("value") == code)
        op.find_element("#callback-comment").send_keys("市民表示满意")
        op.find_element("#callback-submit").click()
        op.wait_for_contains_text("#callback-message", code)
        _wait(lambda: code not in op.find_element("#callback-due").text)
    except Exception:
        _on_fail(op, "operator-callback")
        raise


def test_a_leader_opens_the_case_from_its_deep_link(app: str, browsers: Any) -> None:
    code = CASE["code"]
    lead = browsers("leader", f"/case/{code}")
    try:
        lead.wait_for_contains_text(".case-title", code)
        for words in ("其他事件", "水务集团", "照片未见路面全貌", "已补拍路面全貌", "市民表示满意", "回访 · 满意"):
            lead.wait_for_contains_text("#case-file", words)
        _shot(lead, "role-leader-1080p")
        lead.driver.get(app + "/analytics")
        lead.wait_for_element("#an-trend .main-svg")
        _shot(lead, "role-leader-analytics-1080p")
        assert foreign_requests(lead, app) == []
    except Exception:
        _on_fail(lead, "leader")
        raise


def test_admin_page(app: str, browsers: Any) -> None:
    admin = browsers("admin", "/admin")
    try:
        admin.wait_for_contains_text("#admin-users", "dept_handler")
        _shot(admin, "role-admin-1080p")
    except Exception:
        _on_fail(admin, "admin")
        raise
