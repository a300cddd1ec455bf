"""Dispatch use cases: the intake path every channel shares, routing plans and manual dispatch.

Intake files and dispatches automatically only when routing is unambiguous and no likely duplicate
exists (DESIGN.md); otherwise the incident waits as ``reported`` in the operator's queue.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from dispatch.reference import ReferenceCache
from dispatch.sla import deadline as sla_deadline
from incidents.intake import Draft, IntakeError, Locator, parse_draft
from incidents.model import Actor, Channel, Incident, State
from incidents.service import IncidentService, UnitOfWork


@dataclass(frozen=True)
class Plan:
    department: str
    assignee: str | None
    deadline: datetime


@dataclass(frozen=True)
class IntakeResult:
    incident: Incident
    duplicates: Sequence[Incident]
    #: why the incident waits for an operator: None (dispatched), "duplicate" or "ambiguous"
    waiting: str | None


class DispatchService:
    def __init__(
        self, incidents: IncidentService, reference: ReferenceCache, locator: Locator,
        duplicate_radius_m: float = 50.0, duplicate_window_h: float = 24.0,
    ) -> None:
        self.incidents = incidents
        self.reference = reference
        self.locator = locator
        self.duplicate_radius_m = duplicate_radius_m
        self.duplicate_window_h = duplicate_window_h
        #: told of every refused input (channel, error, now) so refusals are counted, not only logged
        self.on_refusal: Callable[[Channel, IntakeError, datetime], None] | None = None

    def deadline(self, category: str, severity: str, start: datetime) -> datetime:
        ref = self.reference.get()
        return sla_deadline(ref.sla.limit(category, severity), start, ref.calendar)

    def plan(self, incident: Incident, now: datetime) -> Plan | None:
        """Department, assignee and deadline by the rules, or ``None`` when an operator must decide."""
        route = self.reference.get().rules.route(incident.category, incident.grid)
        if route is None:
            return None
        return Plan(route.department, route.assignee, self.deadline(incident.category, incident.severity.value, now))

    def parse(self, raw: Mapping[str, Any], channel: Channel, now: datetime) -> Draft:
        try:
            return parse_draft(raw, taxonomy=self.reference.get().taxonomy, locator=self.locator, channel=channel,
                               now=now)
        except IntakeError as exc:
            if self.on_refusal is not None:
                self.on_refusal(channel, exc, now)
            raise

    def likely_duplicates(self, category: str, lon: float, lat: float, now: datetime) -> Sequence[Incident]:
        """Open incidents a report of ``category`` at (lon, lat) would repeat — asked while the operator is still
        on the call, before anything is stored (the same limits as intake's own check)."""
        from datetime import timedelta

        from incidents import store

        with self.incidents.db.read() as s:
            return store.nearby_open(category, lon, lat, now, self.duplicate_radius_m,
                                     timedelta(hours=self.duplicate_window_h), session=s)

    def intake(self, raw: Mapping[str, Any] | Draft, actor: Actor, channel: Channel, now: datetime) -> IntakeResult:
        """Validate, store, and auto-file + auto-dispatch when that is safe — all in one transaction."""
        draft = raw if isinstance(raw, Draft) else self.parse(raw, channel, now)
        with self.incidents.unit(now) as uow:
            return self.intake_in(uow, draft, actor, now)

    def intake_in(self, uow: UnitOfWork, draft: Draft, actor: Actor, now: datetime) -> IntakeResult:
        """The store → de-duplicate → dispatch half of intake inside the caller's unit of work, so a
        channel can write its own rows (idempotency key, alarm link) in the incident's transaction."""
        system = Actor.system()
        duplicates = uow.duplicates(draft, self.duplicate_radius_m, self.duplicate_window_h)
        incident = uow.create(draft, actor)
        if duplicates:
            return IntakeResult(incident, duplicates, "duplicate")
        plan = self.plan(incident, now)
        if plan is None:
            return IntakeResult(incident, (), "ambiguous")
        incident = uow.act(incident, "file", system, incident.version)
        incident = uow.act(incident, "dispatch", system, incident.version, department=plan.department,
                           assignee=plan.assignee, deadline=plan.deadline)
        return IntakeResult(incident, (), None)

    def dispatch(
        self, code: str, actor: Actor, expected_version: int, now: datetime,
        department: str | None = None, assignee: str | None = None,
    ) -> Incident:
        """The operator files (if still ``reported``) and dispatches to the department given, or the plan's."""
        with self.incidents.unit(now) as uow:
            incident = uow.get(code)
            if incident.state == State.REPORTED:
                incident = uow.act(incident, "file", actor, expected_version)
                expected_version = incident.version
            plan = self.plan(incident, now)
            dept = department or (plan.department if plan else None)
            if not dept:
                raise ValueError("department is required: the rules give none for this incident")
            if dept not in self.reference.get().departments:
                raise ValueError(f"unknown department {dept!r}")
            who = assignee if department else (assignee or (plan.assignee if plan else None))
            due = self.deadline(incident.category, incident.severity.value, now)
            return uow.act(incident, "dispatch", actor, expected_version, department=dept, assignee=who, deadline=due)
