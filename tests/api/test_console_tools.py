"""The console's operator tools called as functions inside a logged-in request: type-ahead, caller
history, search with masked phones, duplicates (merge / keep apart), and callbacks."""
from __future__ import annotations

from typing import Any

from dash import no_update


import factories as f
from callbacks import intake as cb
from callbacks import intake_tools as tools
from incidents.model import Channel, State
from layouts import ids
from webapp import as_user

N = len(ids.INTAKE_FIELDS)


def test_typing_a_landmark_offers_it_and_choosing_it_fills_address_and_point(web: Any) -> None:
    with as_user(web, "operator"):
        options = tools.place_options("英雄广", None)
    assert options[0]["label"].startswith("英雄广场")
    address, lon, lat = tools.place_chosen(options[0]["value"], "")
    assert address == "英雄广场"
    assert web.services.grid.locate_one(lon, lat).startswith("220302")


def test_the_caller_history_shows_earlier_incidents_with_outcome(web: Any) -> None:
    svc = web.services
    first = svc.dispatch.intake(f.report(grid=svc.grid, reporter_phone="13612345678"), f.operator(),
                                Channel.HOTLINE, svc.clock()).incident
    with as_user(web, "operator"):
        shown = str(tools.caller_history("136 1234 5678"))
    assert first.code in shown and "13612345678" in shown


def test_search_shows_the_whole_phone_to_operators_only(web: Any) -> None:
    svc = web.services
    inc = svc.dispatch.intake(f.report(grid=svc.grid, reporter_phone="13612345678"), f.operator(),
                              Channel.HOTLINE, svc.clock()).incident
    with as_user(web, "operator"):
        shown = str(tools.search_incidents(inc.code))
    assert "13612345678" in shown
    with as_user(web, "leader"):
        assert "13612345678" not in str(tools.search_incidents(inc.code))  # refused outright
    from sqlalchemy import select

    from incidents.records import AuditRow

    with svc.db.read() as s:  # the operator's view of the whole number is traceable
        rows = s.scalars(select(AuditRow).where(AuditRow.action == "view_phone")).all()
    assert [(r.actor, r.target, r.detail["via"]) for r in rows] == [("operator", inc.code, "search")]


def test_a_duplicate_intake_shows_candidates_and_the_operator_merges(web: Any) -> None:
    svc = web.services
    first = svc.dispatch.intake(f.report(grid=svc.grid), f.operator(), Channel.HOTLINE, svc.clock()).incident
    lon, lat = f.point(east_m=20)
    with as_user(web, "operator"):
        out = cb.submit_report(1, f.WATER_COVER, "normal", "井盖又丢了", "", lon, lat, "13911112222", 0)
        state = out[N + 2]
        assert [c["code"] for c in state["candidates"]] == [first.code]
        panel, options, value, hidden, figure = tools.show_duplicates(state)
        assert value == first.code and hidden is False
        message, cleared, _ = tools.duplicate_action("merge", state, value, 0)
    assert cleared is None and first.code in message
    assert svc.incidents.get(state["code"]).state == State.MERGED
    assert svc.incidents.timeline(first.code)[-1].action == "reporter_added"


def test_keeping_apart_dispatches_by_the_rules(web: Any) -> None:
    svc = web.services
    svc.dispatch.intake(f.report(grid=svc.grid), f.operator(), Channel.HOTLINE, svc.clock())
    lon, lat = f.point(east_m=20)
    with as_user(web, "operator"):
        state = cb.submit_report(1, f.WATER_COVER, "normal", "另一个井盖", "", lon, lat, "", 0)[N + 2]
        tools.duplicate_action("keep", state, None, 0)
    assert svc.incidents.get(state["code"]).state == State.DISPATCHED


def test_a_dissatisfied_callback_reopens_from_the_console(web: Any) -> None:
    svc = web.services
    inc = svc.dispatch.intake(f.report(grid=svc.grid), f.operator(), Channel.HOTLINE, svc.clock()).incident
    inc = svc.incidents.act(inc.code, "acknowledge", f.dept_handler(), inc.version, svc.clock())
    inc = svc.incidents.act(inc.code, "resolve", f.dept_handler(), inc.version, svc.clock())
    svc.incidents.act(inc.code, "verify_pass", f.verifier(), inc.version, svc.clock())
    with as_user(web, "operator"):
        message = tools.record_callback(1, inc.code, ["yes"], "dissatisfied", "没修好", ["yes"])
        missing = tools.record_callback(1, "2099010100001", ["yes"], "satisfied", "", [])
    assert inc.code in message and svc.incidents.get(inc.code).state == State.ACCEPTED
    assert "找不到" in missing


def test_a_patrol_report_with_a_photo_is_resolved_on_the_spot(web: Any, tmp_path: Any) -> None:
    import base64
    import re

    from callbacks import report as rcb

    svc = web.services
    svc.settings.uploads_dir = tmp_path
    png = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
    lon, lat = f.point()
    with as_user(web, "grid_worker"):
        message = rcb.submit_patrol(1, png, lon, lat, f.GARBAGE, "垃圾已清理", ["yes"])
        refused = rcb.submit_patrol(1, "data:text/html;base64," + base64.b64encode(b"<html>").decode(), lon, lat,
                                    f.GARBAGE, "x", [])
    code = re.search(r"\d{13}", message).group(0)
    incident = svc.incidents.get(code)
    assert incident.state == State.RESOLVED and incident.channel == Channel.PATROL
    assert (tmp_path / incident.extra["photo"]).exists()
    assert "JPEG" in refused
    with as_user(web, "operator"):
        assert "无权" in rcb.submit_patrol(1, None, lon, lat, f.GARBAGE, "x", [])


def test_the_callbacks_due_list_picks_a_case_into_the_form_and_empties_when_called_back(web: Any) -> None:
    """待回访: closed, not yet called back, longest waiting first; 回访 fills the code; recorded → gone."""
    from test_queue_dispatch import triggered

    svc = web.services
    closed = []
    for east in (0, 300):
        inc = svc.dispatch.intake(f.report(grid=svc.grid, east_m=east), f.operator(), Channel.HOTLINE,
                                  svc.clock()).incident
        inc = svc.incidents.act(inc.code, "acknowledge", f.dept_handler(), inc.version, svc.clock())
        inc = svc.incidents.act(inc.code, "resolve", f.dept_handler(), inc.version, svc.clock())
        closed.append(svc.incidents.act(inc.code, "verify_pass", f.verifier(), inc.version, svc.clock()))
        svc.clock.advance(minutes=5)
    with as_user(web, "operator"):
        shown = str(tools.show_callbacks_due(None))
        assert shown.index(closed[0].code) < shown.index(closed[1].code) and "13800138000" in shown
        assert f"/case/{closed[0].code}" in shown  # a row's code opens its case file
        with triggered(f'{{"code":"{closed[0].code}","type":"callback-pick"}}', "n_clicks"):
            assert tools.pick_callback([1, 0]) == closed[0].code
        tools.record_callback(1, closed[0].code, ["yes"], "satisfied", "", [])
        after = str(tools.show_callbacks_due("done"))
    assert closed[0].code not in after and closed[1].code in after
    with as_user(web, "leader"):
        assert "13800138000" not in str(tools.show_callbacks_due(None))  # operators only


def test_a_repeat_call_is_offered_before_submit_and_the_caller_joins_the_open_case(web: Any) -> None:
    """Category and place of a call matching an open case show it before anything is stored; "加入此案件"
    records the caller on it (reporter_added) and makes no new case."""
    from sqlalchemy import func, select

    from incidents.records import IncidentRow

    svc = web.services
    first = svc.dispatch.intake(f.report(grid=svc.grid), f.operator(), Channel.HOTLINE, svc.clock()).incident
    lon, lat = f.point(east_m=15)
    with as_user(web, "operator"):
        offered = str(tools.show_likely_duplicates(f.WATER_COVER, lon, lat))
        assert first.code in offered and "来电人加入此案件" in offered
        assert tools.show_likely_duplicates(f.GARBAGE, lon, lat) is None  # another category: nothing to join
        with svc.db.read() as s:
            before = s.scalar(select(func.count()).select_from(IncidentRow))
        kept, _, refused = tools.add_caller_to(first.code, {"category": f.WATER_COVER, "severity": "normal",
                                                            "description": "", "lon": lon, "lat": lat}, 0)
        # the form is checked as a submit would be; the refusal names the field, beside the button
        assert "必填" in refused and "问题描述" in refused and first.code in refused and kept is no_update
        message, version, beside = tools.add_caller_to(first.code, {
            "category": f.WATER_COVER, "severity": "normal", "description": "又一位市民反映井盖丢失",
            "address": "", "lon": lon, "lat": lat, "reporter_phone": "13912345678"}, 0)
    assert first.code in str(message) and version == 1 and beside == ""
    with svc.db.read() as s:
        assert s.scalar(select(func.count()).select_from(IncidentRow)) == before
    added = svc.incidents.timeline(first.code)[-1]
    assert added.action == "reporter_added" and added.payload["reporter_phone"] == "13912345678"
