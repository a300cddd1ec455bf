"""The wall's batching and replay framing, without a server: pure functions and the window's timer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from live.batcher import AlertRule, Batcher, build_delta, touches_ranking
from live.replay import clamp_speed, frames

OPEN = ("reported", "accepted", "dispatched", "in_progress", "resolved")
T0 = datetime(2026, 3, 9, 16, 0, tzinfo=timezone.utc)


def msg(code: str, action: str, state: str, severity: str = "normal", seq: int = 1, category: str = "10101") -> dict[str, Any]:
    return {"seq": seq, "at": T0.isoformat(), "actor": "x", "action": action, "from_state": None, "to_state": state,
            "payload": {}, "incident": {"code": code, "state": state, "category": category, "severity": severity,
                                        "lon": 124.35, "lat": 43.17, "grid": "g1", "description": "secret",
                                        "reporter_phone": "13800000000", "overdue": False}}


def test_last_state_of_an_incident_in_a_window_wins_and_closed_ones_are_removed() -> None:
    d = build_delta([msg("A", "created", "reported"), msg("A", "file", "accepted", seq=2),
                     msg("B", "verify_pass", "closed")], {"open": 1}, T0.isoformat(), open_states=OPEN)
    assert [(i["code"], i["state"]) for i in d["upsert"]] == [("A", "accepted")]
    assert d["remove"] == ["B"]
    assert [e["action"] for e in d["events"]] == ["created", "file", "verify_pass"]
    assert "description" not in d["upsert"][0] and "reporter_phone" not in d["upsert"][0]  # small, and no PII


def test_ticker_lines_in_a_delta_are_bounded_by_the_ticker_length() -> None:
    d = build_delta([msg(f"C{i}", "created", "reported", seq=i) for i in range(500)], {}, "", open_states=OPEN,
                    ticker_size=30)
    assert len(d["events"]) == 30 and d["events"][-1]["code"] == "C499" and d["n"] == 500


def test_urgent_incident_raises_an_alert_and_its_acknowledgement_lowers_it() -> None:
    d = build_delta([msg("U", "created", "reported", severity="urgent"), msg("N", "created", "reported")], {}, "",
                    open_states=OPEN)
    assert [a["code"] for a in d["alerts"]] == ["U"] and "acks" not in d
    d2 = build_delta([msg("U", "alert_acknowledged", "reported")], {}, "", open_states=OPEN)
    assert d2["acks"] == ["U"] and "alerts" not in d2


def test_alert_rule_by_category_is_configurable() -> None:
    rule = AlertRule.parse("", "20101, 20102")
    assert rule.matches({"severity": "normal", "category": "20102"})
    assert not rule.matches({"severity": "urgent", "category": "10101"})


def test_ranking_is_recomputed_only_after_closures() -> None:
    assert touches_ranking([msg("A", "verify_pass", "closed")])
    assert not touches_ranking([msg("A", "created", "reported")])


def test_batcher_sends_one_batch_per_window_and_flush_is_explicit() -> None:
    sent: list[list[Any]] = []
    b = Batcher(sent.append, window_s=3600)  # a window no test waits for
    b.add([msg("A", "created", "reported")])
    b.add([msg("B", "created", "reported")])
    assert sent == []
    assert b.flush() == 2 and len(sent) == 1 and len(sent[0]) == 2
    assert b.flush() == 0 and len(sent) == 1


def test_batcher_without_window_sends_every_commit_at_once() -> None:
    sent: list[list[Any]] = []
    b = Batcher(sent.append, window_s=0)
    b.add([msg("A", "created", "reported")])
    assert len(sent) == 1


def _ev(code: str, action: str, state: str, minutes: float, severity: str = "normal") -> dict[str, Any]:
    return {"at": T0 + timedelta(minutes=minutes), "seq": 1, "action": action, "from_state": None, "to_state": state,
            "deadline": None, "code": code, "category": "10101", "severity": severity, "lon": 1.0, "lat": 2.0,
            "grid": "g", "district": 1, "address": ""}


def test_replay_frames_follow_the_day_at_the_chosen_speed() -> None:
    events = [_ev("A", "created", "reported", 0), _ev("A", "file", "accepted", 0.0001),
              _ev("B", "created", "reported", 60, "urgent"), _ev("A", "verify_pass", "closed", 120)]
    out = list(frames(events, T0, 3600, open_states=OPEN))
    assert [round(t, 2) for t, _ in out] == [0.0, 1.0, 2.0]  # one hour of the day = one second at 3600×
    assert out[0][1]["kpi"]["open"] == 1 and out[1][1]["alerts"][0]["code"] == "B"
    assert out[2][1]["remove"] == ["A"] and out[2][1]["kpi"] == {"intake_today": 2, "open": 1, "closed_today": 1,
                                                                "ontime_rate": None, "overdue": 0}


@pytest.mark.parametrize("speed", [0.5, 3601])
def test_replay_speed_is_limited(speed: float) -> None:
    with pytest.raises(ValueError):
        clamp_speed(speed)
