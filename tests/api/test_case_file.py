"""The case file (案卷) at /case/<code>: names instead of codes, the number as the viewer may see it, photos
before and after, the timeline in words, related cases, and exactly the actions the viewer may take now."""
from __future__ import annotations

from typing import Any

import pytest

import factories as f
from callbacks import case as case_cb
from dispatch.handling import HandlingError, Photo
from incidents.model import Actor, Channel, Role
from webapp import as_user, login

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


def _text(node: Any) -> str:
    return str(node.to_plotly_json() if hasattr(node, "to_plotly_json") else node)


def _page(web: Any, user: str, code: str) -> str:
    with as_user(web, user):
        return _text(case_cb.build(web.services, "zh", code=code))


def _resolved_case(web: Any) -> Any:
    svc = web.services
    inc = svc.dispatch.intake(f.report(grid=svc.grid), f.operator(), Channel.HOTLINE, svc.clock()).incident
    handler = Actor("dept_handler", Role.DEPT_HANDLER, "SWJ")
    inc = svc.handling.act(inc.code, "acknowledge", handler, inc.version, svc.clock())
    return svc.handling.act(inc.code, "resolve", handler, inc.version, svc.clock(), text="井盖已更换",
                            photos=[Photo("after.jpg", JPEG)])


def test_the_case_file_reads_in_names_and_masks_the_number_per_role(web):
    with web.services.db.write.begin() as s:
        from sqlalchemy import update

        from incidents.records import UserRow

        s.execute(update(UserRow).where(UserRow.username == "dept_handler").values(display_name="王师傅"))
    case = _resolved_case(web)
    seen = _page(web, "verifier", case.code)
    for words in ("上水井盖", "水务集团", "王师傅", "铁西区", "井盖已更换", "处置反馈", "签收", "138****8000",
                  f"/uploads/{case.code}/"):
        assert words in seen, words
    assert "13800138000" not in seen and "'SWJ'" not in seen
    assert "13800138000" in _page(web, "operator", case.code)


def test_the_case_file_offers_exactly_the_actions_of_the_viewer_now(web):
    case = _resolved_case(web)

    def offered(user: str) -> set[str]:
        from flask_login import current_user

        with as_user(web, user):
            return set(web.services.case_files.read(case.code, current_user.actor, web.services.clock()).actions)

    assert offered("verifier") == {"verify_pass", "verify_fail", "verify_task_sent", "note"}  # 核查任务 too
    assert offered("dept_handler") == {"note"}  # resolved: nothing of the handler's is left but a note
    assert offered("leader") == {"instruction"}  # leaders read, and act through instructions (批示)
    with pytest.raises(HandlingError):
        offered("wall")  # the wall reads no case records at all
    assert "核查结案" in _page(web, "verifier", case.code) and "/verify" in _page(web, "verifier", case.code)


def test_related_cases_link_to_their_own_case_files(web):
    svc = web.services
    one = svc.dispatch.intake(f.report(f.GARBAGE, grid=svc.grid), f.operator(), Channel.HOTLINE, svc.clock()).incident
    two = svc.dispatch.intake(f.report(f.OTHER_EVENT, grid=svc.grid, east_m=20), f.operator(), Channel.HOTLINE,
                              svc.clock()).incident
    seen = _page(web, "operator", one.code)
    assert f"/case/{two.code}" in seen and "同一网格 30 日内" in seen


def test_a_deep_link_opens_for_whom_the_policy_allows_and_is_403_otherwise(web):
    case = _resolved_case(web)
    leader = web.server.test_client()
    login(leader, "leader")
    assert leader.get(f"/case/{case.code}").status_code == 200
    worker = web.server.test_client()
    login(worker, "grid_worker")
    assert worker.get(f"/case/{case.code}").status_code == 403
    assert "无权" in _page(web, "grid_worker", case.code)  # the page's own check (navigation inside the app)
    assert "不存在" in _page(web, "leader", "2099010100001")
    anonymous = web.server.test_client().get(f"/case/{case.code}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_leaders_instruction_is_pinned_in_the_timeline_and_pushed_to_the_handler(web):
    svc = web.services
    inc = svc.dispatch.intake(f.report(grid=svc.grid), f.operator(), Channel.HOTLINE, svc.clock()).incident
    handler = web.socketio.test_client(web.server, flask_test_client=_logged_in(web, "dept_handler"))
    handler.get_received()
    with as_user(web, "leader"):
        message, refresh = case_cb.instruct(1, "今天下班前处理完毕，注意安全", inc.code, 0)
        redrawn = case_cb.redraw(refresh, inc.code)  # the case redraws: pinned on top and in the timeline
    assert message == "已批示，已推送给承办人" and refresh == 1
    assert _text(redrawn).count("今天下班前处理完毕") == 2
    pushed = [m["args"][0] for m in handler.get_received() if m["name"] == "assignment"]
    assert [(m["action"], m["incident"]["code"]) for m in pushed] == [("instruction", inc.code)]
    assert svc.incidents.get(inc.code).version == inc.version  # a handler's next action does not conflict
    seen = _page(web, "dept_handler", inc.code)
    assert "今天下班前处理完毕" in seen and "领导批示" in seen and "case-instruct" not in seen
    with as_user(web, "dept_handler"):
        refused, _ = case_cb.instruct(1, "我也批示", inc.code, 0)  # not a leader's: refused on the server
    assert refused == "您的角色不能领导批示"
    with as_user(web, "leader"):
        empty, _ = case_cb.instruct(1, "  ", inc.code, 0)
    assert empty != "已批示，已推送给承办人"


def _logged_in(web: Any, username: str) -> Any:
    client = web.server.test_client()
    login(client, username)
    return client


def test_photo_names_in_a_payload_show_only_when_they_are_stored_photos(web):
    """A payload naming ``../../healthz`` (or ``../../logout``) must never become an image URL a page loads."""
    from callbacks import workbench as wcb

    svc = web.services
    case = _resolved_case(web)
    stored = svc.incidents.timeline(case.code)[-1].payload["photos"][0]
    svc.incidents.act(case.code, "note", f.operator(), case.version, svc.clock(),
                      payload={"note": "x", "photos": ["../../healthz", "../../logout", stored + "x"]})
    incident, events = svc.incidents.get(case.code), svc.incidents.timeline(case.code)
    with as_user(web, "verifier"):
        shown = _page(web, "verifier", case.code) + _text(wcb.detail_view(svc, incident, events, "zh"))
    assert "../../" not in shown and "healthz" not in shown and f"{stored}x" not in shown
    assert f"/uploads/{case.code}/{stored}" in shown


def test_an_action_of_the_page_the_case_file_is_shown_on_is_not_a_link_to_that_page(web):
    from flask_login import login_user

    from auth.users import authenticate
    from webapp import PASSWORD

    case = _resolved_case(web)
    for referrer, linked in (("http://cityops/verify", False), ("http://cityops/case/x", True)):
        with web.server.test_request_context("/_dash-update-component", headers={"Referer": referrer}):
            with web.services.db.read() as s:
                user = authenticate("verifier", PASSWORD, session=s)
            login_user(user)
            seen = _text(case_cb.case_panel(web.services, case.code, user.actor, "zh"))
        assert ("前往办理 核查" in seen) is linked and ("在本页办理" in seen) is not linked, referrer
