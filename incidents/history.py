"""Live ∪ archive: the one place that knows finished incidents may have moved to ``incidents_archive`` /
``events_archive`` (incidents/archive.py).

Reads that need history — search and a caller's history (incidents/search.py), an incident and its
timeline by code (IncidentService.get/timeline, the analytics drill-down's timeline) — take
:func:`incidents` and :func:`events` instead of the ORM classes: each returns an alias of the class, so
``I.code``, ``select(I)`` and joins read as before. When nothing has been archived the alias is over the
live table alone (the same plans and speed as before); otherwise it is over a ``UNION ALL`` of the live and
the archive table. Ids are unique across both (the mover guarantees it), so ORM identity is safe. Writers
keep using the live classes: an archived incident cannot be acted on. The indicators do not go through the
union (it made SQLite plans 3–4× slower): they read the ``incident_milestones`` summary, which keeps archived
incidents' rows, and fold events per side (``incidents.milestones.sides``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session, aliased

from incidents.events import Event
from incidents.model import Incident
from incidents.records import Base, EventArchiveRow, EventRow, IncidentArchiveRow, IncidentRow
from incidents.store import NotFoundError, to_event, to_incident


def has_archive(*, session: Session) -> bool:
    """Whether anything was ever archived (one indexed probe)."""
    return session.scalar(select(IncidentArchiveRow.id).limit(1)) is not None


def _both(live: type[Base], archive: type[Base], name: str, session: Session) -> Any:
    if not has_archive(session=session):
        return aliased(live)
    cols = live.__table__.columns  # type: ignore[attr-defined]
    other = archive.__table__.columns  # type: ignore[attr-defined]
    both = union_all(select(*cols), select(*[other[c.key] for c in cols])).subquery(name)
    return aliased(live, both)


def incidents(*, session: Session) -> Any:
    """``IncidentRow`` over live ∪ archive (a fresh alias per call, so two of them can be joined)."""
    return _both(IncidentRow, IncidentArchiveRow, "incidents_all", session)


def events(*, session: Session) -> Any:
    """``EventRow`` over live ∪ archive (a fresh alias per call)."""
    return _both(EventRow, EventArchiveRow, "events_all", session)


def get(code: str, *, session: Session) -> Incident:
    """The incident with ``code``, live or archived (read paths only)."""
    I = incidents(session=session)  # noqa: E741
    row = session.scalars(select(I).where(I.code == code).execution_options(populate_existing=True)).one_or_none()
    if row is None:
        raise NotFoundError(f"no incident with code {code}")
    return to_incident(row)


def events_of(incident_id: int, *, session: Session) -> list[Event]:
    """An incident's events, oldest first, live or archived."""
    E = events(session=session)
    return [to_event(r) for r in session.scalars(select(E).where(E.incident_id == incident_id).order_by(E.seq))]


__all__ = ["events", "events_of", "get", "has_archive", "incidents"]
