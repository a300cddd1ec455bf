"""Handler, verifier and extension use cases: the workbench's queue and actions, 核查, 延期.

Every method takes the acting user and checks ``dispatch.handling.may_handle`` inside the transaction,
on the fresh row — so a handler can change only their own assignments whatever the browser sends.
Photos are checked by their bytes and stored outside the web root (``settings.uploads_dir``); they are
written before the transaction and removed again if it fails, so no event names a missing file.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import select

from dispatch.handling import (
    CONTENT_TYPES, HANDLER_ROLES, HandlingError, Photo, extension_hours, may_handle, pending_extension,
    optional_reason, photo_kind, require_text,
)
from incidents import photos as photo_store
from incidents import store
from incidents.access import may_read
from incidents.events import Event
from incidents.photo_hash import Position
from incidents.model import RUNNING_STATES, Actor, Incident, Role, State
from incidents.records import EventRow, IncidentRow
from incidents.service import IncidentService

HANDLER_ACTIONS = ("acknowledge", "return", "resolve")
_CODE = re.compile(r"^\d{13}$")
_PHOTO = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")


class HandlingService:
    def __init__(self, incidents: IncidentService, reference: Any, db: Any, uploads_dir: Path,
                 max_photo_bytes: int = 8_000_000) -> None:
        self.incidents = incidents
        self.reference = reference
        self.db = db
        self.uploads_dir = Path(uploads_dir)
        self.max_photo_bytes = max_photo_bytes

    # -- reading -----------------------------------------------------------------------------

    def queue(self, actor: Actor) -> list[Incident]:
        """The actor's running assignments, the nearest deadline first."""
        if actor.role not in HANDLER_ROLES:
            raise HandlingError("not_yours")
        if actor.role == Role.GRID_WORKER:
            found = self.incidents.list(states=RUNNING_STATES, assignee=actor.name, limit=2000)
        elif actor.department:
            found = self.incidents.list(states=RUNNING_STATES, department=actor.department, limit=2000)
        else:
            found = []
        mine = [i for i in found if may_handle(actor, i)]
        return sorted(mine, key=lambda i: (i.deadline is None, i.deadline or i.reported_at))

    def detail(self, code: str, actor: Actor) -> tuple[Incident, list[Event]]:
        incident = self.incidents.get(code)
        if not may_read(actor, incident):
            raise HandlingError("not_yours")
        return incident, self.incidents.timeline(code)

    def to_verify(self) -> list[Incident]:
        """Resolved incidents waiting for a verifier, oldest resolution first."""
        found = self.incidents.list(states=[State.RESOLVED], limit=2000)
        return sorted(found, key=lambda i: i.resolved_at or i.reported_at)

    def pending_extensions(self) -> list[tuple[Incident, Event]]:
        """Running incidents with an open extension request (the operator's to-do)."""
        with self.db.read() as s:
            ids = s.scalars(
                select(EventRow.incident_id).join(IncidentRow, IncidentRow.id == EventRow.incident_id)
                .where(EventRow.action == "extension_request",
                       IncidentRow.state.in_([st.value for st in RUNNING_STATES])).distinct()
            ).all()
            out = []
            for iid in ids:
                pending = pending_extension(store.events_of(iid, session=s))
                if pending is not None:
                    out.append((store.get_by_id(iid, session=s), pending))
        return sorted(out, key=lambda p: p[1].at)

    # -- handlers ----------------------------------------------------------------------------

    def act(self, code: str, action: str, actor: Actor, expected_version: int, now: datetime, *,
            text: str | None = None, photos: Sequence[Photo] = (), extra: Mapping[str, Any] | None = None,
            position: Position | None = None) -> Incident:
        """Acknowledge 签收, return 回退 (with a reason) or resolve 处置反馈 (with a note and photos).

        ``extra``: what another system adds to the event's payload (which system, its own photo links);
        ``position``: where the device said it was, kept with the photos' provenance."""
        if action not in HANDLER_ACTIONS:
            raise HandlingError("unknown_action")
        payload: dict[str, Any] = dict(extra or {})
        if action == "return":
            payload["reason"] = require_text(text, "reason_required")
        elif action == "resolve":
            payload["note"] = require_text(text, "note_required")
        saved = self._save_photos(code, photos) if action == "resolve" else []
        if saved:
            payload["photos"] = saved
        try:
            with self.incidents.unit(now) as uow:
                incident = uow.get(code)
                if not may_handle(actor, incident):
                    raise HandlingError("not_yours")
                new = uow.act(incident, action, actor, expected_version, payload=payload)
                self.record_photos(uow.session, code, action, actor, now, zip(saved, photos), position)
                return new
        except BaseException:
            for name in saved:
                (self.uploads_dir / code / name).unlink(missing_ok=True)
            raise

    def request_extension(self, code: str, actor: Actor, expected_version: int, now: datetime,
                          hours: object, reason: str | None, *, extra: Mapping[str, Any] | None = None) -> Incident:
        """延期申请: extra working hours and a reason; one open request at a time."""
        payload = {**(extra or {}), "hours": extension_hours(hours), "reason": require_text(reason, "reason_required")}
        with self.incidents.unit(now) as uow:
            incident = uow.get(code)
            if not may_handle(actor, incident):
                raise HandlingError("not_yours")
            if pending_extension(store.events_of(incident.id or 0, session=uow.session)) is not None:
                raise HandlingError("extension_pending")
            return uow.act(incident, "extension_request", actor, expected_version, payload=payload)

    def decide_extension(self, code: str, actor: Actor, expected_version: int, now: datetime, *,
                         approve: bool, reason: str | None = None, extra: Mapping[str, Any] | None = None) -> Incident:
        """The center approves (the deadline moves by the requested working hours) or refuses (with a reason)."""
        with self.incidents.unit(now) as uow:
            incident = uow.get(code)
            pending = pending_extension(store.events_of(incident.id or 0, session=uow.session))
            if pending is None:
                raise HandlingError("no_extension")
            hours = float(pending.payload["hours"])
            if not approve:
                return uow.act(incident, "extension_refuse", actor, expected_version, payload={
                    **(extra or {}), "reason": require_text(reason, "reason_required"), "request_seq": pending.seq})
            if incident.deadline is None:
                raise HandlingError("no_extension")
            new = self.reference.get().calendar.add_work_hours(incident.deadline, hours)
            payload = {**(extra or {}), "hours": hours, "request_seq": pending.seq,
                       "previous_deadline": incident.deadline.isoformat(), **optional_reason(reason)}
            return uow.act(incident, "extension_approve", actor, expected_version, deadline=new, payload=payload)

    # -- verifiers ---------------------------------------------------------------------------

    def verify(self, code: str, actor: Actor, expected_version: int, now: datetime, *, passed: bool,
               reason: str | None = None, extra: Mapping[str, Any] | None = None) -> Incident:
        """核查: pass closes (with the verifier's remark, if any, in the audit trail); fail sends it back to the
        same handler (rework count + 1) with the reason."""
        if passed:
            return self.incidents.act(code, "verify_pass", actor, expected_version, now,
                                      payload={**(extra or {}), **optional_reason(reason)})
        return self.incidents.act(code, "verify_fail", actor, expected_version, now,
                                  payload={**(extra or {}), "reason": require_text(reason, "reason_required")})

    # -- photos ------------------------------------------------------------------------------

    def _save_photos(self, code: str, photos: Sequence[Photo]) -> list[str]:
        if not _CODE.match(code):
            raise HandlingError("not_yours")
        kinds = [photo_kind(p.data, self.max_photo_bytes) for p in photos]  # check all before writing any
        folder = self.uploads_dir / code
        names = []
        for photo, kind in zip(photos, kinds):
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{secrets.token_hex(16)}.{kind}"
            (folder / name).write_bytes(photo.data)
            names.append(name)
        return names

    def save_photos(self, code: str, photos: Sequence[Photo]) -> list[str]:
        """Check every photo's bytes, then write them under the case's folder; the names written."""
        return self._save_photos(code, photos)

    def discard_photos(self, code: str, names: Sequence[str]) -> None:
        """Remove photos written for a transaction that failed, so no file is left that no event names."""
        for name in names:
            (self.uploads_dir / code / name).unlink(missing_ok=True)

    @staticmethod
    def record_photos(session: Any, code: str, action: str, actor: Actor, now: datetime,
                      saved: Iterable[tuple[str, Photo]], position: Position | None) -> None:
        """Provenance of the photos an event names, in its transaction: receipt time, position, hashes."""
        for name, photo in saved:
            photo_store.record(photo.data, code=code, name=name, action=action, by=actor.name, at=now,
                               position=position, session=session)

    def photo_file(self, code: str, name: str) -> tuple[Path, str] | None:
        """The stored file and its Content-Type, or ``None`` for any name we did not write."""
        m = _PHOTO.match(name)
        if not _CODE.match(code) or not m:
            return None
        path = self.uploads_dir / code / name
        return (path, CONTENT_TYPES[m.group(1)]) if path.is_file() else None


__all__ = ["HANDLER_ACTIONS", "HandlingService"]
