"""Batching of committed events into the wall's small deltas.

At 200 events/s one delta per commit would cost the server a KPI query per event and the browser a
re-render per event. So messages collect for a short window (50 ms by default) and leave as one delta:
the KPIs (all five numbers, ~100 bytes: a diff against "the last one sent" is wrong as soon as two
processes broadcast), map feature upserts/removals with only the fields the wall draws, ticker lines
(at most a ticker's length), and major-incident alerts raised or acknowledged in the window.

``build_delta`` is pure (tested without a server); ``Batcher`` owns only the window and its timer.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from geo.display import display_features

#: The incident fields the wall draws or shows in an incident's card; the rest stays on the server.
WALL_FIELDS = ("code", "state", "category", "severity", "lon", "lat", "grid", "district", "department",
               "overdue", "deadline", "address", "reported_at", "risk", "risk_at")
#: Breach-risk fields for a window's messages (``incidents.risk.LiveRisk.for_messages``): code → fields.
RiskFields = Callable[[Sequence[Mapping[str, Any]]], Mapping[str, Mapping[str, Any]]]
#: Actions after which the department ranking (closures today) may have changed.
RANKING_ACTIONS = frozenset({"verify_pass", "reopen"})
TICKER_SIZE = 30


def slim(view: Mapping[str, Any]) -> dict[str, Any]:
    return {k: view.get(k) for k in WALL_FIELDS}


def ticker_line(m: Mapping[str, Any]) -> dict[str, Any]:
    inc = m["incident"]
    return {"seq": m["seq"], "at": m["at"], "action": m["action"], "from_state": m["from_state"],
            "to_state": m["to_state"], "code": inc["code"], "category": inc["category"],
            "severity": inc["severity"]}


@dataclass(frozen=True)
class AlertRule:
    """Which new incidents raise the wall's full-width alert: by severity, or by category code."""

    severities: frozenset[str] = frozenset({"urgent"})
    categories: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, severities: str, categories: str = "") -> "AlertRule":
        split = lambda s: frozenset(x.strip() for x in s.split(",") if x.strip())  # noqa: E731
        return cls(split(severities), split(categories))

    def matches(self, incident: Mapping[str, Any]) -> bool:
        return incident.get("severity") in self.severities or incident.get("category") in self.categories


def alert_of(incident: Mapping[str, Any], at: str) -> dict[str, Any]:
    return {"code": incident["code"], "category": incident["category"], "severity": incident["severity"],
            "address": incident.get("address") or "", "district": incident.get("district"), "at": at,
            "lon": incident["lon"], "lat": incident["lat"]}


def build_delta(messages: Sequence[Mapping[str, Any]], kpi: Mapping[str, Any], at: str, *,
                open_states: Iterable[str], rule: AlertRule = AlertRule(),
                ticker_size: int = TICKER_SIZE, risk: RiskFields | None = None) -> dict[str, Any]:
    """One window's messages → one delta. The last state of an incident in the window wins; ``risk``
    adds each running upsert's breach risk (``risk``, ``risk_at``), one call per window."""
    open_ = set(open_states)
    latest: dict[str, Mapping[str, Any]] = {}
    alerts, acks = [], []
    for m in messages:
        inc = m["incident"]
        latest[inc["code"]] = inc
        if m["action"] == "created" and rule.matches(inc):
            alerts.append(alert_of(inc, m["at"]))
        elif m["action"] == "alert_acknowledged":
            acks.append(inc["code"])
    upsert = [slim(i) for i in latest.values() if i["state"] in open_]
    if risk is not None and upsert:
        fields = risk(messages)
        for u in upsert:
            u.update(fields.get(u["code"], {}))
    remove = [code for code, i in latest.items() if i["state"] not in open_]
    events = [ticker_line(m) for m in messages[-ticker_size:]]
    delta: dict[str, Any] = {"at": at, "kpi": dict(kpi), "upsert": upsert, "remove": remove, "events": events,
                             "n": len(messages)}
    if alerts:
        delta["alerts"] = alerts
    if acks:
        delta["acks"] = acks
    return delta


#: The parts of a snapshot, delta or replay frame that carry map points.
POINT_KEYS = ("upsert", "incidents", "alerts")


def for_display(payload: Mapping[str, Any], datum: str) -> dict[str, Any]:
    """A wall message with its points in the map's display datum (e.g. GCJ-02 tiles): the one place the
    pushed features change datum, applied by the broadcaster to every snapshot, delta and replay frame."""
    out = dict(payload)
    if datum != "wgs84":
        for key in POINT_KEYS:
            if out.get(key):
                out[key] = display_features(out[key], datum)
    return out


def touches_ranking(messages: Iterable[Mapping[str, Any]]) -> bool:
    return any(m["action"] in RANKING_ACTIONS for m in messages)


class Batcher:
    """Collects published messages for ``window_s`` seconds, then hands them to ``flush_to`` at once.

    A window of 0 flushes on every publish (one delta per commit). ``flush()`` may be called at any
    time (tests call it instead of waiting for the timer); flushes never overlap, so deltas leave in
    commit order.
    """

    def __init__(self, flush_to: Callable[[list[dict[str, Any]]], None], window_s: float = 0.05) -> None:
        self.flush_to = flush_to
        self.window_s = window_s
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._timer: threading.Timer | None = None

    def add(self, messages: Sequence[dict[str, Any]]) -> None:
        if not messages:
            return
        with self._lock:
            self._pending.extend(messages)
            start = self.window_s > 0 and self._timer is None
            if start:
                self._timer = threading.Timer(self.window_s, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if self.window_s <= 0:
            self.flush()

    def flush(self) -> int:
        """Send what is pending now; returns how many messages left."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
                self._timer = None
            if batch:
                self.flush_to(batch)
            return len(batch)


__all__ = ["AlertRule", "Batcher", "build_delta", "for_display", "slim", "ticker_line", "touches_ranking", "TICKER_SIZE"]
