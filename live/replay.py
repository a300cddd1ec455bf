"""Replay of a past day from the event log, for drills and reviews.

``frames`` turns the day's events into the wall's delta shape, grouped by the real-time window they
fall in at the chosen speed (1×–3600×): a 24-hour day at 3600× lasts 24 s, in ~50 ms frames. The KPIs
are rebuilt from the replayed events alone (intake and closures of that day, open/overdue among the
incidents the day touched), so nothing of today's live state leaks in and nothing live is written.
Pure: no sockets, no clock; the broadcaster does the sleeping and the sending.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping

from live.batcher import AlertRule, alert_of

MIN_SPEED, MAX_SPEED = 1.0, 3600.0


def clamp_speed(speed: float) -> float:
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"replay speed must be within {MIN_SPEED:g}–{MAX_SPEED:g}×")
    return speed


def _feature(e: Mapping[str, Any]) -> dict[str, Any]:
    at: datetime = e["at"]
    deadline = e.get("deadline")
    return {"code": e["code"], "state": e["to_state"], "category": e["category"], "severity": e["severity"],
            "lon": e["lon"], "lat": e["lat"], "grid": e.get("grid"), "district": e.get("district"),
            "department": None, "address": e.get("address") or "", "reported_at": None,
            "deadline": deadline.isoformat() if deadline else None,
            "overdue": bool(deadline and deadline < at and e["to_state"] in ("dispatched", "in_progress"))}


def frames(events: Iterable[Mapping[str, Any]], day0: datetime, speed: float, *, open_states: Iterable[str],
           window_s: float = 0.05, rule: AlertRule = AlertRule()) -> Iterator[tuple[float, dict[str, Any]]]:
    """(seconds after the start of the replay, delta) for each frame that has events, in order."""
    speed = clamp_speed(speed)
    open_ = set(open_states)
    live: dict[str, dict[str, Any]] = {}
    intake = closed = 0
    frame: list[Mapping[str, Any]] = []
    slot = None
    for e in list(events) + [None]:  # type: ignore[list-item]
        s = None if e is None else int((e["at"] - day0).total_seconds() / speed / window_s + 1e-9)
        if frame and (e is None or s != slot):
            upsert, remove, alerts, lines = {}, [], [], []
            for x in frame:
                f = _feature(x)
                intake += x["action"] == "created"
                closed += x["action"] == "verify_pass"
                if f["state"] in open_:
                    live[f["code"]] = upsert[f["code"]] = f
                else:
                    live.pop(f["code"], None)
                    upsert.pop(f["code"], None)
                    remove.append(f["code"])
                if x["action"] == "created" and rule.matches(f):
                    alerts.append(alert_of(f, x["at"].isoformat()))
                lines.append({"seq": x["seq"], "at": x["at"].isoformat(), "action": x["action"],
                              "from_state": x["from_state"], "to_state": x["to_state"], "code": x["code"],
                              "category": x["category"], "severity": x["severity"]})
            last = frame[-1]["at"]
            kpi = {"intake_today": intake, "open": len(live), "closed_today": closed, "ontime_rate": None,
                   "overdue": sum(1 for f in live.values() if f["deadline"] and f["deadline"] < last.isoformat()
                                  and f["state"] in ("dispatched", "in_progress"))}
            delta = {"phase": "frame", "at": last.isoformat(), "kpi": kpi, "upsert": list(upsert.values()),
                     "remove": remove, "events": lines[-30:], "n": len(frame)}
            if alerts:
                delta["alerts"] = alerts
            yield slot * window_s, delta  # type: ignore[operator]
            frame = []
        if e is not None:
            slot = s
            frame.append(e)


__all__ = ["frames", "clamp_speed", "MIN_SPEED", "MAX_SPEED"]
