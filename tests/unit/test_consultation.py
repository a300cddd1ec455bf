"""即时办结: a question answered on the spot is checked, gets its two-event trail and a ``ZX`` code — pure."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import factories as f
from incidents.consultation import ConsultationError, ConsultationEvent, code_for, parse_consultation, trail
from incidents.intake import IntakeError
from incidents.model import Channel

NOW = datetime(2026, 3, 10, 17, 30, tzinfo=timezone.utc)  # 01:30 on 11 March in Asia/Shanghai


class Taxonomy:
    def get(self, code: str) -> Any:
        if code != f.WATER_COVER:
            raise KeyError(code)
        return code


def parse(**raw: Any) -> Any:
    return parse_consultation({"question": "垃圾清运时间？", "answer": "每天早六点", **raw}, taxonomy=Taxonomy(),
                              channel=Channel.HOTLINE)


def test_a_question_and_its_answer_make_a_consultation_with_the_callers_number_normalised() -> None:
    d = parse(reporter_phone="139 1234 5678", category=f.WATER_COVER)
    assert (d.question, d.answer, d.caller_phone, d.category) == ("垃圾清运时间？", "每天早六点", "13912345678", f.WATER_COVER)


def test_the_topic_is_optional_and_the_consoles_description_is_the_question() -> None:
    d = parse_consultation({"description": "  办证地点？ ", "answer": "市民中心"}, taxonomy=Taxonomy(),
                           channel=Channel.HOTLINE)
    assert d.question == "办证地点？" and d.category is None and d.caller_phone == ""


@pytest.mark.parametrize("raw, field, code", [
    ({"question": ""}, "description", "required"),
    ({"answer": "  "}, "answer", "required"),
    ({"answer": "x" * 4001}, "answer", "too_long"),
    ({"category": "99999"}, "category", "unknown_category"),
    ({"reporter_phone": "call me"}, "reporter_phone", "invalid_phone"),
])
def test_a_consultation_without_what_it_needs_names_the_field(raw: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(IntakeError) as e:
        parse(**raw)
    assert (e.value.field, e.value.code) == (field, code)


def test_it_is_received_and_answered_at_once_by_the_operator() -> None:
    events = trail(parse(), f.operator(), NOW)
    assert [(e.seq, e.action, e.actor, e.at) for e in events] == [(1, "received", "op1", NOW),
                                                                  (2, "answered", "op1", NOW)]
    assert events[0].payload["question"] == "垃圾清运时间？" and events[1].payload["answer"] == "每天早六点"


@pytest.mark.parametrize("who", [f.dept_handler(), f.verifier(), f.leader(), f.wall()])
def test_only_the_hotline_may_answer_a_consultation(who: Any) -> None:
    with pytest.raises(ConsultationError) as e:
        trail(parse(), who, NOW)
    assert e.value.code == "forbidden"


def test_the_trail_names_only_its_closed_list_of_actions() -> None:
    with pytest.raises(ValueError):
        ConsultationEvent(3, NOW, "operator", "reopen")


def test_the_code_says_consultation_and_carries_the_citys_local_date() -> None:
    assert code_for(42, NOW, ZoneInfo("Asia/Shanghai")) == "ZX20260311000042"
