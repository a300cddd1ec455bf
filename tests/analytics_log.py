"""Hand-built event logs for the analytics tests: incidents and events written straight to the tables,
so each indicator can be checked against a known answer without running the services' rules."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from incidents import milestones
from incidents.records import EventRow, IncidentRow

#: (at, action, to_state, extras) — extras may hold department, deadline, payload.
Step = tuple[datetime, str, str, dict[str, Any]]


def write_incident(services: Any, code: str, steps: Sequence[Step], *, category: str = "10101",
                   district: int = 220302, grid: str = "220302001001001", lon: float = 124.30123,
                   lat: float = 43.1991, phone: str = "13800138000") -> int:
    """One incident with ``created`` at the first step's time, then ``steps`` in order."""
    reported = steps[0][0]
    events = [(reported, "created", "reported", {})] + list(steps[1:]) if steps[0][1] != "created" else list(steps)
    with services.db.write.begin() as s:
        row = IncidentRow(code=code, state=events[-1][2], category=category, severity="normal", description="t",
                          lon=lon, lat=lat, grid=grid, district=district, channel="hotline", address="",
                          reporter_phone=phone, reported_at=reported, updated_at=events[-1][0], version=len(events),
                          extra={})
        s.add(row)
        s.flush()
        state, dept, deadline = None, None, None
        for seq, (at, action, to_state, extra) in enumerate(events, start=1):
            dept = extra.get("department", dept)
            deadline = extra.get("deadline", deadline)
            s.add(EventRow(incident_id=row.id, seq=seq, at=at, actor="t", action=action, from_state=state,
                           to_state=to_state, department=dept, assignee=None, deadline=deadline, version=seq,
                           payload=extra.get("payload", {})))
            state = to_state
        row.department, row.deadline = dept, deadline
        s.flush()
        milestones.rebuild(session=s, ids=[row.id])  # the summary every event write path maintains
        return row.id


def add_events(services: Any, code: str, steps: Sequence[Step]) -> None:
    """Append later events to an incident written by :func:`write_incident`."""
    from sqlalchemy import func, select

    with services.db.write.begin() as s:
        row = s.scalars(select(IncidentRow).where(IncidentRow.code == code)).one()
        last = s.scalars(select(EventRow).where(EventRow.incident_id == row.id).order_by(EventRow.seq.desc())).first()
        seq0 = s.scalar(select(func.max(EventRow.seq)).where(EventRow.incident_id == row.id)) or 0
        state, dept, deadline = last.to_state, last.department, last.deadline
        for k, (at, action, to_state, extra) in enumerate(steps, start=1):
            dept = extra.get("department", dept)
            deadline = extra.get("deadline", deadline)
            s.add(EventRow(incident_id=row.id, seq=seq0 + k, at=at, actor="t", action=action, from_state=state,
                           to_state=to_state, department=dept, assignee=None, deadline=deadline, version=seq0 + k,
                           payload=extra.get("payload", {})))
            state = to_state
        row.state = state
        s.flush()
        milestones.rebuild(session=s, ids=[row.id])
