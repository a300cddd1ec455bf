"""The incident store: the only code that writes incidents and events.

An incident changes only through :func:`apply` — it writes the new row and its event in the caller's
transaction and checks the optimistic lock in the UPDATE itself (``WHERE version = expected``), so a
stale write is refused on every backend and across processes, never silently overwritten.
"""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from incidents import milestones
from incidents.changes import apply_event, created_event
from incidents.events import Event
from incidents.model import Actor, Channel, Incident, Severity, State
from incidents.records import CodeCounterRow, EventRow, IncidentRow


class ConflictError(Exception):
    """A write based on a stale version; carries the fresh incident so the caller can show it."""

    def __init__(self, current: Incident, expected: int) -> None:
        super().__init__(
            f"incident {current.code} was changed by someone else (version {current.version}, "
            f"you had {expected}); reload and try again"
        )
        self.current = current
        self.expected = expected


class NotFoundError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0])


_INCIDENT_FIELDS = [f.name for f in fields(Incident)]


def to_incident(row: IncidentRow) -> Incident:
    values = {name: getattr(row, name) for name in _INCIDENT_FIELDS}
    values["state"] = State(row.state)
    values["severity"] = Severity(row.severity)
    values["channel"] = Channel(row.channel)
    values["extra"] = dict(row.extra or {})
    return Incident(**values)


def row_values(incident: Incident) -> dict:
    values = {name: getattr(incident, name) for name in _INCIDENT_FIELDS if name != "id"}
    for k in ("state", "severity", "channel"):
        values[k] = values[k].value
    return values


def to_event(row: EventRow) -> Event:
    return Event(
        incident_id=row.incident_id, seq=row.seq, at=row.at, actor=row.actor, action=row.action,
        from_state=row.from_state, to_state=row.to_state, department=row.department,
        assignee=row.assignee, deadline=row.deadline, payload=dict(row.payload or {}), version=row.version,
    )


def _event_row(e: Event) -> EventRow:
    return EventRow(
        incident_id=e.incident_id, seq=e.seq, at=e.at, actor=e.actor, action=e.action,
        from_state=e.from_state, to_state=e.to_state, department=e.department, assignee=e.assignee,
        deadline=e.deadline, version=e.version, payload=e.payload,
    )


def next_code(now: datetime, tz: ZoneInfo, *, session: Session) -> str:
    """The next ``YYYYMMDD`` + 5-digit code for the city's local date of ``now``.

    One atomic upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``): the first incident of a day
    creates the counter row, every later one bumps it under the row lock, so two processes never
    hand out the same number, not even racing for the first one of a day.
    """
    day = now.astimezone(tz).strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(CodeCounterRow).values(day=day, last=1)
    bumped = session.execute(
        stmt.on_conflict_do_update(index_elements=[CodeCounterRow.day], set_={"last": CodeCounterRow.last + 1})
        .returning(CodeCounterRow.last)
    ).scalar_one()
    if bumped > 99999:
        raise OverflowError(f"more than 99,999 incidents on {day}")
    return f"{day}{bumped:05d}"


def insert(incident: Incident, actor: Actor, now: datetime, *, session: Session) -> tuple[Incident, Event]:
    """Store a new incident with its ``created`` event; returns both with the id filled in."""
    row = IncidentRow(**row_values(incident.evolve(updated_at=now)))
    session.add(row)
    session.flush()
    stored = incident.evolve(id=row.id, updated_at=now)
    event = created_event(stored, actor, now)
    session.add(_event_row(event))
    session.flush()
    milestones.record_created(stored, event, session=session)  # the summary commits with the event
    return stored, event


def apply(incident: Incident, event: Event, expected_version: int, *, session: Session) -> Incident:
    """Write ``event`` and the row it produces, if the stored version is still ``expected_version``."""
    if incident.version != expected_version:
        raise ConflictError(incident, expected_version)
    new = apply_event(incident, event)
    values = row_values(new)
    result = session.execute(
        update(IncidentRow)
        .where(IncidentRow.id == incident.id, IncidentRow.version == expected_version)
        .values(**values)
    )
    if result.rowcount != 1:
        raise ConflictError(get_by_id(incident.id or 0, session=session), expected_version)
    session.add(_event_row(event))
    session.flush()
    milestones.record_event(event, session=session)  # the summary commits with the event
    return new


def lock(incident_id: int, *, session: Session) -> None:
    """Take the incident's row lock (PostgreSQL ``FOR UPDATE``; SQLite's write transaction already
    serialises writers) so the next event number is computed by one writer at a time — a sweep's
    annotation and a handler's action on the same incident queue up instead of colliding on ``seq``."""
    session.execute(select(IncidentRow.id).where(IncidentRow.id == incident_id).with_for_update())


def next_seq(incident_id: int, *, session: Session) -> int:
    last = session.scalar(select(func.max(EventRow.seq)).where(EventRow.incident_id == incident_id))
    return (last or 0) + 1


def get_by_id(incident_id: int, *, session: Session) -> Incident:
    row = session.get(IncidentRow, incident_id, populate_existing=True)
    if row is None:
        raise NotFoundError(f"no incident with id {incident_id}")
    return to_incident(row)


def get(code: str, *, session: Session) -> Incident:
    row = session.scalars(select(IncidentRow).where(IncidentRow.code == code)).one_or_none()
    if row is None:
        raise NotFoundError(f"no incident with code {code}")
    session.refresh(row)
    return to_incident(row)


def events_of(incident_id: int, *, session: Session) -> list[Event]:
    rows = session.scalars(select(EventRow).where(EventRow.incident_id == incident_id).order_by(EventRow.seq))
    return [to_event(r) for r in rows]


def recent_events(limit: int, *, session: Session) -> list[tuple[Event, str, str]]:
    """The latest events with their incident's code and category, newest first (the wall's ticker)."""
    rows = session.execute(
        select(EventRow, IncidentRow.code, IncidentRow.category)
        .join(IncidentRow, IncidentRow.id == EventRow.incident_id)
        .order_by(EventRow.id.desc()).limit(limit)
    ).all()
    return [(to_event(e), code, category) for e, code, category in rows]


def list_incidents(
    *, session: Session, states: Iterable[State] | None = None, limit: int = 500,
    assignee: str | None = None, department: str | None = None,
) -> list[Incident]:
    q = select(IncidentRow).order_by(IncidentRow.id.desc()).limit(limit)
    if states is not None:
        q = q.where(IncidentRow.state.in_([s.value for s in states]))
    if assignee is not None:
        q = q.where(IncidentRow.assignee == assignee)
    if department is not None:
        q = q.where(IncidentRow.department == department)
    return [to_incident(r) for r in session.scalars(q)]


#: At most this many duplicate candidates, the nearest: one is enough to hold an incident for the
#: operator, and a hotspot (a flood, a burst main: hundreds of reports within 50 m in a day) made every
#: create load, convert and return all of them — the soak's creates slowed ~10× within half an hour.
MAX_DUPLICATE_CANDIDATES = 20


def nearby_open(
    category: str, lon: float, lat: float, at: datetime, radius_m: float, window: timedelta,
    *, session: Session, limit: int = MAX_DUPLICATE_CANDIDATES,
) -> Sequence[Incident]:
    """Open incidents of ``category`` reported within ``window`` before ``at`` and ``radius_m`` metres,
    the nearest first (the earlier first at equal distance), at most ``limit``.

    A bounding-box pre-filter in SQL (indexable on both backends) that reads only positions, the exact
    distance here, then the full rows of the nearest ``limit`` alone.
    """
    from math import cos, radians

    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(cos(radians(lat)), 0.01))
    q = select(IncidentRow.id, IncidentRow.lon, IncidentRow.lat).where(
        IncidentRow.category == category,
        IncidentRow.state.in_([s.value for s in State if s not in (State.REJECTED, State.MERGED, State.CLOSED)]),
        IncidentRow.reported_at >= at - window,
        IncidentRow.reported_at <= at,
        IncidentRow.lon.between(lon - dlon, lon + dlon),
        IncidentRow.lat.between(lat - dlat, lat + dlat),
    )
    near = sorted((d, id_) for id_, lon2, lat2 in session.execute(q)
                  if (d := distance_m(lon, lat, lon2, lat2)) <= radius_m)[:limit]
    if not near:
        return []
    rows = {r.id: r for r in session.scalars(select(IncidentRow).where(IncidentRow.id.in_([i for _, i in near])))}
    return [to_incident(rows[i]) for _, i in near]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine); ample for 50 m duplicate checks."""
    from math import asin, cos, radians, sin, sqrt

    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lon2 - lon1)
    a = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * asin(sqrt(a))


def utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)
