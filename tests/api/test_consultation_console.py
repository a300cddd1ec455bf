"""A question answered on the spot (即时办结): the console's callbacks called as functions inside logged-in
requests, the leader's count read apart, and the same through ``POST /api/v1/consultations``."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

import factories as f
from callbacks import consultations as cb
from callbacks import intake_tools as tools
from incidents.records import ConsultationRow, IncidentRow
from channels_helpers import WALL_SECRET, api_app, bearer, client  # noqa: F401
from webapp import as_user

S = len(cb.SLOTS)


def test_the_operator_answers_a_question_and_the_form_is_ready_for_the_next_call(web: Any) -> None:
    with as_user(web, "operator"):
        out = cb.answer_on_the_spot(1, "13912345678", None, "社保卡在哪里补办？", "市民中心二楼，带身份证")
        history = str(tools.caller_history("13912345678"))
    errors, result, cleared = out[:S], out[S], out[S + 1:]
    assert errors == [""] * S and cleared == ["", None, "", ""]
    with web.services.db.read() as s:
        code = s.scalar(select(ConsultationRow.code))
        assert s.scalar(select(func.count()).select_from(IncidentRow)) == 0  # no case was made
    assert code in str(result) and "不计入案件" in str(result)
    assert code in history and "社保卡在哪里补办" in history  # the caller's earlier question is shown next time


def test_a_question_without_an_answer_is_refused_at_the_answer_field(web: Any) -> None:
    with as_user(web, "operator"):
        out = cb.answer_on_the_spot(1, "", f.WATER_COVER, "井盖归谁管？", "")
    assert "必填" in out[cb.SLOTS.index("answer")] and out[S + 1:] == [cb.no_update] * len(cb.CLEARED)
    with web.services.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConsultationRow)) == 0


def test_only_the_operator_may_answer_and_the_leader_reads_the_count(web: Any) -> None:
    with as_user(web, "verifier"):
        assert "无权" in str(cb.answer_on_the_spot(1, "", None, "问题", "答复")[S])
    with as_user(web, "operator"):
        cb.answer_on_the_spot(1, "", f.WATER_COVER, "井盖归谁管？", "市政管理处")
        cb.answer_on_the_spot(1, "", None, "办证地点？", "市民中心")
    today = web.services.clock().astimezone(web.services.settings.tz).date().isoformat()
    with as_user(web, "leader"):
        card = str(cb.consultation_count(today, today, None))
        only_class = str(cb.consultation_count(today, today, f.WATER_COVER[:3]))
    assert "2 件" in card and "1 件" in only_class
    with as_user(web, "operator"):
        assert cb.consultation_count(today, today, None) is None  # the analytics page is the leaders'


def test_a_hotline_system_answers_through_the_api_and_no_incident_is_made(client: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    r = client.post("/api/v1/consultations", json={"question": "公积金怎么提取？", "answer": "携身份证到公积金中心",
                                                    "caller_phone": "139 0000 1111"}, headers=bearer())
    assert r.status_code == 201 and r.get_json()["code"].startswith("ZX")
    doc = client.get("/api/v1/openapi.json").get_json()
    jsonschema.validate(r.get_json(), {"$ref": "#/components/schemas/Consultation", "components": doc["components"]})
    refused = client.post("/api/v1/consultations", json={"question": "？"}, headers=bearer())
    assert refused.status_code == 422 and refused.get_json()["field"] == "answer"
    wall = client.post("/api/v1/consultations", json={"question": "?", "answer": "!"}, headers=bearer(WALL_SECRET))
    assert wall.status_code == 403
    assert client.get("/api/v1/incidents", headers=bearer()).get_json()["items"] == []
