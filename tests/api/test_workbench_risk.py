"""The workbench queue's breach-risk column: a percentage from services.analytics.breach_risk, a dash when the
model has no answer, is absent, or fails — the handler's queue must never break because of it."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

import pytest

import factories as f
from callbacks import workbench as wcb
from callbacks.risk_column import risk_labels
from incidents.model import Actor, Channel, Role
from webapp import as_user

OPERATOR = Actor("operator", Role.OPERATOR)


class FixedRisk:
    """A stand-in model: the given probabilities, and the codes it was asked about."""

    def __init__(self, risks: dict[str, float | None]) -> None:
        self.risks = risks
        self.asked: list[list[str]] = []

    def breach_risk(self, now: datetime, codes: Iterable[str] | None = None) -> dict[str, float | None]:
        self.asked.append(list(codes or []))
        return {c: self.risks.get(c) for c in codes or []}


class BrokenRisk:
    def breach_risk(self, now: datetime, codes: Iterable[str] | None = None) -> dict[str, float | None]:
        raise RuntimeError("model not fitted")


def swj_incidents(web: Any, n: int) -> list[str]:
    """``n`` water-cover reports 100 m apart (never duplicates), auto-dispatched to SWJ (``dept_handler``)."""
    codes = []
    for k in range(n):
        lon, lat = f.point(f.CORE_CELL, east_m=100 * k)
        result = web.services.dispatch.intake(f.report(f.WATER_COVER, lon=lon, lat=lat), OPERATOR, Channel.HOTLINE,
                                              web.services.clock())
        assert result.waiting is None
        codes.append(result.incident.code)
    return codes


def queue_risk(web: Any) -> dict[str, str]:
    with as_user(web, "dept_handler"):
        return {r["code"]: r["risk"] for r in wcb.show_queue(0)}


def test_the_queue_shows_each_incidents_breach_risk_as_a_percentage(web: Any, monkeypatch: Any) -> None:
    a, b, c = swj_incidents(web, 3)
    model = FixedRisk({a: 0.374, b: 1.0, c: None})
    monkeypatch.setattr(web.services, "analytics", model)
    assert queue_risk(web) == {a: "37%", b: "100%", c: "–"}
    assert sorted(model.asked[0]) == sorted([a, b, c])  # one call for the whole queue, only my codes


@pytest.mark.parametrize("analytics", [None, BrokenRisk()], ids=["absent", "raises"])
def test_without_a_working_risk_model_the_column_shows_a_dash_and_the_queue_still_loads(
        web: Any, monkeypatch: Any, analytics: Any) -> None:
    (code,) = swj_incidents(web, 1)
    monkeypatch.setattr(web.services, "analytics", analytics)
    assert queue_risk(web) == {code: "–"}


def test_with_the_real_model_an_incident_past_its_deadline_is_certain_to_miss_it(web: Any, clock: Any) -> None:
    (code,) = swj_incidents(web, 1)
    assert queue_risk(web) == {code: "–"}  # no resolved history yet: the model has no answer
    deadline = web.services.incidents.get(code).deadline
    clock.set(deadline + timedelta(minutes=1))
    assert queue_risk(web) == {code: "100%"}


def test_risk_labels_clamp_odd_values_and_ask_nothing_for_an_empty_queue() -> None:
    model = FixedRisk({"A": 1.7, "B": -0.2, "C": "n/a"})  # type: ignore[dict-item]
    assert risk_labels(model, f.utc(2026, 3, 10, 2), ["A", "B", "C", "D"], "en") == {
        "A": "100%", "B": "0%", "C": "–", "D": "–"}
    assert risk_labels(model, f.utc(2026, 3, 10, 2), [], "zh") == {} and len(model.asked) == 1
