"""核查任务: the verifier sends a grid worker to check a resolved case on the spot; the worker answers with a photo
and a verdict (属实已解决 / 未解决 + note); the verifier reads the answer in the case file, then passes or sends the
case back as always. Also the photo reuse check the verifier sees.

Why events, not a table of tasks: a task and its answer are annotations on the case (``verify_task_sent``,
``verify_task_answered``, non-versioning like a leader's 批示), so they sit in the timeline, replay and audit like
every other change; the fold keeps the open task's worker on the incident (``incidents.events.TASK_WORKER_KEY``)
and the access policy lets exactly that worker read and answer the case while the task is open. The lifecycle
table is untouched: the verifier still decides.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import select

from dispatch.handling import HandlingError, Photo, require_text
from incidents import photos as photo_store
from incidents import store
from incidents.access import may_answer_task, may_read
from incidents.events import ANNOTATION_RULES, TASK_VERDICTS, Event, task_worker
from incidents.lifecycle import TransitionError
from incidents.model import Actor, Incident, Role, State
from incidents.photo_hash import Position, Reuse
from incidents.records import EventRow, IncidentRow, UserRow


@dataclass(frozen=True)
class TaskStatus:
    """The latest verification task of a case: who was sent, by whom, when, and the answer if any."""

    worker: str
    sent_by: str
    sent_at: datetime
    note: str
    open: bool
    verdict: str | None = None
    answer_note: str = ""
    answered_at: datetime | None = None
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provenance:
    """Where a photo came from, as the verifier reads it."""

    name: str
    action: str
    received_at: datetime
    lon: float | None
    lat: float | None
    accuracy_m: float | None


def task_status(events: Sequence[Event]) -> TaskStatus | None:
    """The latest task of a timeline and its answer, if one was sent. Open until answered or decided."""
    status: TaskStatus | None = None
    for e in sorted(events, key=lambda e: e.seq):
        p = e.payload or {}
        if e.action == "verify_task_sent":
            status = TaskStatus(str(p.get("worker")), e.actor, e.at, str(p.get("note") or ""), True)
        elif status is not None and status.open and e.action == "verify_task_answered":
            status = TaskStatus(status.worker, status.sent_by, status.sent_at, status.note, False,
                                str(p.get("verdict")), str(p.get("note") or ""), e.at,
                                tuple(n for n in p.get("photos") or [] if isinstance(n, str)))
        elif status is not None and status.open and e.action in ("verify_pass", "verify_fail", "reopen"):
            status = TaskStatus(status.worker, status.sent_by, status.sent_at, status.note, False)
    return status


class VerifyTaskService:
    def __init__(self, incidents: Any, handling: Any, reference: Any, db: Any) -> None:
        self.incidents = incidents
        self.handling = handling
        self.reference = reference
        self.db = db

    # -- the verifier ------------------------------------------------------------------------

    def default_worker(self, incident: Incident) -> str | None:
        """The cell's grid worker (``rules.toml``'s ``grid_workers``) — unless they handled the case: nobody
        checks their own work."""
        who = self.reference.get().rules.worker_for(incident.grid)
        return who if who and who != incident.assignee else None

    def workers(self) -> list[tuple[str, str]]:
        """Active grid workers as (username, display name), by display name: whom a task may name."""
        with self.db.read() as s:
            rows = s.execute(select(UserRow.username, UserRow.display_name).where(
                UserRow.role == Role.GRID_WORKER.value, UserRow.active.is_(True)))
            return sorted(((u, d or u) for u, d in rows), key=lambda p: (p[1], p[0]))

    def send(self, code: str, actor: Actor, expected_version: int, now: datetime, worker: str | None,
             note: str | None = None, *, extra: Mapping[str, Any] | None = None) -> Incident:
        """Send ``worker`` (the cell's grid worker when none is named) to check ``code`` on the spot; pushed to
        the worker's room like an assignment. One open task at a time."""
        text = (note or "").strip()
        if len(text) > 2000:
            raise HandlingError("too_long")
        with self.incidents.unit(now) as uow:
            incident = uow.get(code)
            if not may_read(actor, incident):
                raise HandlingError("not_yours")
            _check_table(incident, "verify_task_sent", actor)
            if task_worker(incident.extra):
                raise HandlingError("task_open")
            who = (worker or "").strip() or self.default_worker(incident)
            if not who:
                raise HandlingError("task_worker")
            if who == incident.assignee:
                raise HandlingError("task_self")
            found = uow.session.scalar(select(UserRow.username).where(
                UserRow.username == who, UserRow.role == Role.GRID_WORKER.value, UserRow.active.is_(True)))
            if found is None:
                raise HandlingError("task_worker")
            payload = {**(extra or {}), "worker": who, **({"note": text} if text else {})}
            return uow.act(incident, "verify_task_sent", actor, expected_version, payload=payload)

    def reuse(self, code: str, actor: Actor) -> list[Reuse]:
        """Photos of ``code`` also attached to another case — what the verifier is warned of."""
        if not may_read(actor, self.incidents.get(code)):
            raise HandlingError("not_yours")
        with self.db.read() as s:
            return photo_store.reused(code, session=s)

    def provenance(self, code: str, actor: Actor) -> list[Any]:
        """Each photo of ``code``: file name, receipt time, the device's position — in the order received."""
        if not may_read(actor, self.incidents.get(code)):
            raise HandlingError("not_yours")
        with self.db.read() as s:
            rows = photo_store.provenance_of(code, session=s)
            return [Provenance(r.name, r.action, r.received_at, r.lon, r.lat, r.accuracy_m)
                    for r in sorted(rows.values(), key=lambda r: r.id)]

    def status(self, code: str, actor: Actor) -> TaskStatus | None:
        incident = self.incidents.get(code)
        if not may_read(actor, incident):
            raise HandlingError("not_yours")
        return task_status(self.incidents.timeline(code))

    # -- the grid worker ---------------------------------------------------------------------

    def open_for(self, actor: Actor) -> list[Incident]:
        """The cases ``actor`` was sent to check and has not answered, the oldest task first."""
        if actor.role is not Role.GRID_WORKER:
            return []
        with self.db.read() as s:
            rows = s.execute(
                select(IncidentRow, EventRow.at).join(EventRow, EventRow.incident_id == IncidentRow.id)
                .where(EventRow.action == "verify_task_sent", IncidentRow.state == State.RESOLVED.value)
                .order_by(EventRow.at)).all()
            mine = {}
            for row, _at in rows:
                incident = store.to_incident(row)
                if may_answer_task(actor, incident):
                    mine.setdefault(incident.code, incident)
            return list(mine.values())

    def answer(self, code: str, actor: Actor, expected_version: int, now: datetime, verdict: str | None,
               note: str | None, photos: Sequence[Photo] = (), position: Position | None = None, *,
               extra: Mapping[str, Any] | None = None) -> Incident:
        """The named worker's answer: a verdict, a note (required when the result is not real), and at least one
        photo (or, through the API, a photo link) — stored with its receipt time, position and hashes."""
        if verdict not in TASK_VERDICTS:
            raise HandlingError("task_verdict")
        text = require_text(note, "note_required") if verdict == "unresolved" else (note or "").strip()
        if len(text) > 2000:
            raise HandlingError("too_long")
        if not photos and not (extra or {}).get("photo_urls"):
            raise HandlingError("photo_required")
        with self.incidents.unit(now) as uow:  # refuse before any file is written
            incident = uow.get(code)
            _check_table(incident, "verify_task_answered", actor)
            if not task_worker(incident.extra):
                raise HandlingError("no_task")
            if not may_answer_task(actor, incident):
                raise HandlingError("not_yours")
        saved = self.handling.save_photos(code, photos)
        payload: dict[str, Any] = {**(extra or {}), "verdict": verdict, **({"note": text} if text else {})}
        if saved:
            payload["photos"] = saved
        try:
            with self.incidents.unit(now) as uow:
                incident = uow.get(code)
                if not may_answer_task(actor, incident):
                    raise HandlingError("no_task" if not task_worker(incident.extra) else "not_yours")
                new = uow.act(incident, "verify_task_answered", actor, expected_version, payload=payload)
                self.handling.record_photos(uow.session, code, "verify_task_answered", actor, now,
                                            zip(saved, photos), position)
                return new
        except BaseException:
            self.handling.discard_photos(code, saved)
            raise


def _check_table(incident: Incident, action: str, actor: Actor) -> None:
    """The annotation table's word (role, state) before this service's own checks, so a role that may never
    send a task hears that, not which worker is wrong."""
    states, roles = ANNOTATION_RULES[action]
    if actor.role not in roles:
        raise TransitionError("role", f"role {actor.role.value} may not write {action}", action, incident.state)
    if states is not None and incident.state not in states:
        raise TransitionError("state", f"cannot write {action} on an incident that is {incident.state.value}",
                              action, incident.state)


__all__ = ["Provenance", "TaskStatus", "VerifyTaskService", "task_status"]
