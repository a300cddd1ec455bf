"""The live KPIs. Their definitions (keys, order, rules) live in data/indicators.toml ``[live]`` with the
analytics indicators; this module computes them from the incidents table for the wall's tiles.

"Today" is the city's local day (Asia/Shanghai by default), not UTC's. Overdue is computed here from
the deadline when read, never stored.
"""
from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from incidents.indicators import load as load_indicators
from incidents.model import OPEN_STATES, RUNNING_STATES, State
from incidents.records import IncidentRow

KPI_KEYS: tuple[str, ...] = tuple(load_indicators().live)


def start_of_day(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tz).astimezone(timezone.utc)


def snapshot(now: datetime, tz: ZoneInfo, *, session: Session) -> dict[str, Any]:
    """The wall's tiles. ``ontime_rate`` = closed today and resolved by the deadline ÷ closed today
    (``None`` when nothing closed today, so the wall shows a dash rather than a fake 0 %)."""
    day0 = start_of_day(now, tz)
    I = IncidentRow
    open_states = [s.value for s in OPEN_STATES]
    running = [s.value for s in RUNNING_STATES]
    closed_today = and_(I.state == State.CLOSED.value, I.closed_at >= day0)
    counts = session.execute(
        select(
            func.count().filter(I.state.in_(open_states)),
            func.count().filter(I.state.in_(running), I.deadline < now),
            func.count().filter(closed_today),
            func.count().filter(closed_today, I.resolved_at <= I.deadline),
        )
    ).one()
    intake = session.scalar(select(func.count()).select_from(I).where(I.reported_at >= day0, I.reported_at <= now))
    closed, ontime = counts[2], counts[3]
    return {
        "intake_today": intake or 0,
        "open": counts[0],
        "overdue": counts[1],
        "closed_today": closed,
        "ontime_rate": round(ontime / closed, 4) if closed else None,
    }


__all__ = ["KPI_KEYS", "snapshot", "start_of_day"]
