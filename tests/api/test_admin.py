"""/admin: users, departments, rules and time limits change through audited service calls; only admins."""
from __future__ import annotations

from typing import Any

from auth.users import authenticate
from callbacks import admin as acb
from incidents.model import Actor, Channel, Role
from webapp import PASSWORD, as_user, login

import factories as f

OPERATOR = Actor("operator", Role.OPERATOR)


def form(**values: Any) -> dict[str, Any]:
    return values


def test_only_admins_open_the_page_and_run_its_callbacks(web: Any) -> None:
    client = web.server.test_client()
    login(client, "operator")
    assert client.get("/admin").status_code == 403
    with as_user(web, "operator"):
        message, _ = acb.admin_action("user_create", form(username="x1", password="long-enough", role="operator"), 0)
        users, options, _ = acb.show_admin(0)
    assert "无权" in message and options == []
    admin = web.server.test_client()
    login(admin, "admin")
    assert admin.get("/admin").status_code == 200


def test_admin_creates_a_user_who_can_log_in_and_the_change_is_audited(web: Any, clock: Any) -> None:
    with as_user(web, "admin"):
        message, version = acb.admin_action("user_create", form(
            username="swj_new", password="new-password", role="dept_handler", display="新处置员", department="SWJ"), 3)
        assert version == 4 and "swj_new" in message
        users, options, audit = acb.show_admin(4)
    assert "swj_new" in {o["value"] for o in options}
    with web.services.db.read() as s:
        assert authenticate("swj_new", "new-password", session=s).department == "SWJ"
    entry = web.services.admin.audit(1)[0]
    assert (entry.actor, entry.action, entry.target, entry.at) == ("admin", "user_create", "swj_new", clock())
    assert "new-password" not in str(entry.detail) and "swj_new" in str(audit.to_plotly_json())


def test_bad_user_input_is_refused_with_a_message_and_nothing_is_written(web: Any) -> None:
    with as_user(web, "admin"):
        cases = [
            (form(username="a b", password="long-enough", role="operator"), "用户名须为"),
            (form(username="short_pw", password="123", role="operator"), "密码至少 8 位"),
            (form(username="bad_role", password="long-enough", role="system"), "无效的角色"),
            (form(username="bad_dept", password="long-enough", role="dept_handler", department="NOPE"), "部门不存在"),
            (form(username="operator", password="long-enough", role="operator"), "用户名已存在"),
        ]
        for values, expected in cases:
            message, version = acb.admin_action("user_create", values, 0)
            assert expected in message and version is acb.no_update
    assert web.services.admin.audit() == []


def test_admin_disables_a_user_resets_a_password_and_changes_role_and_district(web: Any) -> None:
    with as_user(web, "admin"):
        acb.admin_action("user_save", form(username="leader", role="leader", department=None, district="220302",
                                           active=["active"], display="  铁西区 王局长 "), 0)
        acb.admin_action("user_password", form(username="verifier", password="another-pass"), 1)
        acb.admin_action("user_save", form(username="wall", role="wall", active=[]), 2)
        message, _ = acb.admin_action("user_save", form(username="admin", role="admin", active=[]), 3)
        assert "不能停用自己" in message
    with web.services.db.read() as s:
        assert authenticate("wall", PASSWORD, session=s) is None  # disabled
        assert authenticate("verifier", PASSWORD, session=s) is None
        assert authenticate("verifier", "another-pass", session=s) is not None
        leader = authenticate("leader", PASSWORD, session=s)
        assert (leader.district, leader.display_name) == (220302, "铁西区 王局长")
    actions = [(a.action, a.target) for a in reversed(web.services.admin.audit())]
    assert actions == [("user_update", "leader"), ("user_password", "verifier"), ("user_update", "wall")]
    assert web.services.admin.audit()[0].detail == {"active": False}
    assert web.services.admin.audit()[2].detail["display_name"] == "铁西区 王局长"
    with as_user(web, "admin"):  # a blank display name keeps the one there
        acb.admin_action("user_save", form(username="leader", role="leader", district="220302", active=["active"],
                                           display=" "), 4)
    assert [u.display_name for u in web.services.admin.users() if u.username == "leader"] == ["铁西区 王局长"]


def test_category_rule_edit_reloads_routing_at_once(web: Any) -> None:
    with as_user(web, "admin"):
        message, _ = acb.admin_action("rule", form(rule_kind="category_department", rule_key=f.WATER_COVER,
                                                   rule_value="CGJ"), 0)
        assert f.WATER_COVER in message
        rules = acb.show_rules(1, "category_department")
    assert "CGJ" in str(rules.to_plotly_json())
    result = web.services.dispatch.intake(f.report(f.WATER_COVER), OPERATOR, Channel.HOTLINE, web.services.clock())
    assert result.incident.department == "CGJ"
    assert web.services.admin.audit(1)[0].target == f"category_department:{f.WATER_COVER}"


def test_grid_worker_assignment_names_only_grid_workers_and_routes_the_cell(web: Any) -> None:
    cell = f.RURAL_CELL  # no grid worker in rules.toml: garbage there waits for an operator
    with as_user(web, "admin"):
        message, _ = acb.admin_action("rule", form(rule_kind="grid_workers", rule_key=cell, rule_value="operator"), 0)
        assert "不是网格员" in message
        acb.admin_action("rule", form(rule_kind="grid_workers", rule_key=cell, rule_value="grid_worker"), 0)
    lon, lat = f.point(cell)
    result = web.services.dispatch.intake(f.report(f.GARBAGE, lon=lon, lat=lat), OPERATOR, Channel.HOTLINE,
                                          web.services.clock())
    assert (result.incident.department, result.incident.assignee) == ("GRID", "grid_worker")


def test_time_limit_edit_changes_new_deadlines_and_is_audited_with_the_old_value(web: Any) -> None:
    before = web.services.dispatch.deadline(f.WATER_COVER, "urgent", web.services.clock())
    with as_user(web, "admin"):
        message, _ = acb.admin_action("sla", form(sla_category=f.WATER_COVER, sla_severity="urgent", sla_limit=4,
                                                  sla_unit="hours"), 0)
        bad, _ = acb.admin_action("sla", form(sla_category=f.WATER_COVER, sla_severity="urgent", sla_limit=-1,
                                              sla_unit="hours"), 0)
        table = acb.show_sla(1, f.WATER_COVER)
    assert "时限须为正数" in bad
    after = web.services.dispatch.deadline(f.WATER_COVER, "urgent", web.services.clock())
    assert (after - before).total_seconds() == 2 * 3600  # 2 natural hours in data/sla.csv → 4
    assert "4" in str(table.to_plotly_json())
    entry = web.services.admin.audit(1)[0]
    assert entry.detail == {"limit": 4.0, "unit": "hours", "before": {"limit": 2.0, "unit": "hours"}}


def test_admin_adds_a_department_that_dispatch_accepts(web: Any) -> None:
    with as_user(web, "admin"):
        message, _ = acb.admin_action("department", form(dept_code="rfb", dept_zh="人防办", dept_en="Civil Defence",
                                                         dept_kind="dept"), 0)
        assert "RFB" in message
    assert web.services.reference.get().departments["RFB"].name("en") == "Civil Defence"
