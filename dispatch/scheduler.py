"""The escalation sweep (督办) and the background loop that runs it under a lease.

A sweep has two passes:

1. **refresh** — running incidents whose schedule row is missing or was made for another deadline (a new
   dispatch, an approved extension) get their schedule computed by :mod:`dispatch.escalation` and stored
   in ``escalation_schedule`` with ``next_at``, the instant their next unsent step falls due;
2. **send** — rows with ``next_at <= now`` (an index range scan, so 100,000 open incidents cost only the
   few that are due): per incident one transaction inserts the claim row ``(incident, round, step)`` and
   writes the ``escalate`` event, then moves ``next_at`` on.

Exactly once: the claim has a unique key and is written in the event's transaction, so a second process
(or a retried sweep) fails on the key and skips the step; a rollback takes claim and event back together.
The lease only keeps a second process from doing the same work in vain. Escalation events do not bump
the version (``incidents.events.NON_VERSIONING``), so a sweep never makes a handler's action conflict.
"""
from __future__ import annotations

import logging
import threading
import time as _time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import delete, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError, OperationalError

from dispatch.escalation import NOTIFY, Schedule, schedule
from incidents import store
from incidents.leases import run_leased
from incidents.model import RUNNING_STATES, Actor
from incidents.records import EscalationClaimRow, EscalationScheduleRow, EventRow, IncidentRow

log = logging.getLogger("cityops.escalation")

LEASE_NAME = "escalation"
SWEEP_EVERY_S = 30.0
_RUNNING = [s.value for s in RUNNING_STATES]
_CHUNK = 500
I, S, C = IncidentRow, EscalationScheduleRow, EscalationClaimRow


@dataclass
class SweepResult:
    """What one sweep did: schedules (re)computed, steps sent as ``(code, step)``, steps another took."""

    refreshed: int = 0
    sent: list[tuple[str, str]] = field(default_factory=list)
    taken_elsewhere: int = 0
    seconds: float = 0.0


def _chunks(items: Sequence[Any], n: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def refresh_schedules(services: Any, now: datetime) -> int:
    """(Re)compute the schedule of every running incident whose stored one is missing or stale."""
    with services.db.read() as s:
        stale = s.execute(
            select(I.id, I.category, I.severity, I.deadline)
            .outerjoin(S, S.incident_id == I.id)
            .where(I.state.in_(_RUNNING), I.deadline.is_not(None),
                   or_(S.incident_id.is_(None), S.deadline != I.deadline))
            .order_by(I.id)  # every process locks rows in the same order: no deadlock between sweeps
        ).all()
    if not stale:
        return 0
    ref = services.reference.get()
    done = 0
    for chunk in _chunks(stale):
        ids = [r.id for r in chunk]
        with services.db.read() as s:
            rounds = dict(s.execute(
                select(EventRow.incident_id, func.max(EventRow.seq))
                .where(EventRow.incident_id.in_(ids), EventRow.action == "dispatch").group_by(EventRow.incident_id)
            ).all())
            starts = dict(s.execute(
                select(EventRow.incident_id, EventRow.at)
                .where(tuple_(EventRow.incident_id, EventRow.seq).in_(list(rounds.items())))
            ).all()) if rounds else {}
            sent: dict[int, set[str]] = {}
            for iid, step in s.execute(select(C.incident_id, C.step).where(
                    tuple_(C.incident_id, C.round).in_(list(rounds.items())))).all() if rounds else ():
                sent.setdefault(iid, set()).add(step)
        rows = []
        for r in chunk:
            if r.id not in rounds:
                continue  # running without a dispatch event cannot happen through the services; skip it
            sched = schedule(ref.sla.limit(r.category, r.severity), starts[r.id], r.deadline, ref.calendar)
            rows.append(dict(incident_id=r.id, round=rounds[r.id], deadline=r.deadline, warn_at=sched.warn_at,
                             leader_at=sched.leader_at, next_at=sched.next_at(sent.get(r.id, ()))))
        try:
            with services.db.write.begin() as s:
                s.execute(delete(S).where(S.incident_id.in_([r["incident_id"] for r in rows])))
                if rows:
                    s.execute(insert(S.__table__), rows)
            done += len(rows)
        except (IntegrityError, OperationalError):  # another process refreshed the same rows at the same moment
            log.info("escalation: schedules refreshed elsewhere meanwhile")
    return done


def _claimed(session: Any, incident_id: int, round_: int) -> set[str]:
    return set(session.scalars(select(C.step).where(C.incident_id == incident_id, C.round == round_)))


def send_due(services: Any, now: datetime, limit: int = 10_000) -> tuple[list[tuple[str, str]], int]:
    """Write every step due at ``now``: one transaction per incident, claim and event together."""
    with services.db.read() as s:
        due = s.execute(
            select(S.incident_id).join(I, I.id == S.incident_id)
            .where(S.next_at <= now, I.state.in_(_RUNNING), I.deadline == S.deadline)
            .order_by(S.next_at).limit(limit)
        ).scalars().all()
    sent: list[tuple[str, str]] = []
    taken = 0
    system = Actor.system()
    for incident_id in due:
        try:
            with services.incidents.unit(now) as uow:
                session = uow.session
                row = session.get(S, incident_id, populate_existing=True)
                incident = store.get_by_id(incident_id, session=session)
                if row is None or incident.state not in RUNNING_STATES or incident.deadline != row.deadline:
                    continue  # changed since the read: the next sweep refreshes it
                sched = Schedule(row.warn_at, row.deadline, row.leader_at)
                done = _claimed(session, incident_id, row.round)
                for step in sched.due(now, done):
                    try:
                        with session.begin_nested():
                            session.execute(insert(C.__table__).values(
                                incident_id=incident_id, round=row.round, step=step, at=now))
                    except IntegrityError:  # another process sent it: exactly once
                        taken += 1
                        done.add(step)
                        continue
                    incident = uow.act(incident, "escalate", system, incident.version, payload={
                        "step": step, "notify": NOTIFY[step], "due_at": sched.at(step).isoformat(),
                        "round": row.round})
                    done.add(step)
                    sent.append((incident.code, step))
                session.execute(update(S).where(S.incident_id == incident_id)
                                .values(next_at=sched.next_at(done)).execution_options(synchronize_session=False))
        except store.ConflictError:
            log.info("escalation: incident %s changed during the sweep; next sweep retries", incident_id)
    return sent, taken


def sweep(services: Any, now: datetime) -> SweepResult:
    """One escalation sweep at ``now`` (injected, so tests move time instead of sleeping)."""
    t0 = _time.perf_counter()
    result = SweepResult(refreshed=refresh_schedules(services, now))
    result.sent, result.taken_elsewhere = send_due(services, now)
    result.seconds = _time.perf_counter() - t0
    return result


def run_scheduler(services: Any, stop: threading.Event, every_s: float = SWEEP_EVERY_S) -> None:
    """The background loop: hold the ``escalation`` lease, sweep every ``every_s`` seconds, stop promptly."""

    def work(now: datetime) -> None:
        result = sweep(services, now)
        if result.sent:
            log.info("escalation: %d steps sent in %.2f s", len(result.sent), result.seconds)

    run_leased(services.db, LEASE_NAME, stop, services.clock, work, every_s)


def steps_of(events: Iterable[Any]) -> list[str]:
    """The escalation steps in an incident's timeline, in order (for views and tests)."""
    return [e.payload.get("step") for e in events if e.action == "escalate"]


__all__ = ["LEASE_NAME", "SweepResult", "refresh_schedules", "run_scheduler", "send_due", "steps_of", "sweep"]
