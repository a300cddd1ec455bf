"""Breach risk on the wall: the ``risk``/``risk_at`` fields of snapshot and delta features (incidents.risk.LiveRisk)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

import factories as f
from dispatch.risk_clock import reference_elapsed
from incidents.model import Actor, Channel, Role
from incidents.risk import AT_RISK, LiveRisk, RiskModel
from live.batcher import build_delta
from live.snapshot import wall_state

OPERATOR = Actor("operator", Role.OPERATOR)
OPEN = ("reported", "accepted", "dispatched", "in_progress", "resolved")


def model_late_after_half() -> RiskModel:
    """Every history: shares 0.1 … 1.9 evenly — half the cases finished after their deadline."""
    shares = np.linspace(0.1, 1.9, 100)
    return RiskModel.from_shares([("", "", float(s)) for s in shares], min_samples=30)


@pytest.mark.parametrize("seed", range(5))
def test_threshold_share_is_where_the_probability_first_reaches_the_at_risk_level(seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = RiskModel.from_shares([("D", "C", float(x)) for x in rng.gamma(2.0, 0.4, 400)])
    e = model.threshold_share("D", "C")
    assert e is not None and 0 <= e <= 1
    assert model.probability("D", "C", e) >= AT_RISK
    if e > 0:
        assert model.probability("D", "C", e - 1e-6) < AT_RISK


def test_with_no_late_case_in_history_an_incident_is_at_risk_once_slower_than_any_case_seen() -> None:
    model = RiskModel.from_shares([("", "", x) for x in np.linspace(0.2, 0.6, 40)])
    assert model.threshold_share("", "X") == pytest.approx(0.6)
    assert model.probability("", "X", 0.59) == 0.0 and model.probability("", "X", 0.6) == 1.0


def dispatched(services: Any, k: int = 0) -> str:
    lon, lat = f.point(f.CORE_CELL, east_m=100 * k)
    result = services.dispatch.intake(f.report(f.WATER_COVER, lon=lon, lat=lat), OPERATOR, Channel.HOTLINE,
                                      services.clock())
    assert result.waiting is None and result.incident.state.value == "dispatched"
    return result.incident.code


def live_risk(services: Any, model: RiskModel, elapsed: Any = None) -> LiveRisk:
    live = LiveRisk(services.db, services.settings.tz, lambda: elapsed)
    live._model = (services.clock().astimezone(services.settings.tz).date(), model, elapsed)  # no history to fit
    return live


def test_a_delta_carries_the_risk_of_each_running_incident_from_the_dispatch_message_alone(
        services: Any, published: list[dict[str, Any]], clock: Any) -> None:
    code = dispatched(services)
    live = live_risk(services, model_late_after_half())
    queries: list[Any] = []
    live._starts_query = lambda s, codes: queries.append(codes) or {}  # type: ignore[method-assign]
    now = clock()
    delta = build_delta(published, {}, now.isoformat(), open_states=OPEN, risk=lambda ms: live.for_messages(ms, now))
    feature = next(u for u in delta["upsert"] if u["code"] == code)
    assert feature["risk"] == pytest.approx(0.5, abs=0.01)  # just dispatched: P = S(1)/S(0) = 50/100
    deadline = datetime.fromisoformat(feature["deadline"])
    start = datetime.fromisoformat(next(m["at"] for m in published if m["action"] == "dispatch"))
    risk_at = datetime.fromisoformat(feature["risk_at"])
    assert start <= risk_at < deadline  # P ≥ 0.5 from the start in this history
    assert queries == []  # the round start came with the dispatch message: no query


def test_an_incident_later_in_its_round_is_riskier_and_unknown_starts_are_fetched_in_one_query(
        services: Any, published: list[dict[str, Any]], clock: Any) -> None:
    codes = [dispatched(services, k) for k in range(3)]
    live = live_risk(services, model_late_after_half())
    clock.advance(hours=1)
    acks = [m | {"action": "acknowledge"} for m in published if m["action"] == "dispatch"]  # no round start in them
    calls: list[list[str]] = []
    original = live._starts_query

    def counting(s: Any, wanted: Any) -> Any:
        calls.append(sorted(wanted))
        return original(s, wanted)

    live._starts_query = counting  # type: ignore[method-assign]
    fields = live.for_messages(acks, clock())
    assert calls == [sorted(codes)]  # one batched query for the three
    assert set(fields) == set(codes)
    early = live.fields(live._model[1], None, acks[0]["incident"], live._starts[codes[0]], live._starts[codes[0]])
    assert fields[codes[0]]["risk"] >= early["risk"]
    live.for_messages(acks, clock())
    assert len(calls) == 1  # cached now


def test_the_snapshot_features_carry_risk_and_closed_incidents_none(services: Any, clock: Any) -> None:
    code = dispatched(services)

    class Broadcaster:
        rule = None
        risk = live_risk(services, model_late_after_half(), reference_elapsed(services.reference))

    from live.batcher import AlertRule

    Broadcaster.rule = AlertRule()
    services.broadcaster = Broadcaster()
    state = wall_state(services)
    feature = next(i for i in state["incidents"] if i["code"] == code)
    assert feature["risk"] is not None and 0 <= feature["risk"] <= 1 and feature["risk_at"]
    clock.advance(days=30)  # long past the deadline: overdue, so certain
    feature = next(i for i in wall_state(services)["incidents"] if i["code"] == code)
    assert feature["overdue"] and feature["risk"] == 1.0


def test_a_failing_model_gives_no_risk_and_the_delta_still_leaves(services: Any, published: list[dict[str, Any]],
                                                                   clock: Any) -> None:
    dispatched(services)
    live = LiveRisk(services.db, services.settings.tz, lambda: 1 / 0)  # the clock factory raises
    delta = build_delta(published, {"open": 1}, clock().isoformat(), open_states=OPEN,
                        risk=lambda ms: live.for_messages(ms, clock()))
    assert delta["upsert"] and all(u["risk"] is None and u["risk_at"] is None for u in delta["upsert"])
    assert live.snapshot(delta["upsert"], clock()) == {}


def test_wall_fields_without_a_risk_model_are_present_and_empty() -> None:
    d = build_delta([{"seq": 1, "at": "", "action": "created", "from_state": None, "to_state": "reported",
                      "incident": {"code": "A", "state": "reported", "category": "1", "severity": "normal"}}],
                    {}, "", open_states=OPEN)
    assert d["upsert"][0]["risk"] is None and d["upsert"][0]["risk_at"] is None


def test_round_time_in_working_time_reaches_the_threshold_in_working_hours(services: Any) -> None:
    """risk_at for a working-day limit falls in working time, not at night (the bisection uses the SLA clock)."""
    el = reference_elapsed(services.reference)
    from incidents.risk import _moment_at

    start = f.T0.replace(hour=1)  # 09:00 Asia/Shanghai on a Tuesday
    deadline = start + timedelta(days=2)
    at = _moment_at(start, deadline, 0.5, f.WATER_COVER, "normal", el)
    assert el(start, at, f.WATER_COVER, "normal") == pytest.approx(0.5 * el(start, deadline, f.WATER_COVER, "normal"),
                                                                      rel=1e-3)


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """One entry per fit of the risk model (incidents.risk.fit, still fitting for real)."""
    import incidents.risk as risk_module

    calls: list[Any] = []
    real_fit = risk_module.fit
    monkeypatch.setattr(risk_module, "fit", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    return calls


def test_an_empty_model_is_not_refitted_on_every_delta(services: Any, published: list[dict[str, Any]],
                                                        clock: Any, fits: list[Any]) -> None:
    """A new install has no resolve to learn from: the fit is tried again every EMPTY_REFIT, not 20× a second."""
    import incidents.risk as risk_module

    dispatched(services)
    live = LiveRisk(services.db, services.settings.tz)
    for _ in range(5):
        live.for_messages(published, clock())
    assert len(fits) == 1
    clock.advance(seconds=risk_module.EMPTY_REFIT.total_seconds() + 1)
    live.for_messages(published, clock())
    assert len(fits) == 2


def test_walls_reconnecting_together_reuse_one_snapshot_scoring_but_not_for_incidents_touched_since(
        services: Any, published: list[dict[str, Any]], clock: Any) -> None:
    first, second = dispatched(services, 0), dispatched(services, 1)
    live = live_risk(services, model_late_after_half())
    features = [dict(m["incident"]) for m in published if m["action"] == "dispatch"]
    before = live.snapshot(features, clock())
    assert set(before) == {first, second}
    queries: list[Any] = []
    live._starts_query = lambda s, codes: queries.append(codes) or {}  # type: ignore[method-assign]
    clock.advance(seconds=5)
    assert live.snapshot(features, clock()) == before and queries == []  # reused: no query, no scoring
    # a reassign of `second` (a new round) drops it from the reuse: the next snapshot scores it afresh
    moved = next(m for m in published if m["incident"]["code"] == second and m["action"] == "dispatch")
    live.for_messages([{**moved, "action": "reassign", "at": clock().isoformat()}], clock())
    again = live.snapshot(features, clock())
    assert again[first] == before[first] and again[second] != before[second]
    clock.advance(seconds=10)  # past SNAPSHOT_REUSE: everything is scored again from the database
    live.snapshot(features, clock())
    assert queries and queries[-1] is None


def test_a_snapshot_tries_an_empty_model_again_at_once(services: Any, published: list[dict[str, Any]],
                                                       clock: Any, fits: list[Any]) -> None:
    """History may arrive from another process (an import, a second app): a wall connecting sees it at once."""
    dispatched(services)
    live = LiveRisk(services.db, services.settings.tz)
    live.for_messages(published, clock())
    live.for_messages(published, clock())
    assert len(fits) == 1
    features = [dict(m["incident"]) for m in published if m["action"] == "dispatch"]
    live.snapshot(features, clock())
    live.snapshot(features, clock())
    assert len(fits) == 3  # each snapshot refits while the model is empty (and reuses nothing)


def test_round_starts_kept_in_memory_are_forgotten_at_the_next_local_day(
        services: Any, published: list[dict[str, Any]], clock: Any) -> None:
    """An incident resolved in another process never tells this one: its round start would stay forever."""
    code = dispatched(services)
    live = live_risk(services, model_late_after_half())
    live.for_messages(published, clock())
    assert code in live._starts
    gone = "2000010100001"
    live._starts[gone] = clock()  # as if left the running states elsewhere
    clock.advance(hours=24)
    live._model = (clock().astimezone(services.settings.tz).date(), model_late_after_half(), None)
    acks = [m | {"action": "acknowledge"} for m in published if m["action"] == "dispatch"]
    fields = live.for_messages(acks, clock())
    assert gone not in live._starts
    assert set(live._starts) == {code} and fields[code]["risk"] is not None  # fetched again, in one query
