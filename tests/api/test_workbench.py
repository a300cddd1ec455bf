"""The workbench and verification callbacks, called as functions inside a logged-in user's request."""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import factories as f
from auth.users import create_user
from callbacks import verify as vcb
from callbacks import workbench as wcb
from incidents.model import Actor, Channel, Role, State
from i18n import t
from webapp import PASSWORD, as_user, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OPERATOR = Actor("operator", Role.OPERATOR)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(web: Any, tmp_path: Any) -> None:
    """Photos of a test go to its own folder, never the checkout's var/uploads."""
    web.services.handling.uploads_dir = tmp_path / "uploads"


def swj_incident(web: Any, **raw: Any) -> Any:
    """A water-cover report: auto-dispatched to SWJ (the ``dept_handler`` user's department)."""
    result = web.services.dispatch.intake(f.report(f.WATER_COVER, **raw), OPERATOR, Channel.HOTLINE, web.services.clock())
    assert result.waiting is None
    return result.incident


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def add_user(web: Any, username: str, role: Role, department: str | None) -> None:
    with web.services.db.write.begin() as s:
        create_user(username, PASSWORD, role, session=s, department=department)


def test_handler_acknowledges_and_resolves_with_a_photo_and_the_verifier_closes(web: Any) -> None:
    inc = swj_incident(web)
    with as_user(web, "dept_handler"):
        rows = wcb.show_queue(0)
        assert [r["code"] for r in rows] == [inc.code]
        _, selected = wcb.show_detail(rows, 0)
        msg, _ = wcb.handle("acknowledge", selected, None, None, None, None, 0)
        assert "签收" in msg
        _, selected = wcb.show_detail(rows, 1)
        again, _ = wcb.handle("acknowledge", selected, None, None, None, None, 1)  # a wrong action, in words
        assert "案件当前为“处置中”，不能签收" in again and "cannot" not in again
        msg, _ = wcb.handle("resolve", selected, "已更换井盖", None, [data_url(PNG)], ["site.png"], 1)
        assert "处置反馈" in msg
    resolved = web.services.incidents.get(inc.code)
    assert resolved.state == State.RESOLVED
    photo = web.services.incidents.timeline(inc.code)[-1].payload["photos"][0]
    with as_user(web, "verifier"):
        _, options, departments, categories, districts = vcb.show_waiting(0, None)
        assert [d["label"] for d in departments] == ["水务集团"] and [d["label"] for d in districts] == ["铁西区"]
        assert vcb.show_waiting(0, None, "CGJ")[1] == []  # filtered to another department: nothing waits
        assert vcb.show_waiting(0, None, "SWJ", categories[0]["value"], districts[0]["value"])[1] == options
        assert options[0]["value"] == f"{inc.code}@{resolved.version}"
        shown = str(vcb.show_case(options[0]["value"], 0))  # the verifier judges by the note, photo and place
        assert "已更换井盖" in shown and f"/uploads/{inc.code}/{photo}" in shown and "铁西区" in shown
        vcb.verify_action(True, options[0]["value"], "现场复核：井盖已更换", 0)
    assert web.services.incidents.get(inc.code).state == State.CLOSED
    assert web.services.incidents.timeline(inc.code)[-1].payload["reason"] == "现场复核：井盖已更换"  # kept in the trail
    client = web.server.test_client()
    login(client, "dept_handler")
    resp = client.get(f"/uploads/{inc.code}/{photo}")
    assert resp.status_code == 200 and resp.data == PNG
    assert resp.headers["Content-Type"] == "image/png" and resp.headers["X-Content-Type-Options"] == "nosniff"


def test_a_handler_of_another_department_neither_sees_nor_changes_the_incident(web: Any) -> None:
    inc = swj_incident(web)
    add_user(web, "cgj_handler", Role.DEPT_HANDLER, "CGJ")
    with as_user(web, "cgj_handler"):
        assert wcb.show_queue(0) == []
        detail, selected = wcb.show_detail([{"code": inc.code}], 0)
        assert selected is None and detail == "这不是您的案件，无权查看或办理"
        msg, _ = wcb.handle("acknowledge", f"{inc.code}@{inc.version}", None, None, None, None, 0)
        assert msg == "这不是您的案件，无权查看或办理"
    assert web.services.incidents.get(inc.code).state == State.DISPATCHED
    client = web.server.test_client()
    login(client, "cgj_handler")
    assert client.get(f"/uploads/{inc.code}/{'0' * 32}.png").status_code == 404


def test_the_photo_route_needs_a_login(web: Any) -> None:
    inc = swj_incident(web)
    resp = web.server.test_client().get(f"/uploads/{inc.code}/{'0' * 32}.png")
    assert resp.status_code in (302, 401)


@pytest.mark.parametrize("data, key", [
    (b"<html><script>alert(1)</script>", "只能上传 JPEG、PNG 或 WebP 图片"),
    (PNG + b"\x00" * 9_000_000, "照片过大"),
])
def test_photos_are_checked_by_type_and_size_and_nothing_is_stored(web: Any, data: bytes, key: str) -> None:
    inc = swj_incident(web)
    web.services.incidents.act(inc.code, "acknowledge", Actor("dept_handler", Role.DEPT_HANDLER, "SWJ"), inc.version,
                               web.services.clock())
    with as_user(web, "dept_handler"):
        msg, _ = wcb.handle("resolve", f"{inc.code}@{inc.version + 1}", "done", None, [data_url(data)], ["x.png"], 0)
    assert msg == key
    assert web.services.incidents.get(inc.code).state == State.IN_PROGRESS


def test_return_needs_a_reason_and_goes_back_to_the_center(web: Any) -> None:
    inc = swj_incident(web)
    with as_user(web, "dept_handler"):
        msg, _ = wcb.handle("return", f"{inc.code}@{inc.version}", "  ", None, None, None, 0)
        assert msg == "请填写原因"
        wcb.handle("return", f"{inc.code}@{inc.version}", "不属于本部门", None, None, None, 0)
    back = web.services.incidents.get(inc.code)
    assert back.state == State.ACCEPTED and back.department is None
    assert web.services.incidents.timeline(inc.code)[-1].payload["reason"] == "不属于本部门"


def test_failed_verification_sends_it_back_to_the_same_handler_and_counts_the_rework(web: Any) -> None:
    inc = swj_incident(web)
    svc, h = web.services, Actor("dept_handler", Role.DEPT_HANDLER, "SWJ")
    v = svc.incidents.act(inc.code, "acknowledge", h, inc.version, svc.clock()).version
    v = svc.incidents.act(inc.code, "resolve", h, v, svc.clock(), payload={"note": "ok"}).version
    with as_user(web, "verifier"):
        msg, _ = vcb.verify_action(False, f"{inc.code}@{v}", "", 0)
        assert msg == "请填写原因"
        vcb.verify_action(False, f"{inc.code}@{v}", "井盖未固定", 0)
    rework = svc.incidents.get(inc.code)
    assert (rework.state, rework.rework_count, rework.department) == (State.IN_PROGRESS, 1, "SWJ")


def test_two_handlers_acting_at_once_one_wins_and_the_other_sees_a_conflict(web: Any) -> None:
    inc = swj_incident(web)
    add_user(web, "swj_handler2", Role.DEPT_HANDLER, "SWJ")
    seen = f"{inc.code}@{inc.version}"
    with as_user(web, "dept_handler"):
        first, _ = wcb.handle("acknowledge", seen, None, None, None, None, 0)
    with as_user(web, "swj_handler2"):
        second, _ = wcb.handle("return", seen, "不归我们管", None, None, None, 0)
        _, fresh = wcb.show_detail([{"code": inc.code}], 1)
    assert "签收" in first and second == t("error.conflict", code=inc.code)
    assert web.services.incidents.get(inc.code).state == State.IN_PROGRESS
    assert fresh == f"{inc.code}@{inc.version + 1}"


def test_extension_across_the_may_day_holidays_moves_the_deadline_by_working_time(web: Any) -> None:
    svc = web.services
    tz = ZoneInfo("Asia/Shanghai")
    svc.clock.set(datetime(2026, 4, 30, 9, 0, tzinfo=tz).astimezone(timezone.utc))
    inc = swj_incident(web, severity="high")  # 8 working hours: due Thu 30 Apr end of day
    before = inc.deadline
    with as_user(web, "dept_handler"):
        msg, _ = wcb.handle("extension", f"{inc.code}@{inc.version}", "需协调供水公司", 4, None, None, 0)
        assert "申请延期" in msg
        again, _ = wcb.handle("extension", f"{inc.code}@{inc.version + 1}", "再延", 4, None, None, 0)
        assert again == "已有待审批的延期申请"
    req = svc.incidents.get(inc.code)
    approved = svc.handling.decide_extension(inc.code, OPERATOR, req.version, svc.clock(), approve=True)
    cal = svc.reference.get().calendar
    assert approved.deadline == cal.add_work_hours(before, 4)
    assert approved.deadline.astimezone(tz).date() > datetime(2026, 5, 5).date()  # past 1–5 May
    assert svc.reference.get().calendar.work_seconds_between(before, approved.deadline) == pytest.approx(4 * 3600)
    assert [e.action for e in svc.incidents.timeline(inc.code)][-2:] == ["extension_request", "extension_approve"]


def test_a_refused_extension_keeps_the_deadline_and_needs_a_reason(web: Any) -> None:
    from dispatch.handling import HandlingError

    svc = web.services
    inc = swj_incident(web)
    h = Actor("dept_handler", Role.DEPT_HANDLER, "SWJ")
    req = svc.handling.request_extension(inc.code, h, inc.version, svc.clock(), 8, "材料未到")
    with pytest.raises(HandlingError):
        svc.handling.decide_extension(inc.code, OPERATOR, req.version, svc.clock(), approve=False, reason="")
    refused = svc.handling.decide_extension(inc.code, OPERATOR, req.version, svc.clock(), approve=False, reason="可按期完成")
    assert refused.deadline == inc.deadline
    assert svc.handling.pending_extensions() == []


def test_a_push_shows_a_toast_and_refreshes_the_queue(web: Any) -> None:
    with as_user(web, "dept_handler"):
        toast, version = wcb.on_push({"action": "escalate", "payload": {"step": "warn"},
                                      "incident": {"code": "2026031000001"}}, 3)
    assert "2026031000001" in toast and "时限预警" in toast and version == 4


def test_only_the_actions_the_handler_may_take_now_are_enabled(web: Any) -> None:
    """签收 and 回退 for a dispatched case, 处置反馈 and 延期 once acknowledged; nothing when nothing is picked."""
    inc = swj_incident(web)
    with as_user(web, "dept_handler"):
        rows = wcb.show_queue(0)
        *_, ack, ret, ext, res = wcb.on_pick(rows, 0)
        assert (ack, ret, ext, res) == (False, False, False, True)  # dispatched: acknowledge, return, extension
        _, selected = wcb.show_detail(rows, 0)
        wcb.handle("acknowledge", selected, None, None, None, None, 0)
        *_, ack, ret, ext, res = wcb.on_pick(rows, 1)
        assert (ack, ret, ext, res) == (True, True, False, False)  # in progress: resolve, extension
        assert wcb.on_pick(None, 2)[2:] == (True, True, True, True)
    assert web.services.incidents.get(inc.code).state.value == "in_progress"
