"""Suggested routing and redispatch (改派) for the operator console's dispatch queue.

The suggestion is the rules' plan (:meth:`DispatchService.plan`) with the assignee filled in by
workload balance (:mod:`dispatch.balance`) when the rules name only a department. The operator may
dispatch with it or choose another department and assignee; an assignee is checked to be an active
handler of that department, so a typo in the browser can never hand an incident to a stranger.

Redispatch rule (DESIGN.md "Deadline and overdue"): ``reassign`` moves a running incident to another
department or handler with a reason and **keeps its running deadline** — the citizen's clock does not
restart because the center corrected a routing, and escalation keeps its round (a new round starts only
at a ``dispatch``, i.e. after a return, which gets a fresh deadline through the queue). Only an incident
that somehow runs without a deadline gets one, computed from the reassignment.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import func, select

from dispatch.balance import Handler, candidates, least_loaded
from dispatch.service import DispatchService
from incidents.model import RUNNING_STATES, Actor, Incident, Role
from incidents.records import IncidentRow, UserRow

_RUNNING = [s.value for s in RUNNING_STATES]
#: Roles an incident may be assigned to by name (grid work goes to the cell's grid worker).
ASSIGNABLE = frozenset({Role.DEPT_HANDLER, Role.GRID_WORKER})


class RoutingError(ValueError):
    """A refused routing request; ``key`` names the catalog message (``routing.error.<key>``)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Suggestion:
    """Where the rules and the balance would send an incident now (``assignee`` None = the department)."""

    department: str
    assignee: str | None
    deadline: datetime


class RoutingService:
    def __init__(self, db: Any, dispatch: DispatchService) -> None:
        self.db = db
        self.dispatch_service = dispatch
        self.incidents = dispatch.incidents
        self.reference = dispatch.reference

    # -- reading -----------------------------------------------------------------------------

    def _users(self, session: Any, department: str | None = None) -> list[Handler]:
        q = select(UserRow.username, UserRow.role, UserRow.department, UserRow.active)
        if department is not None:
            q = q.where(UserRow.department == department)
        return [Handler(u, Role(r), d, bool(a)) for u, r, d, a in session.execute(q) if r != Role.SYSTEM.value]

    @staticmethod
    def _workload(session: Any, usernames: Iterable[str]) -> dict[str, int]:
        names = sorted(set(usernames))
        if not names:
            return {}
        return dict(session.execute(
            select(IncidentRow.assignee, func.count()).where(IncidentRow.state.in_(_RUNNING),
                                                             IncidentRow.assignee.in_(names))
            .group_by(IncidentRow.assignee)).all())

    def handlers(self, department: str) -> list[tuple[str, int]]:
        """The department's active handlers with their running workload, least loaded first."""
        with self.db.read() as s:
            pool = candidates(self._users(s, department), department)
            load = self._workload(s, (u.username for u in pool))
        return sorted(((u.username, load.get(u.username, 0)) for u in pool), key=lambda p: (p[1], p[0]))

    def suggest(self, incidents: Sequence[Incident], now: datetime) -> dict[str, Suggestion | None]:
        """Per incident code the suggested routing, or ``None`` where the rules give no department."""
        plans = {i.code: self.dispatch_service.plan(i, now) for i in incidents}
        with self.db.read() as s:
            users = self._users(s)
            load = self._workload(s, (u.username for u in users if u.role == Role.DEPT_HANDLER))
        out: dict[str, Suggestion | None] = {}
        for code, plan in plans.items():
            if plan is None:
                out[code] = None
                continue
            who = plan.assignee or least_loaded(users, plan.department, load)
            out[code] = Suggestion(plan.department, who, plan.deadline)
        return out

    # -- acting ------------------------------------------------------------------------------

    def _check(self, department: str | None, assignee: str | None) -> None:
        if not department or department not in self.reference.get().departments:
            raise RoutingError("department")
        if assignee:
            with self.db.read() as s:
                row = s.execute(select(UserRow.role, UserRow.department, UserRow.active)
                                .where(UserRow.username == assignee)).one_or_none()
            if row is None or not row.active or Role(row.role) not in ASSIGNABLE or row.department != department:
                raise RoutingError("assignee")

    def dispatch(self, code: str, actor: Actor, expected_version: int, now: datetime,
                 department: str | None = None, assignee: str | None = None) -> Incident:
        """Dispatch with the operator's choice; an empty department means "as suggested" (rules + balance)."""
        if not department:
            suggestion = self.suggest([self.incidents.get(code)], now)[code]
            if suggestion is None:
                raise RoutingError("department")
            department, assignee = suggestion.department, assignee or suggestion.assignee
        self._check(department, assignee)
        return self.dispatch_service.dispatch(code, actor, expected_version, now, department=department,
                                              assignee=assignee or None)

    def reassign(self, code: str, actor: Actor, expected_version: int, now: datetime, *, department: str | None,
                 assignee: str | None, reason: str | None) -> Incident:
        """改派: move a dispatched or in-progress incident, with a reason; the deadline keeps running."""
        text = (reason or "").strip()
        if not text:
            raise RoutingError("reason")
        if len(text) > 2000:
            raise RoutingError("too_long")
        self._check(department, assignee)
        with self.incidents.unit(now) as uow:
            incident = uow.get(code)
            if (incident.department, incident.assignee) == (department, assignee or None):
                raise RoutingError("unchanged")
            due = incident.deadline or self.dispatch_service.deadline(incident.category, incident.severity.value, now)
            return uow.act(incident, "reassign", actor, expected_version, department=department,
                           assignee=assignee or None, deadline=due,
                           payload={"reason": text, "from_department": incident.department,
                                    "from_assignee": incident.assignee})


__all__ = ["RoutingError", "RoutingService", "Suggestion"]
