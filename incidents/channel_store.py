"""Store functions of the machine intake channels: idempotency keys and sensor alarm links.

Both are written in the caller's transaction — the one that writes the incident — so a key or a link
never points at an incident a rollback took back, and a crash leaves neither half.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from incidents.records import AlarmLinkRow, IdempotencyKeyRow


def idempotent_incident(client: str, key: str, *, session: Session) -> tuple[int, str] | None:
    """``(incident id, request hash)`` stored for this client's key, if any."""
    row = session.get(IdempotencyKeyRow, (client, key))
    return None if row is None else (row.incident_id, row.request_hash)


def remember_key(client: str, key: str, incident_id: int, request_hash: str, now: datetime, *,
                 session: Session) -> None:
    """Store the key; a concurrent twin fails on the primary key at flush, rolling its incident back."""
    session.add(IdempotencyKeyRow(client=client, key=key, incident_id=incident_id, request_hash=request_hash,
                                  created_at=now))
    session.flush()


def alarm_link(device_id: str, alarm_type: str, *, session: Session) -> AlarmLinkRow | None:
    return session.get(AlarmLinkRow, (device_id, alarm_type), populate_existing=True)


def link_alarm(device_id: str, alarm_type: str, incident_id: int, at: datetime, *, session: Session) -> None:
    """Point the device's alarms at ``incident_id`` (replacing an older, closed or stale link)."""
    session.execute(delete(AlarmLinkRow).where(AlarmLinkRow.device_id == device_id,
                                               AlarmLinkRow.alarm_type == alarm_type))
    session.add(AlarmLinkRow(device_id=device_id, alarm_type=alarm_type, incident_id=incident_id, last_at=at,
                             repeats=0))
    session.flush()


def touch_alarm(link: AlarmLinkRow, at: datetime, *, session: Session) -> int:
    """One more repeat on a link; returns the repeat count."""
    link.last_at = max(link.last_at, at)
    link.repeats = (link.repeats or 0) + 1
    session.flush()
    return link.repeats


def unlink_alarm(device_id: str, alarm_type: str, *, session: Session) -> None:
    session.execute(delete(AlarmLinkRow).where(AlarmLinkRow.device_id == device_id,
                                               AlarmLinkRow.alarm_type == alarm_type))


def incident_ids_by_code(codes: list[str], *, session: Session) -> dict[str, int]:
    from incidents.records import IncidentRow

    return dict(session.execute(select(IncidentRow.code, IncidentRow.id).where(IncidentRow.code.in_(codes))).all())
