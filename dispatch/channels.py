"""The machine intake channels' use cases: idempotent creates, sensor alarms, coordinate systems.

Every channel goes through ``DispatchService.parse`` and ``intake_in`` — the same validate → classify →
locate → de-duplicate → store → dispatch path as the operator's console — and writes its own rows (an
idempotency key, an alarm link) in the incident's transaction.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping, Sequence

from sqlalchemy.exc import IntegrityError

from dispatch.service import DispatchService, IntakeResult
from geo.crs import gcj02_to_wgs84
from incidents import channel_store, store
from incidents.group_commit import GroupCommitter
from incidents.intake import IntakeError
from incidents.model import FINAL_STATES, Actor, Channel, Incident
from incidents.search import Filters, search
from incidents.service import UnitOfWork

CRS_CHOICES = ("wgs84", "gcj02")
ALARM_LEVELS = {"warning": "normal", "major": "high", "critical": "urgent"}
CLEAR_LEVEL = "clear"


class IdempotencyMismatch(Exception):
    """The key was used before for a different request: refuse rather than guess which one is meant."""


def to_wgs84(raw: Mapping[str, Any], crs: str | None) -> dict[str, Any]:
    """``raw`` with lon/lat in WGS84 — the one place a channel changes datum (via ``geo.crs``)."""
    out = dict(raw)
    crs = (crs or "wgs84").strip().lower()
    if crs not in CRS_CHOICES:
        raise IntakeError("crs", "invalid_choice", f"crs must be wgs84 or gcj02, not {crs!r}")
    if crs == "gcj02":
        try:
            lon, lat = float(out.get("lon")), float(out.get("lat"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return out  # parse_draft names the bad coordinate
        out["lon"], out["lat"] = gcj02_to_wgs84(lon, lat)
    return out


def request_hash(raw: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    incident: Incident
    waiting: str | None
    duplicates: Sequence[Incident] = ()
    #: True when an Idempotency-Key found an earlier create: nothing new was written
    replayed: bool = False


@dataclass(frozen=True)
class AlarmOutcome:
    result: str  # created | repeated | cleared | ignored | error
    code: str | None = None
    error: IntakeError | None = None


def load_alarm_types(data_dir: Path) -> dict[str, str]:
    path = data_dir / "alarm_types.toml"
    if not path.exists():
        path = Path(__file__).resolve().parent.parent / "data" / "alarm_types.toml"
    return dict(tomllib.loads(path.read_text(encoding="utf-8"))["types"])


class ChannelService:
    def __init__(self, dispatch: DispatchService, alarm_window: timedelta, alarm_types: Mapping[str, str],
                 committer: GroupCommitter | None = None) -> None:
        self.dispatch = dispatch
        self.incidents = dispatch.incidents
        self.alarm_window = alarm_window
        self.alarm_types = dict(alarm_types)
        #: with a committer, creates from concurrent requests share one transaction (group commit)
        self.committer = committer

    # -- creates ------------------------------------------------------------------------------

    def create(self, raw: Mapping[str, Any], actor: Actor, channel: Channel, now: datetime, *,
               crs: str | None = None, client: str | None = None, key: str | None = None) -> Created:
        """Intake one report; with ``key``, a retry returns the first incident (across processes).

        Parsing (validation, locating) runs in the caller's thread; the write — key check, store,
        de-duplicate, dispatch, key — runs in one transaction: the group commit's when there is one.
        """
        draft = self.dispatch.parse(self._wgs84(raw, crs, channel, now), channel, now)
        client = client or actor.name
        digest = request_hash({**raw, "crs": crs or "wgs84"}) if key else ""

        def write(uow: UnitOfWork) -> Created:
            if key:
                first = self._replay(client, key, digest, uow.session)
                if first is not None:
                    return first
            result = self.dispatch.intake_in(uow, draft, actor, now)
            if key:
                channel_store.remember_key(client, key, result.incident.id or 0, digest, now, session=uow.session)
            return _created(result)

        try:
            if self.committer is not None:
                return self.committer.run(now, write)
            with self.incidents.unit(now) as uow:
                return write(uow)
        except IntegrityError:  # a concurrent twin with the same key committed first: answer with it
            if not key:
                raise
            with self.incidents.db.read() as s:
                first = self._replay(client, key, digest, s)
            if first is None:
                raise
            return first

    def _wgs84(self, raw: Mapping[str, Any], crs: Any, channel: Channel, now: datetime) -> dict[str, Any]:
        """``to_wgs84``, with a bad ``crs`` counted as the channel's refusal (it is refused before parse)."""
        try:
            return to_wgs84(raw, crs)
        except IntakeError as exc:
            self._refused(channel, exc, now)
            raise

    def _refused(self, channel: Channel, exc: IntakeError, now: datetime) -> None:
        if self.dispatch.on_refusal is not None:
            self.dispatch.on_refusal(channel, exc, now)

    @staticmethod
    def _replay(client: str, key: str, digest: str, session: Any) -> Created | None:
        found = channel_store.idempotent_incident(client, key, session=session)
        if found is None:
            return None
        incident_id, stored_digest = found
        if stored_digest != digest:
            raise IdempotencyMismatch(f"Idempotency-Key {key!r} was used for a different request")
        incident = store.get_by_id(incident_id, session=session)
        return Created(incident, None, (), True)

    def search(self, filters: Filters, now: datetime, *, after_id: int | None = None,
               limit: int = 50) -> tuple[list[Incident], int | None]:
        with self.incidents.db.read() as s:
            return search(filters, now, session=s, after_id=after_id, limit=limit)

    # -- sensor alarms ------------------------------------------------------------------------

    def alarm(self, raw: Mapping[str, Any], actor: Actor, now: datetime) -> AlarmOutcome:
        """One alarm: a new incident, a repeat on the device's open incident, or a clear on it."""
        try:
            device, kind, level, at = self._alarm_fields(raw, now)
        except IntakeError as exc:
            self._refused(Channel.SENSOR, exc, now)
            return AlarmOutcome("error", error=exc)
        system = Actor.system()
        payload = {"device_id": device, "type": kind, "level": level, "at": at.isoformat()}
        draft = None
        if level != CLEAR_LEVEL:
            try:
                draft = self.dispatch.parse(self._wgs84({
                    "category": self.alarm_types[kind], "severity": ALARM_LEVELS[level],
                    "description": str(raw.get("description") or f"sensor {device}: {kind} alarm ({level})"),
                    "lon": raw.get("lon"), "lat": raw.get("lat"), "reported_at": at,
                    "extra": {"device_id": device, "alarm_type": kind},
                }, raw.get("crs"), Channel.SENSOR, now), Channel.SENSOR, now)
            except IntakeError as exc:
                return AlarmOutcome("error", error=exc)
        with self.incidents.unit(now) as uow:
            s = uow.session
            link = channel_store.alarm_link(device, kind, session=s)
            current = store.get_by_id(link.incident_id, session=s) if link is not None else None
            live = current is not None and current.state not in FINAL_STATES
            if level == CLEAR_LEVEL:
                if not live or current is None:
                    return AlarmOutcome("ignored")
                uow.act(current, "alarm_clear", system, current.version, payload=payload)
                channel_store.unlink_alarm(device, kind, session=s)
                return AlarmOutcome("cleared", current.code)
            if live and current is not None and link is not None and at - link.last_at <= self.alarm_window:
                repeats = channel_store.touch_alarm(link, at, session=s)
                uow.act(current, "alarm_repeat", system, current.version, payload={**payload, "repeat": repeats})
                return AlarmOutcome("repeated", current.code)
            assert draft is not None
            result = self.dispatch.intake_in(uow, draft, actor, now)
            channel_store.link_alarm(device, kind, result.incident.id or 0, at, session=s)
            return AlarmOutcome("created", result.incident.code)

    def _alarm_fields(self, raw: Mapping[str, Any], now: datetime) -> tuple[str, str, str, datetime]:
        if not isinstance(raw, Mapping):
            raise IntakeError("alarm", "invalid_choice", "each alarm must be an object")
        device = str(raw.get("device_id") or "").strip()
        if not device or len(device) > 64:
            raise IntakeError("device_id", "required", "device_id is required (at most 64 characters)")
        kind = str(raw.get("type") or "").strip()
        if kind not in self.alarm_types:
            raise IntakeError("type", "invalid_choice",
                              f"type must be one of {', '.join(sorted(self.alarm_types))}, not {kind!r}")
        level = str(raw.get("level") or "").strip().lower()
        if level != CLEAR_LEVEL and level not in ALARM_LEVELS:
            raise IntakeError("level", "invalid_choice", "level must be warning, major, critical or clear")
        at_raw = raw.get("at") or now
        try:
            at = datetime.fromisoformat(at_raw) if isinstance(at_raw, str) else at_raw
        except ValueError:
            at = None
        if not isinstance(at, datetime) or at.tzinfo is None:
            raise IntakeError("at", "invalid_datetime", "at must be an ISO 8601 datetime with a time zone")
        if at > now:
            raise IntakeError("at", "in_future", "at lies in the future")
        return device, kind, level, at


def _created(result: IntakeResult) -> Created:
    return Created(result.incident, result.waiting, result.duplicates)
