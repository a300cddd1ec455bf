"""Incident use cases: a unit of work that writes incidents and events, then publishes them.

Services own transactions; the store functions only take the session. Events are published after the
commit, never before, so the wall never shows something that a rollback took back.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from incidents import history, store
from incidents.changes import decide
from incidents.db import Database
from incidents.events import Event
from incidents.intake import Draft
from incidents.model import Actor, Incident, State

Publish = Callable[[list[dict[str, Any]]], None]
#: Called inside the transaction after every event ``act`` writes (the outbox hooks here), so
#: what a hook writes commits or rolls back with the event. Injected by the composition root.
ActHook = Callable[["UnitOfWork", Event, Incident], None]


def incident_view(i: Incident, now: datetime) -> dict[str, Any]:
    """The JSON-able picture of an incident that pushes and pages share."""
    return {
        "code": i.code, "state": i.state.value, "category": i.category, "severity": i.severity.value,
        "lon": i.lon, "lat": i.lat, "grid": i.grid, "district": i.district, "department": i.department,
        "assignee": i.assignee, "deadline": i.deadline.isoformat() if i.deadline else None,
        "overdue": i.is_overdue(now), "version": i.version, "description": i.description,
        "address": i.address, "reported_at": i.reported_at.isoformat(), "channel": i.channel.value,
    }


def event_message(e: Event, incident: Incident, now: datetime) -> dict[str, Any]:
    """What is published for one committed event: the event and the incident after it."""
    return {
        "seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
        "from_state": e.from_state, "to_state": e.to_state, "payload": e.payload,
        "incident": incident_view(incident, now),
    }


@dataclass
class UnitOfWork:
    """One transaction's worth of incident changes; collects what to publish after the commit."""

    session: Session
    now: datetime
    tz: ZoneInfo
    messages: list[dict[str, Any]] = field(default_factory=list)
    hooks: Sequence[ActHook] = ()
    #: The last event number this unit wrote per incident: an incident created (or already locked)
    #: in this transaction needs neither the row lock nor the ``max(seq)`` query again.
    _last_seq: dict[int, int] = field(default_factory=dict)

    def create(self, draft: Draft, actor: Actor) -> Incident:
        code = store.next_code(self.now, self.tz, session=self.session)
        incident = Incident(
            id=None, code=code, state=State.REPORTED, category=draft.category, severity=draft.severity,
            description=draft.description, lon=draft.lon, lat=draft.lat, grid=draft.grid,
            district=draft.district, channel=draft.channel, reported_at=draft.reported_at,
            address=draft.address, reporter_phone=draft.reporter_phone, extra=draft.extra,
        )
        stored, event = store.insert(incident, actor, self.now, session=self.session)
        self._last_seq[stored.id or 0] = event.seq
        self.messages.append(event_message(event, stored, self.now))
        return stored

    def act(
        self, incident: Incident, action: str, actor: Actor, expected_version: int, **routing: Any
    ) -> Incident:
        """Apply one lifecycle action or annotation (checked against the table) to ``incident``."""
        # A stale version is a conflict even when the action is no longer legal in the fresh state
        # (two operators dispatching at once): the caller gets the fresh incident, not a table error.
        if incident.version != expected_version:
            raise store.ConflictError(incident, expected_version)
        iid = incident.id or 0
        if iid in self._last_seq:
            seq = self._last_seq[iid] + 1
        else:
            store.lock(iid, session=self.session)
            seq = store.next_seq(iid, session=self.session)
        event = decide(incident, action, actor, self.now, seq=seq, **routing)
        new = store.apply(incident, event, expected_version, session=self.session)
        self._last_seq[iid] = seq
        self.messages.append(event_message(event, new, self.now))
        for hook in self.hooks:
            hook(self, event, new)
        return new

    def get(self, code: str) -> Incident:
        return store.get(code, session=self.session)

    def duplicates(self, draft: Draft, radius_m: float, window_h: float) -> Sequence[Incident]:
        from datetime import timedelta

        return store.nearby_open(
            draft.category, draft.lon, draft.lat, draft.reported_at, radius_m, timedelta(hours=window_h),
            session=self.session,
        )


class IncidentService:
    def __init__(self, db: Database, tz: ZoneInfo, publish: Publish | None = None) -> None:
        self.db = db
        self.tz = tz
        self.publish: Publish = publish or (lambda messages: None)
        self.hooks: list[ActHook] = []

    @contextmanager
    def unit(self, now: datetime) -> Iterator[UnitOfWork]:
        with self.db.write.begin() as session:
            uow = UnitOfWork(session, now, self.tz, hooks=self.hooks)
            yield uow
        if uow.messages:
            self.publish(uow.messages)

    def act(self, code: str, action: str, actor: Actor, expected_version: int, now: datetime,
            **routing: Any) -> Incident:
        with self.unit(now) as uow:
            return uow.act(uow.get(code), action, actor, expected_version, **routing)

    def get(self, code: str) -> Incident:
        with self.db.read() as s:  # live or archived (incidents/history.py): reading only
            return history.get(code, session=s)

    def timeline(self, code: str) -> list[Event]:
        with self.db.read() as s:
            return history.events_of(history.get(code, session=s).id or 0, session=s)

    def recent_events(self, limit: int = 20) -> list[tuple[Event, str, str]]:
        with self.db.read() as s:
            return store.recent_events(limit, session=s)

    def list(self, **filters: Any) -> list[Incident]:
        with self.db.read() as s:
            return store.list_incidents(session=s, **filters)
