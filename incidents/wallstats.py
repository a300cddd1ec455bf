"""Read-only figures the video wall needs beyond the KPI tiles: today's hourly trend per KPI, the
department ranking by on-time closure, the major incidents still waiting for an operator's
acknowledgement, and one past day's events for replay.

Kept apart from ``incidents/kpi.py`` (the tiles' one definition) because these are presentation series
for one screen; they reuse the same definitions ("today" in the city's zone, on time = resolved by the
deadline) so a sparkline's last point always equals its tile.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from incidents.kpi import start_of_day
from incidents.model import OPEN_STATES, RUNNING_STATES, State
from incidents.records import EventRow, IncidentRow


def hourly_today(now: datetime, tz: ZoneInfo, *, session: Session) -> dict[str, list[float | None]]:
    """Each KPI at the end of every local hour of today so far (the current hour = now).

    ``open``/``overdue`` are rebuilt from the incidents open now or closed today, so an incident
    rejected or merged earlier today is not counted in the past hours (a sparkline, not an audit).
    """
    day0 = start_of_day(now, tz)
    I = IncidentRow
    rows = session.execute(
        select(I.reported_at, I.closed_at, I.resolved_at, I.deadline, I.state).where(or_(
            I.reported_at >= day0, I.closed_at >= day0, I.state.in_([s.value for s in OPEN_STATES])))
    ).all()
    hours = int((now - day0).total_seconds() // 3600) + 1
    ends = [min(day0 + timedelta(hours=h + 1), now) for h in range(hours)]
    running = {s.value for s in RUNNING_STATES}
    out: dict[str, list[float | None]] = {k: [] for k in ("intake_today", "open", "overdue", "closed_today",
                                                         "ontime_rate")}
    for end in ends:
        intake = opened = late = closed = ontime = 0
        for reported, closed_at, resolved, deadline, state in rows:
            if day0 <= reported <= end:
                intake += 1
            if reported > end:
                continue
            if closed_at is not None and closed_at <= end:
                if closed_at >= day0:
                    closed += 1
                    ontime += int(resolved is not None and deadline is not None and resolved <= deadline)
                continue
            if state == State.CLOSED.value or state in {s.value for s in OPEN_STATES}:
                opened += 1
                still_running = state in running or (closed_at is not None and (resolved is None or resolved > end))
                late += int(deadline is not None and deadline < end and still_running)
        out["intake_today"].append(intake)
        out["open"].append(opened)
        out["overdue"].append(late)
        out["closed_today"].append(closed)
        out["ontime_rate"].append(round(ontime / closed, 4) if closed else None)
    return out


def department_ontime(now: datetime, tz: ZoneInfo, *, session: Session, days: int = 1) -> list[dict[str, Any]]:
    """Departments by on-time closure over the last ``days`` local days (today = 1), best first."""
    day0 = start_of_day(now, tz) - timedelta(days=days - 1)
    I = IncidentRow
    rows = session.execute(
        select(I.department, func.count(), func.count().filter(I.resolved_at <= I.deadline))
        .where(I.state == State.CLOSED.value, I.closed_at >= day0, I.closed_at <= now, I.department.is_not(None))
        .group_by(I.department)
    ).all()
    ranking = [{"department": d, "closed": c, "ontime": o, "rate": round(o / c, 4)} for d, c, o in rows if c]
    ranking.sort(key=lambda r: (-r["rate"], -r["closed"], r["department"]))
    return ranking


def unacknowledged(severities: Iterable[str], categories: Iterable[str], now: datetime, *, session: Session,
                   window: timedelta = timedelta(hours=24)) -> list[dict[str, Any]]:
    """Open major incidents (by severity or category) reported within ``window`` that no operator has
    acknowledged yet: the alerts a (re)connecting wall must show again."""
    I, E = IncidentRow, EventRow
    acked = exists().where(E.incident_id == I.id, E.action == "alert_acknowledged")
    rule = or_(I.severity.in_(list(severities)), I.category.in_(list(categories)))
    rows = session.scalars(
        select(I).where(and_(rule, I.state.in_([s.value for s in OPEN_STATES]), I.reported_at >= now - window,
                             ~acked)).order_by(I.reported_at)
    ).all()
    return [{"code": r.code, "category": r.category, "severity": r.severity, "address": r.address,
             "district": r.district, "at": r.reported_at.isoformat(), "lon": r.lon, "lat": r.lat} for r in rows]


def day_events(day0: datetime, day1: datetime, *, session: Session) -> list[dict[str, Any]]:
    """Every event in [day0, day1) with the incident fields a replayed wall draws, oldest first."""
    I, E = IncidentRow, EventRow
    rows = session.execute(
        select(E.at, E.seq, E.action, E.from_state, E.to_state, E.deadline, I.code, I.category, I.severity,
               I.lon, I.lat, I.grid, I.district, I.address)
        .join(I, I.id == E.incident_id).where(E.at >= day0, E.at < day1).order_by(E.at, E.id)
    ).all()
    return [r._asdict() for r in rows]





class WallStats:
    """The queries above, each in its own read transaction (what the wall's edges call)."""

    def __init__(self, db: Any, tz: ZoneInfo) -> None:
        self.db = db
        self.tz = tz

    def hourly(self, now: datetime) -> dict[str, list[float | None]]:
        with self.db.read() as s:
            return hourly_today(now, self.tz, session=s)

    def departments(self, now: datetime) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return department_ontime(now, self.tz, session=s)

    def alerts(self, severities: Iterable[str], categories: Iterable[str], now: datetime) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return unacknowledged(severities, categories, now, session=s)

    def day(self, day0: datetime, day1: datetime) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return day_events(day0, day1, session=s)
__all__ = ["WallStats", "hourly_today", "department_ontime", "unacknowledged", "day_events"]
