"""/admin, more reference data: gazetteer places, the working calendar, working hours, on-the-spot rules and
the fallback department change through audited calls that reach routing and deadlines at once; only admins."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

import factories as f
from callbacks import admin as acb
from callbacks import admin_more as mcb
from incidents.model import Actor, Channel, Role
from incidents.places import PlaceService
from layouts import ids
from webapp import as_user

OPERATOR = Actor("operator", Role.OPERATOR)


def act(action: str, **form: Any) -> tuple[Any, Any]:
    return mcb.more_action(action, form, 0)


def text(component: Any) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      ensure_ascii=False, default=lambda c: c.to_plotly_json())


def test_the_new_sections_are_on_the_admin_page_and_refuse_non_admins(web: Any) -> None:
    page = text(acb.admin_page(web.services, "zh"))
    for part in (ids.ADMIN_PLACE_ADD, ids.ADMIN_CAL_SET, ids.ADMIN_HOURS_SAVE, ids.ADMIN_ONSPOT_SAVE,
                 ids.ADMIN_FALLBACK_SAVE, "地名库", "工作日历"):
        assert part in page
    with as_user(web, "operator"):
        message, version = act("fallback", fallback="CGJ")
        table, options = mcb.show_places(0, "")
    assert "无权" in message and version is mcb.no_update and options == []
    assert web.services.admin.audit() == []


def test_admin_adds_a_place_that_the_type_ahead_finds_in_its_grid_cell(web: Any, clock: Any) -> None:
    lon, lat = f.point(f.CORE_CELL, east_m=3)
    with as_user(web, "admin"):
        message, version = act("place_add", place_kind="landmark", place_name="测试广场", place_alias="ceshi",
                               place_lon=lon, place_lat=lat)
        assert "测试广场" in message and version == 1
        table, options = mcb.show_places(1, "测试")
    assert "测试广场" in text(table) and len(options) == 1
    found = PlaceService(web.services.db).lookup("ceshi")
    assert [(p.name, p.grid, p.district) for p in found] == [("测试广场", f.CORE_CELL, 220302)]
    entry = web.services.admin.audit(1)[0]
    assert (entry.actor, entry.action, entry.at) == ("admin", "place_create", clock())
    assert entry.detail["grid"] == f.CORE_CELL


def test_a_place_outside_every_cell_or_with_bad_fields_is_refused_and_nothing_is_written(web: Any) -> None:
    lon, lat = f.point(f.CORE_CELL)
    with as_user(web, "admin"):
        cases = [
            (dict(place_kind="landmark", place_name="城外", place_lon=f.OUTSIDE_CITY[0], place_lat=f.OUTSIDE_CITY[1]),
             "不在任何单元网格内"),
            (dict(place_kind="landmark", place_name="坏点", place_lon="abc", place_lat=lat), "经纬度须为数字"),
            (dict(place_kind="landmark", place_name="无穷", place_lon="inf", place_lat=lat), "经纬度须为数字"),
            (dict(place_kind="planet", place_name="火星", place_lon=lon, place_lat=lat), "地名类型"),
            (dict(place_kind="landmark", place_name="  ", place_lon=lon, place_lat=lat), "名称须为"),
        ]
        for form, expected in cases:
            message, version = act("place_add", **form)
            assert expected in message and version is mcb.no_update
        message, _ = act("place_save", place_kind="landmark", place_name="无选择", place_lon=lon, place_lat=lat)
        assert "请选择地名" in message
    assert web.services.admin.audit() == []
    assert PlaceService(web.services.db).lookup("城外") == []


def test_admin_renames_and_moves_a_place_and_the_audit_keeps_the_old_values(web: Any) -> None:
    ra = web.services.reference_admin
    old = f.point(f.CORE_CELL)
    new = f.point(f.OTHER_CORE_CELL)
    with as_user(web, "admin"):
        act("place_add", place_kind="landmark", place_name="老地标", place_lon=old[0], place_lat=old[1])
        place = ra.places("老地标")[0]
        assert mcb.load_place(place.id) == ("landmark", "老地标", "", old[0], old[1])
        message, _ = act("place_save", place_id=place.id, place_kind="landmark", place_name="新地标",
                         place_lon=new[0], place_lat=new[1])
        assert "新地标" in message
        unchanged, _ = act("place_save", place_id=place.id, place_kind="landmark", place_name="新地标",
                           place_lon=new[0], place_lat=new[1])
        assert "没有改动" in unchanged
    moved = ra.place(place.id)
    assert (moved.name, moved.grid, moved.district) == ("新地标", f.OTHER_CORE_CELL, 220303)
    assert PlaceService(web.services.db).lookup("老地标") == []
    entry = web.services.admin.audit(1)[0]
    assert entry.action == "place_update" and entry.target == f"place:{place.id}"
    assert entry.detail["before"]["name"] == "老地标" and entry.detail["before"]["grid"] == f.CORE_CELL


def test_a_rename_onto_an_existing_name_of_the_same_kind_is_refused(web: Any) -> None:
    ra = web.services.reference_admin
    lon, lat = f.point(f.CORE_CELL)
    with as_user(web, "admin"):
        act("place_add", place_kind="road", place_name="甲路", place_lon=lon, place_lat=lat)
        act("place_add", place_kind="road", place_name="乙路", place_lon=lon, place_lat=lat)
        again, _ = act("place_add", place_kind="road", place_name="甲路", place_lon=lon, place_lat=lat)
        second = ra.places("乙路")[0]
        message, _ = act("place_save", place_id=second.id, place_kind="road", place_name="甲路",
                         place_lon=lon, place_lat=lat)
    assert "已存在" in again and "已存在" in message
    assert ra.place(second.id).name == "乙路"


def test_admin_deletes_a_place(web: Any) -> None:
    ra = web.services.reference_admin
    lon, lat = f.point(f.CORE_CELL)
    with as_user(web, "admin"):
        act("place_add", place_kind="landmark", place_name="待删地标", place_lon=lon, place_lat=lat)
        place = ra.places("待删地标")[0]
        message, _ = act("place_delete", place_id=place.id)
        assert "待删地标" in message
        missing, _ = act("place_delete", place_id=place.id)
        assert "请选择地名" in missing
    assert ra.place(place.id) is None and PlaceService(web.services.db).lookup("待删地标") == []
    entry = web.services.admin.audit(1)[0]
    assert entry.action == "place_delete" and entry.detail["before"]["name"] == "待删地标"


def test_a_new_holiday_moves_working_day_deadlines_at_once_and_removing_it_moves_them_back(web: Any) -> None:
    dispatch, now = web.services.dispatch, web.services.clock()  # Tuesday 2026-03-10 10:00 city time
    before = dispatch.deadline(f.WATER_COVER, "normal", now)  # 2 working days
    with as_user(web, "admin"):
        message, _ = act("calendar_set", cal_day="2026-03-11", cal_kind="holiday", cal_name="测试假日")
        assert "2026-03-11" in message
        table, *_ = mcb.show_reference(1, 2026)
        assert "测试假日" in text(table)
    assert dispatch.deadline(f.WATER_COVER, "normal", now) - before == timedelta(days=1)
    entry = web.services.admin.audit(1)[0]
    assert (entry.action, entry.target, entry.detail) == (
        "calendar_set", "2026-03-11", {"kind": "holiday", "name": "测试假日", "before": None})
    with as_user(web, "admin"):
        act("calendar_remove", cal_day="2026-03-11")
        gone, _ = act("calendar_remove", cal_day="2026-03-11")
        assert "没有特别安排" in gone
    assert dispatch.deadline(f.WATER_COVER, "normal", now) == before
    assert web.services.admin.audit(1)[0].action == "calendar_remove"


def test_a_make_up_working_day_must_be_a_weekend_day_and_then_counts_as_worked(web: Any) -> None:
    dispatch = web.services.dispatch
    friday = f.utc(2026, 3, 13, 8, 0)  # 16:00 city time: 1.5 working hours left that day
    before = dispatch.deadline(f.WATER_COVER, "high", friday)  # 8 working hours → Monday
    with as_user(web, "admin"):
        weekday, version = act("calendar_set", cal_day="2026-03-12", cal_kind="workday", cal_name="调休")
        assert "须为周六或周日" in weekday and version is mcb.no_update
        bad, _ = act("calendar_set", cal_day="2026-13-45", cal_kind="holiday")
        assert "YYYY-MM-DD" in bad
        act("calendar_set", cal_day="2026-03-14", cal_kind="workday", cal_name="调休")
    after = dispatch.deadline(f.WATER_COVER, "high", friday)
    assert after < before and after.astimezone(web.services.settings.tz).date().isoformat() == "2026-03-14"


def test_working_hours_are_validated_normalised_and_used_by_the_calendar(web: Any) -> None:
    with as_user(web, "admin"):
        for bad in ("17:00-09:00", "08:00-12:00,11:00-17:00", "8-12", "25:00-26:00", ""):
            message, version = act("working_hours", hours=bad)
            assert "工作时段格式" in message and version is mcb.no_update
        message, _ = act("working_hours", hours=" 9:00-12:00 , 13:00-17:00")
        assert "09:00-12:00,13:00-17:00" in message
        *_, hours, _fallback = mcb.show_reference(1, 2026)
    assert hours == "09:00-12:00,13:00-17:00"
    cal = web.services.reference.get().calendar
    assert [(a.hour, b.hour) for a, b in cal.periods] == [(9, 12), (13, 17)]
    entry = web.services.admin.audit(1)[0]
    assert entry.target == "setting:working_hours" and entry.detail["before"] == "08:30-12:00,13:30-17:30"


def test_on_the_spot_rule_per_category_allows_forbids_and_falls_back_to_the_taxonomy(web: Any) -> None:
    rules = lambda: web.services.reference.get().rules  # noqa: E731
    default = rules().allows_onspot(f.GARBAGE)
    with as_user(web, "admin"):
        act("onspot", onspot_category=f.GARBAGE, onspot_value="1")
        assert rules().allows_onspot(f.GARBAGE)
        act("onspot", onspot_category=f.GARBAGE, onspot_value="0")
        assert not rules().allows_onspot(f.GARBAGE)
        _, onspot_table, *_ = mcb.show_reference(3, 2026)
        assert f.GARBAGE in text(onspot_table) and "不允许" in text(onspot_table)
        act("onspot", onspot_category=f.GARBAGE, onspot_value="")
        assert rules().allows_onspot(f.GARBAGE) == default
        unknown, _ = act("onspot", onspot_category="99999", onspot_value="1")
        assert "类别代码不存在" in unknown
        invalid, _ = act("onspot", onspot_category=f.GARBAGE, onspot_value="maybe")
        assert "无效的自行处置取值" in invalid
    actions = [(a.action, a.target) for a in reversed(web.services.admin.audit())]
    assert actions == [("rule_set", f"onspot:{f.GARBAGE}")] * 2 + [("rule_delete", f"onspot:{f.GARBAGE}")]


def test_the_fallback_department_routes_categories_without_a_department(web: Any) -> None:
    spots = iter(range(0, 1000, 100))  # 100 m apart: never a duplicate of the previous report

    def intake() -> Any:
        lon, lat = f.point(f.CORE_CELL, east_m=next(spots))
        return web.services.dispatch.intake(f.report(f.OTHER_EVENT, lon=lon, lat=lat), OPERATOR, Channel.HOTLINE,
                                            web.services.clock())

    assert intake().waiting is not None  # 其他事件 has no department: an operator decides
    with as_user(web, "admin"):
        bad, _ = act("fallback", fallback="NOPE")
        assert "部门不存在" in bad
        message, _ = act("fallback", fallback="CGJ")
        assert "CGJ" in message
        *_, fallback = mcb.show_reference(1, 2026)
        assert fallback == "CGJ"
    routed = intake()
    assert routed.waiting is None and routed.incident.department == "CGJ"
    with as_user(web, "admin"):
        act("fallback", fallback=None)
    assert intake().waiting is not None
    entry = web.services.admin.audit(1)[0]
    assert entry.target == "setting:fallback_department" and entry.detail == {"value": "", "before": "CGJ"}


@pytest.mark.parametrize("action", ["calendar_set", "working_hours", "onspot", "fallback"])
def test_every_reference_change_raises_the_version_other_processes_watch(web: Any, action: Any) -> None:
    from dispatch.reference import reference_version

    forms = {"calendar_set": dict(cal_day="2026-04-01", cal_kind="holiday"),
             "working_hours": dict(hours="09:00-17:00"),
             "onspot": dict(onspot_category=f.WATER_COVER, onspot_value="1"),
             "fallback": dict(fallback="SWJ")}
    with web.services.db.read() as s:
        seen = reference_version(s)
    with as_user(web, "admin"):
        _, version = act(action, **forms[action])
    assert version == 1
    with web.services.db.read() as s:
        assert reference_version(s) > seen
