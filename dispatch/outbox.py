"""Data exchange with departments' own systems: connector configuration, the transactional outbox, its
delivery worker (under a lease, as the escalation sweep), dead letters, and the Open311 status poller.

Why an outbox: a dispatch to a connected department must reach its system even when that system is
down, and must never be sent for a dispatch a rollback took back. So ``outbox_hook`` (an
``IncidentService`` hook) writes the message row in the dispatch's own transaction, and the worker sends
committed rows afterwards — at least once, with the idempotency key the receiver deduplicates by.
A failure waits ``backoff(attempts)``; after ``max_attempts`` the row is a dead letter (``status='dead'``)
that an admin lists and retries. When a department answers again, its other waiting messages are pulled
forward at once, so catching up after an outage does not wait out each row's backoff.

Status back: the webhook reply and the Open311 poll become our lifecycle events written by the actor
``<kind>:<department>`` (role ``dept_handler``) with ``payload.via`` naming the system.
"""
from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import func, select, update

from dispatch import connectors as cx
from dispatch.connectors import Connector
from incidents import store
from incidents.events import Event
from incidents.leases import run_leased
from incidents.lifecycle import TransitionError
from incidents.model import RUNNING_STATES, Actor, Incident, Role
from incidents.records import AuditRow, ConnectorRow, IncidentRow, OutboxRow
from incidents.service import UnitOfWork, incident_view

log = logging.getLogger("cityops.exchange")

LEASE_NAME = "exchange"
OUTBOUND_ACTIONS = ("dispatch", "reassign")
_BATCH = 200
_RUNNING = [s.value for s in RUNNING_STATES]

#: (method, url, body, headers, timeout) → (status, body); raises OSError when the system is unreachable.
Transport = Callable[[str, str, bytes | None, dict[str, str], float], tuple[int, bytes]]


def http_transport(method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
                   ) -> tuple[int, bytes]:
    """urllib, no proxies from the environment (department systems are reached directly)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read() or b""


@dataclass
class DeliveryResult:
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    applied: list[tuple[str, str]] = field(default_factory=list)  # (code, action) from webhook replies


def _connector(row: ConnectorRow) -> Connector:
    return Connector(row.department, row.kind, row.url, row.secret, row.enabled, dict(row.options or {}))


def connector_actor(c: Connector) -> Actor:
    return Actor(c.via, Role.DEPT_HANDLER, c.department)


class ExchangeService:
    """Connectors, outbox delivery, dead letters and polling; time is always a parameter."""

    def __init__(self, db: Any, incidents: Any, *, max_attempts: int = 12, backoff_s: float = 30.0,
                 backoff_cap_s: float = 3600.0, transport: Transport = http_transport) -> None:
        self.db = db
        self.incidents = incidents
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.transport = transport

    # -- configuration ------------------------------------------------------------------------------

    def connectors(self) -> list[Connector]:
        with self.db.read() as s:
            return [_connector(r) for r in s.scalars(select(ConnectorRow).order_by(ConnectorRow.department))]

    def connector(self, department: str) -> Connector | None:
        with self.db.read() as s:
            row = s.get(ConnectorRow, department)
            return None if row is None else _connector(row)

    def configure(self, c: Connector, actor: Actor, now: datetime, known_departments: Any = None) -> Connector:
        """Validate and store a department's connector, audited in the same transaction (the secret is
        never written to the audit log)."""
        cx.validate(c)
        if known_departments is not None and c.department not in known_departments:
            raise cx.ConnectorError("department", f"unknown department {c.department!r}")
        with self.db.write.begin() as s:
            row = s.get(ConnectorRow, c.department)
            if row is None:
                row = ConnectorRow(department=c.department)
                s.add(row)
            row.kind, row.url, row.secret, row.enabled = c.kind, c.url, c.secret, c.enabled
            row.options, row.updated_at = dict(c.options), now
            s.add(AuditRow(at=now, actor=actor.name, action="connector", target=c.department,
                           detail={"kind": c.kind, "url": c.url, "enabled": c.enabled, "options": dict(c.options)}))
        return c

    # -- the outbox hook ----------------------------------------------------------------------------

    def outbox_hook(self, uow: UnitOfWork, event: Event, incident: Incident) -> None:
        """In the dispatch's transaction: a message for a connected department's system."""
        if event.action not in OUTBOUND_ACTIONS or not event.department:
            return
        row = uow.session.get(ConnectorRow, event.department)
        if row is None or not row.enabled or row.kind == "none":
            return
        key = cx.message_key(incident.code, event.seq)
        uow.session.add(OutboxRow(
            key=key, department=row.department, kind=row.kind, incident_id=incident.id, event_seq=event.seq,
            payload=cx.dispatch_message(key, incident_view(incident, uow.now), event.action, uow.now),
            status="pending", attempts=0, created_at=uow.now, next_at=uow.now, last_error=""))

    # -- delivery -----------------------------------------------------------------------------------

    def deliver_due(self, now: datetime, limit: int = 100_000) -> DeliveryResult:
        """Send every pending message due at ``now``; passes repeat while a department that came back
        had messages pulled forward. One failure of a department skips its other rows in this pass."""
        result = DeliveryResult()
        for _ in range(20):
            before = len(result.delivered)
            if not self._pass(now, limit, result) or len(result.delivered) == before:
                break
        return result

    def _pass(self, now: datetime, limit: int, result: DeliveryResult) -> int:
        with self.db.read() as s:
            rows = s.scalars(select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.next_at <= now)
                             .order_by(OutboxRow.next_at, OutboxRow.id).limit(limit)).all()
            conns = {r.department: _connector(r) for r in s.scalars(select(ConnectorRow))}
        down: set[str] = set()
        done: list[tuple[int, str | None]] = []
        for row in rows:
            if row.department in down:
                continue
            c = conns.get(row.department)
            if c is None or not c.connected:
                self._fail(row, now, "the department is no longer connected", result, final=True)
                continue
            try:
                remote_id, reply = self._send(c, row, now)
            except Exception as exc:  # noqa: BLE001 - any failure is retried, and shown to the admin
                down.add(row.department)
                self._fail(row, now, f"{type(exc).__name__}: {exc}"[:500], result)
                continue
            done.append((row.id, remote_id))
            result.delivered.append(row.key)
            if row.attempts > 0:  # the department is back: its waiting messages go now, not after backoff
                self._pull_forward(row.department, now)
            if len(done) >= _BATCH:
                self._mark_delivered(done, now)
                done = []
            if reply is not None:
                self._apply_reply(c, row, reply, now, result)
        self._mark_delivered(done, now)
        return len(rows)

    def _send(self, c: Connector, row: OutboxRow, now: datetime) -> tuple[str | None, Any]:
        """One attempt; returns (remote id, parsed reply) or raises."""
        if c.kind == "webhook":
            body = cx.body_bytes(row.payload)
            status, data = self.transport("POST", c.url, body, cx.webhook_headers(c, row.key, body, now), c.timeout_s)
            if not 200 <= status < 300:
                raise RuntimeError(f"HTTP {status}")
            try:
                return None, json.loads(data) if data.strip() else None
            except ValueError:
                return None, None
        form = urllib.parse.urlencode(cx.open311_form(c, row.payload)).encode()
        status, data = self.transport("POST", c.url.rstrip("/") + "/requests.json", form, {
            "Content-Type": "application/x-www-form-urlencoded", cx.KEY_HEADER: row.key}, c.timeout_s)
        if not 200 <= status < 300:
            raise RuntimeError(f"HTTP {status}: {data[:200].decode('utf-8', 'replace')}")
        items = json.loads(data)
        first = items[0] if isinstance(items, list) and items else {}
        rid = first.get("service_request_id") or (f"token:{first['token']}" if first.get("token") else None)
        if not rid:
            raise RuntimeError("the Open311 server answered without a service_request_id or token")
        return str(rid), None

    def _fail(self, row: OutboxRow, now: datetime, error: str, result: DeliveryResult, final: bool = False) -> None:
        attempts = row.attempts + 1
        dead = final or attempts >= self.max_attempts
        values: dict[str, Any] = dict(attempts=attempts, last_error=error, status="dead" if dead else "pending")
        if not dead:
            values["next_at"] = now + cx.backoff(attempts, self.backoff_s, self.backoff_cap_s)
        with self.db.write.begin() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == row.id, OutboxRow.status == "pending")
                      .values(**values).execution_options(synchronize_session=False))
        (result.dead if dead else result.failed).append(row.key)
        log.info("exchange: %s to %s failed (%d): %s", row.key, row.department, attempts, error)

    def _mark_delivered(self, done: list[tuple[int, str | None]], now: datetime) -> None:
        if not done:
            return
        with self.db.write.begin() as s:
            plain = [i for i, rid in done if rid is None]
            if plain:
                s.execute(update(OutboxRow).where(OutboxRow.id.in_(plain))
                          .values(status="delivered", delivered_at=now).execution_options(synchronize_session=False))
            for i, rid in done:
                if rid is not None:
                    s.execute(update(OutboxRow).where(OutboxRow.id == i)
                              .values(status="delivered", delivered_at=now, remote_id=rid)
                              .execution_options(synchronize_session=False))

    def _pull_forward(self, department: str, now: datetime) -> None:
        with self.db.write.begin() as s:
            s.execute(update(OutboxRow).where(OutboxRow.department == department, OutboxRow.status == "pending",
                                              OutboxRow.next_at > now)
                      .values(next_at=now).execution_options(synchronize_session=False))

    # -- status back --------------------------------------------------------------------------------

    def _apply_reply(self, c: Connector, row: OutboxRow, reply: Any, now: datetime, result: DeliveryResult) -> None:
        asked = cx.reply_action(reply)
        if asked is None:
            return
        action, payload = asked
        code = row.payload["incident"]["code"]
        for step in self.apply_remote(c, code, action, now, {**payload, "key": row.key}):
            result.applied.append((code, step))

    def apply_remote(self, c: Connector, code: str, action: str, now: datetime,
                     payload: dict[str, Any] | None = None) -> list[str]:
        """Bring our incident to where the department's system says it is (see ``connectors.steps_to``),
        in one transaction; only while the incident is still this department's. Returns the steps done."""
        actor = connector_actor(c)
        done: list[str] = []
        try:
            with self.incidents.unit(now) as uow:
                incident = uow.get(code)
                if incident.department != c.department:
                    return []
                for step in cx.steps_to(incident.state.value, action):
                    incident = uow.act(incident, step, actor, incident.version,
                                       payload={**(payload or {}), "via": c.via})
                    done.append(step)
        except (store.ConflictError, TransitionError, store.NotFoundError) as exc:
            log.info("exchange: %s's %s on %s not applied: %s", c.via, action, code, exc)
            return []
        return done

    def poll_open311(self, now: datetime) -> list[tuple[str, str]]:
        """Ask every Open311 department for the requests we sent it that are still running here, and
        apply what their statuses map to. Returns (code, step) for every event written."""
        applied: list[tuple[str, str]] = []
        for c in self.connectors():
            if c.kind != "open311" or not c.enabled:
                continue
            with self.db.read() as s:
                rows = s.execute(
                    select(OutboxRow.id, OutboxRow.remote_id, IncidentRow.code)
                    .join(IncidentRow, IncidentRow.id == OutboxRow.incident_id)
                    .where(OutboxRow.department == c.department, OutboxRow.kind == "open311",
                           OutboxRow.status == "delivered", OutboxRow.remote_id.is_not(None),
                           IncidentRow.department == c.department, IncidentRow.state.in_(_RUNNING))
                    .order_by(OutboxRow.id)).all()
            by_remote = {r.remote_id: (r.id, r.code) for r in rows if not r.remote_id.startswith("token:")}
            ids = list(by_remote)
            for i in range(0, len(ids), 50):
                query = {"service_request_id": ",".join(ids[i:i + 50])}
                if c.options.get("jurisdiction_id"):
                    query["jurisdiction_id"] = str(c.options["jurisdiction_id"])
                url = c.url.rstrip("/") + "/requests.json?" + urllib.parse.urlencode(query)
                try:
                    status, data = self.transport("GET", url, None, {"Accept": "application/json"}, c.timeout_s)
                    items = json.loads(data) if status == 200 else []
                except Exception as exc:  # noqa: BLE001 - the next poll asks again
                    log.info("exchange: polling %s failed: %s", c.via, exc)
                    break
                for item in items if isinstance(items, list) else []:
                    rid = str(item.get("service_request_id") or "")
                    if rid not in by_remote:
                        continue
                    outbox_id, code = by_remote[rid]
                    remote = f"{item.get('status') or ''}/{item.get('status_notes') or ''}"[:64]
                    with self.db.write.begin() as s:
                        s.execute(update(OutboxRow).where(OutboxRow.id == outbox_id).values(remote_status=remote)
                                  .execution_options(synchronize_session=False))
                    action = cx.remote_action(c, item.get("status"), item.get("status_notes"))
                    if action is None:
                        continue
                    payload = {"remote_id": rid, "remote_status": remote}
                    applied += [(code, step) for step in self.apply_remote(c, code, action, now, payload)]
        return applied

    # -- dead letters and figures ---------------------------------------------------------------------

    def dead_letters(self, limit: int = 500) -> list[dict[str, Any]]:
        with self.db.read() as s:
            rows = s.scalars(select(OutboxRow).where(OutboxRow.status == "dead")
                             .order_by(OutboxRow.id.desc()).limit(limit)).all()
        return [{"id": r.id, "key": r.key, "department": r.department, "kind": r.kind, "attempts": r.attempts,
                 "created_at": r.created_at.isoformat(), "last_error": r.last_error} for r in rows]

    def retry(self, ids: list[int] | None, now: datetime, actor: Actor | None = None) -> int:
        """Send dead letters again (all of them with ``ids=None``), from a fresh retry count."""
        with self.db.write.begin() as s:
            stmt = update(OutboxRow).where(OutboxRow.status == "dead")
            if ids is not None:
                stmt = stmt.where(OutboxRow.id.in_(ids))
            n = s.execute(stmt.values(status="pending", attempts=0, next_at=now)
                          .execution_options(synchronize_session=False)).rowcount
            if actor is not None and n:
                s.add(AuditRow(at=now, actor=actor.name, action="outbox_retry", target="outbox",
                               detail={"ids": ids, "count": n}))
        return n

    def counts(self) -> dict[str, dict[str, int]]:
        """Messages per department and status (for the admin's overview)."""
        out: dict[str, dict[str, int]] = {}
        with self.db.read() as s:
            for dept, status, n in s.execute(select(OutboxRow.department, OutboxRow.status, func.count())
                                             .group_by(OutboxRow.department, OutboxRow.status)):
                out.setdefault(dept, {})[status] = n
        return out


def run_exchange(services: Any, stop: threading.Event, every_s: float | None = None) -> None:
    """The background loop (the shape of ``dispatch.scheduler.run_scheduler``): hold the ``exchange``
    lease, deliver what is due every ``every_s`` seconds, poll Open311 departments every
    ``open311_poll_s``; stop promptly."""
    st = services.settings
    every = every_s if every_s is not None else getattr(st, "exchange_every_s", 2.0)
    poll_every = getattr(st, "open311_poll_s", 60.0)
    last_poll: list[datetime] = []

    def work(now: datetime) -> None:
        result = services.exchange.deliver_due(now)
        if result.delivered or result.dead:
            log.info("exchange: %d delivered, %d failed, %d dead", len(result.delivered), len(result.failed),
                     len(result.dead))
        if not last_poll or (now - last_poll[0]).total_seconds() >= poll_every:
            services.exchange.poll_open311(now)
            last_poll[:] = [now]

    run_leased(services.db, LEASE_NAME, stop, services.clock, work, every)


def connector_from(department: str, kind: str, url: str = "", secret: str = "", enabled: bool = True,
                   options: dict[str, Any] | None = None) -> Connector:
    return Connector(department, kind, url, secret, enabled, dict(options or {}))


__all__ = ["DeliveryResult", "ExchangeService", "LEASE_NAME", "connector_actor", "connector_from", "http_transport",
           "run_exchange"]
