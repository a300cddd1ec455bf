"""The console's callbacks called directly as functions, inside a request of a logged-in user."""
from __future__ import annotations

import re

from typing import Any

from dash import no_update

from callbacks import intake as cb
from callbacks import case_decisions as cd
from callbacks import queue as qcb
from factories import GARBAGE, OTHER_EVENT, RURAL_CELL, WATER_COVER, point
from incidents.model import State
from layouts import ids
from webapp import as_user

N = len(ids.INTAKE_FIELDS)


def _submit(category: Any, lon: Any, lat: Any, description: Any = "路面井盖缺失", phone: Any = "") -> list[Any]:
    return cb.submit_report(1, category, "normal", description, "", lon, lat, phone, 0)


def test_submit_dispatches_an_unambiguous_report_and_shows_code_and_deadline(web: Any) -> None:
    lon, lat = point()
    with as_user(web, "operator"):
        out = _submit(WATER_COVER, lon, lat)
    assert out[:N] == [""] * N
    result, queue_version = out[N], out[N + 1]
    code = result.to_plotly_json()["props"]["data-code"]
    incident = web.services.incidents.get(code)
    assert incident.state == State.DISPATCHED and incident.department == "SWJ"
    text = str(result.to_plotly_json())
    assert code in text and "2026-03-" in text  # the deadline, in city time
    assert queue_version == 1
    assert out[N + 3:] == [None, "", "", None, None, "", None]  # the form is emptied for the next call



def test_missing_category_is_shown_next_to_the_field_and_nothing_is_stored(web: Any) -> None:
    lon, lat = point()
    with as_user(web, "operator"):
        out = _submit(None, lon, lat)
    errors = dict(zip(ids.INTAKE_FIELDS, out[:N]))
    assert errors["category"] == "此项为必填项"
    assert web.services.incidents.list() == []


def test_point_outside_the_city_is_a_location_error_in_english_too(web: Any) -> None:
    with as_user(web, "operator", lang="en"):
        out = _submit(WATER_COVER, 116.4, 39.9)
    assert dict(zip(ids.INTAKE_FIELDS, out[:N]))["location"] == "This place lies outside Siping's grids"
    assert all(v is no_update for v in out[N + 3:])  # a refused report keeps what the operator typed


def test_ambiguous_report_waits_in_the_queue_and_the_operator_dispatches_it(web: Any) -> None:
    lon, lat = point(RURAL_CELL)
    with as_user(web, "operator"):
        out = _submit(GARBAGE, lon, lat)
        assert "待派遣队列" in str(out[N].to_plotly_json())
        [code] = re.findall(r"data-case-row='([0-9]+)'", repr(qcb.show_queue(1, 0)))
        version = web.services.incidents.get(code).version
        message, _ = cd.dispatch(1, f"{code}@{version}", "CGJ", None, 1)
    assert code in message
    assert web.services.incidents.get(code).state == State.DISPATCHED


def test_dispatch_from_a_stale_queue_is_refused_as_a_conflict(web: Any) -> None:
    lon, lat = point()
    with as_user(web, "operator"):
        _submit(OTHER_EVENT, lon, lat)
        [code] = re.findall(r"data-case-row='([0-9]+)'", repr(qcb.show_queue(1, 0)))
        version = web.services.incidents.get(code).version
        refused, _ = cd.reject(1, f"{code}@{version}", None, 1)  # 不予立案 needs a reason
        assert "原因" in refused or "理由" in refused
        cd.reject(1, f"{code}@{version}", "重复来电，已答复", 1)  # rejected at this version
        message, _ = cd.dispatch(1, f"{code}@{version}", "CGJ", None, 2)  # the old version again
    assert "已被他人更新" in message
    assert web.services.incidents.get(code).state == State.REJECTED
    assert web.services.incidents.timeline(code)[-1].payload["reason"] == "重复来电，已答复"  # kept in the trail


def test_callbacks_refuse_a_user_whose_role_may_not_report(web: Any) -> None:
    lon, lat = point()
    with as_user(web, "wall"):
        out = _submit(WATER_COVER, lon, lat)
        message, _ = cd.dispatch(1, "2026031000001@1", "CGJ", None, 0)
    assert "无权" in str(out[N].to_plotly_json()) and "无权" in message
    assert web.services.incidents.list() == []


def test_user_text_is_rendered_as_text_not_html(web: Any) -> None:
    lon, lat = point()
    with as_user(web, "operator"):
        _submit(OTHER_EVENT, lon, lat, description="<img src=x onerror=alert(1)>")
        table = qcb.show_queue(1, 0)
    # Dash components carry text as props; no component here renders markup (no dangerously_allow_html).
    assert "dangerously" not in str(table.to_plotly_json())
