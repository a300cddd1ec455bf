"""Suggested routing, dispatch with the suggestion or another choice, redispatch 改派 and extension
decisions on the operator console — the queue's callbacks called as functions in an operator's request."""
from __future__ import annotations

import re

from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict

import factories as f
from auth.users import create_user
from callbacks import case_decisions as cd
from callbacks import queue as qcb
from dispatch.routing import RoutingError
from incidents.model import Actor, Channel, Role, State
from layouts import ids
from webapp import PASSWORD, as_user

OPERATOR = Actor("operator", Role.OPERATOR)
HANDLER = Actor("dept_handler", Role.DEPT_HANDLER, "SWJ")


@contextmanager
def triggered(component_id: str, prop: str = "value") -> Iterator[None]:
    """What Dash sets while a callback runs: which input fired (for callbacks that read ``ctx``)."""
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{component_id}.{prop}", "value": 1}]))
    try:
        yield
    finally:
        context_value.reset(token)


def add_handlers(web: Any, *names: str, department: str = "SWJ", active: bool = True) -> None:
    from sqlalchemy import update

    from incidents.records import UserRow

    with web.services.db.write.begin() as s:
        for name in names:
            create_user(name, PASSWORD, Role.DEPT_HANDLER, session=s, department=department)
        if not active:
            s.execute(update(UserRow).where(UserRow.username.in_(names)).values(active=False))


def swj_dispatched(web: Any, east_m: float = 0.0) -> Any:
    """A water-cover report auto-dispatched to SWJ as a whole (the rules name only the department)."""
    lon, lat = f.point(east_m=east_m)
    result = web.services.dispatch.intake(f.report(f.WATER_COVER, lon=lon, lat=lat), OPERATOR, Channel.HOTLINE,
                                          web.services.clock())
    assert result.waiting is None and result.incident.assignee is None
    return result.incident


def give_work(web: Any, username: str, east_m: float) -> None:
    inc = swj_dispatched(web, east_m)
    web.services.routing.reassign(inc.code, OPERATOR, inc.version, web.services.clock(), department="SWJ",
                                  assignee=username, reason="balance test")


def returned(web: Any) -> Any:
    """A dispatched SWJ incident that the department handler returned: it waits in the queue again."""
    inc = swj_dispatched(web, east_m=900)
    back = web.services.handling.act(inc.code, "return", HANDLER, inc.version, web.services.clock(), text="not ours")
    assert back.state == State.ACCEPTED
    return back


def rows(table: Any) -> list[str]:
    """The codes of a list's rows (each opens its case file)."""
    return re.findall(r"data-case-row='([0-9]+)'", repr(table))


def offered(web: Any, code: str) -> dict[str, Any]:
    """The decision forms the operator's case file of ``code`` offers now."""
    cf = web.services.case_files.read(code, OPERATOR, web.services.clock())
    return cd.decisions_view(cf, web.services, "zh")


def seen(inc: Any) -> str:
    return f"{inc.code}@{inc.version}"


def test_queue_suggests_the_least_loaded_handler_of_the_ruled_department(web: Any) -> None:
    add_handlers(web, "swj_a", "swj_b")
    give_work(web, "dept_handler", 0)
    give_work(web, "swj_a", 300)
    waiting = returned(web)
    with as_user(web, "operator"):
        table = qcb.show_queue(1, 0)
        assert rows(table) == [waiting.code]
        assert "swj_b" in str(table.to_plotly_json())
        form = offered(web, waiting.code)["dispatch"]
    assert (form["department"], form["assignee"]) == ("SWJ", "swj_b")
    assert [o["value"] for o in form["assignees"]] == ["swj_b", "dept_handler", "swj_a"]  # least loaded first
    assert waiting.code in form["suggestion"]


def test_ties_in_workload_go_to_the_first_username(web: Any) -> None:
    add_handlers(web, "swj_a")
    waiting = returned(web)
    s = web.services.routing.suggest([waiting], web.services.clock())[waiting.code]
    assert (s.department, s.assignee) == ("SWJ", "dept_handler")


def test_operator_dispatches_with_the_suggestion_and_a_redispatch_after_a_return_gets_a_new_deadline(
        web: Any, clock: Any) -> None:
    add_handlers(web, "swj_a")
    give_work(web, "dept_handler", 0)
    inc = swj_dispatched(web, east_m=900)
    first_deadline = inc.deadline
    clock.advance(hours=3)
    back = web.services.handling.act(inc.code, "return", HANDLER, inc.version, web.services.clock(), text="wrong dept")
    with as_user(web, "operator"):
        message, refresh = cd.dispatch(1, seen(back), None, None, 3)
    after = web.services.incidents.get(inc.code)
    assert refresh == 4 and inc.code in message
    assert (after.state, after.department, after.assignee) == (State.DISPATCHED, "SWJ", "swj_a")
    assert after.deadline is not None and after.deadline > first_deadline


def test_operator_may_choose_another_department_and_handler(web: Any) -> None:
    add_handlers(web, "cgj_1", department="CGJ")
    waiting = returned(web)
    with as_user(web, "operator"):
        opts, who = cd.dispatch_department("CGJ")
        assert (who, [o["value"] for o in opts]) == ("cgj_1", ["cgj_1"])
        cd.dispatch(1, seen(waiting), "CGJ", "cgj_1", 1)
    after = web.services.incidents.get(waiting.code)
    assert (after.department, after.assignee) == ("CGJ", "cgj_1")


def test_a_handler_of_another_department_or_a_disabled_one_is_refused(web: Any) -> None:
    add_handlers(web, "cgj_1", department="CGJ")
    add_handlers(web, "swj_gone", active=False)
    waiting = returned(web)
    with as_user(web, "operator"):
        for who in ("cgj_1", "swj_gone", "nobody"):
            message, _ = cd.dispatch(1, seen(waiting), "SWJ", who, 1)
            assert "处置人不属于该部门或已停用" in message
    assert web.services.incidents.get(waiting.code).state == State.ACCEPTED


def test_the_case_file_offers_each_decision_only_where_the_lifecycle_allows_it(web: Any) -> None:
    waiting, running = returned(web), swj_dispatched(web, east_m=300)
    with as_user(web, "operator"):
        assert set(offered(web, waiting.code)) == {"dispatch"}  # accepted: filed already, so no 不予立案
        assert set(offered(web, running.code)) == {"reassign"}  # no extension asked
        asked = web.services.handling.request_extension(running.code, HANDLER, running.version,
                                                        web.services.clock(), 8, "需要挖掘")
        assert set(offered(web, asked.code)) == {"reassign", "extension"}
        assert "需要挖掘" in offered(web, asked.code)["extension"]["request"]
    cf = web.services.case_files.read(running.code, HANDLER, web.services.clock())
    assert cd.decisions_view(cf, web.services, "zh") == {}  # a handler decides nothing here


def test_redispatch_needs_a_reason_and_keeps_the_running_deadline(web: Any, clock: Any) -> None:
    add_handlers(web, "swj_a")
    add_handlers(web, "cgj_2", department="CGJ")
    inc = swj_dispatched(web)
    with as_user(web, "operator"):
        assert inc.code in rows(qcb.show_running(0, 0))
        form = offered(web, inc.code)["reassign"]
        assert form["department"] == "SWJ" and form["assignee"] == "dept_handler"
        message, _ = cd.reassign(1, seen(inc), "CGJ", "cgj_2", "  ", 0)
        assert "请填写改派原因" in message
        message, _ = cd.reassign(1, seen(inc), "CGJ", "cgj_2", "地下管线属城管", 0)
    after = web.services.incidents.get(inc.code)
    assert (after.state, after.department, after.assignee) == (State.DISPATCHED, "CGJ", "cgj_2")
    assert after.deadline == inc.deadline and after.version == inc.version + 1
    last = web.services.incidents.timeline(inc.code)[-1]
    assert last.action == "reassign" and last.actor == "operator"
    assert last.payload == {"reason": "地下管线属城管", "from_department": "SWJ", "from_assignee": None}


def test_redispatch_of_an_in_progress_incident_from_a_stale_case_file_is_a_conflict(web: Any) -> None:
    inc = swj_dispatched(web)
    ack = web.services.handling.act(inc.code, "acknowledge", HANDLER, inc.version, web.services.clock())
    with as_user(web, "operator"):
        message, _ = cd.reassign(1, seen(inc), "CGJ", None, "reason", 0)
        assert "已被他人更新" in message
        message, _ = cd.reassign(1, seen(ack), "CGJ", None, "reason", 0)
    after = web.services.incidents.get(inc.code)
    assert (after.state, after.department, after.assignee) == (State.IN_PROGRESS, "CGJ", None)


def test_redispatch_is_refused_for_incidents_that_do_not_run_and_for_other_roles(web: Any) -> None:
    waiting = returned(web)
    with pytest.raises(Exception):
        web.services.routing.reassign(waiting.code, OPERATOR, waiting.version, web.services.clock(),
                                      department="CGJ", assignee=None, reason="x")
    inc = swj_dispatched(web)
    with pytest.raises(RoutingError):
        web.services.routing.reassign(inc.code, OPERATOR, inc.version, web.services.clock(),
                                      department="SWJ", assignee=None, reason="same")
    with as_user(web, "dept_handler"):
        message, _ = cd.reassign(1, seen(inc), "CGJ", None, "reason", 0)
        assert "无权" in str(qcb.show_running(0, 0).to_plotly_json())
    assert "无权" in message
    assert web.services.incidents.get(inc.code).department == "SWJ"


def test_operator_approves_and_refuses_extension_requests_from_the_case_file(web: Any) -> None:
    one, two = swj_dispatched(web), swj_dispatched(web, east_m=400)
    now = web.services.clock()
    one = web.services.handling.request_extension(one.code, HANDLER, one.version, now, 8, "需要挖掘")
    two = web.services.handling.request_extension(two.code, HANDLER, two.version, now, 4, "等材料")
    with as_user(web, "operator"):
        items = qcb.show_extensions(0, 0)
        assert set(rows(items)) == {one.code, two.code}
        assert "需要挖掘" in str(items.to_plotly_json())
        with triggered(ids.CASE_EXT_APPROVE, "n_clicks"):
            message, _ = cd.decide_extension(1, 0, seen(one), None, 0)
        assert one.code in message
        with triggered(ids.CASE_EXT_REFUSE, "n_clicks"):
            message, _ = cd.decide_extension(0, 1, seen(two), "", 0)
            assert "请填写原因" in message
            cd.decide_extension(0, 1, seen(two), "材料已到", 0)
        assert rows(qcb.show_extensions(1, 0)) == []
    assert web.services.incidents.get(one.code).deadline > one.deadline
    assert web.services.incidents.get(two.code).deadline == two.deadline
    assert [e.action for e in web.services.incidents.timeline(two.code)][-1] == "extension_refuse"


def test_other_roles_cannot_decide_extensions(web: Any) -> None:
    inc = swj_dispatched(web)
    inc = web.services.handling.request_extension(inc.code, HANDLER, inc.version, web.services.clock(), 8, "x")
    for role in ("dept_handler", "verifier", "admin"):
        with as_user(web, role), triggered(ids.CASE_EXT_APPROVE, "n_clicks"):
            message, _ = cd.decide_extension(1, 0, seen(inc), None, 0)
        assert "无权" in message
    assert web.services.incidents.get(inc.code).deadline == inc.deadline
