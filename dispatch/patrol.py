"""Grid workers' patrol reports (巡查上报), including resolution on the spot (自行处置).

On the spot, one transaction writes what DESIGN.md prescribes: ``created`` by the worker, then
``file`` and ``dispatch`` by the system (assignee the worker), then ``acknowledge`` and ``resolve``
by the worker — four lifecycle events after the report, and verification as usual. Which categories
allow it is the rule ``RoutingRules.allows_onspot``; anything else goes through the ordinary intake.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from dispatch.service import DispatchService, IntakeResult
from incidents.intake import IntakeError
from incidents.model import Actor, Channel, Role


class PatrolService:
    def __init__(self, dispatch: DispatchService) -> None:
        self.dispatch = dispatch

    def report(self, raw: Mapping[str, Any], worker: Actor, now: datetime, *, photo: str | None = None,
               onspot: bool = False, note: str = "") -> IntakeResult:
        """Take a patrol report; with ``onspot`` resolve it at once where the rules allow."""
        if worker.role is not Role.GRID_WORKER:
            raise IntakeError("onspot", "forbidden", "only grid workers file patrol reports")
        extra = dict(raw.get("extra") or {})
        if photo:
            extra["photo"] = photo
        draft = self.dispatch.parse({**raw, "extra": extra}, Channel.PATROL, now)
        if not onspot:
            return self.dispatch.intake(draft, worker, Channel.PATROL, now)
        rules = self.dispatch.reference.get().rules
        if not rules.allows_onspot(draft.category):
            raise IntakeError("onspot", "onspot_not_allowed", f"category {draft.category} may not be resolved on the spot")
        system = Actor.system()
        department = worker.department or rules.grid_department
        deadline = self.dispatch.deadline(draft.category, draft.severity.value, now)
        with self.dispatch.incidents.unit(now) as uow:
            incident = uow.create(draft, worker)
            incident = uow.act(incident, "file", system, incident.version, payload={"onspot": True})
            incident = uow.act(incident, "dispatch", system, incident.version, department=department,
                               assignee=worker.name, deadline=deadline, payload={"onspot": True})
            incident = uow.act(incident, "acknowledge", worker, incident.version, payload={"onspot": True})
            incident = uow.act(incident, "resolve", worker, incident.version,
                               payload={"onspot": True, "note": note.strip()[:1000], "photo": photo})
        return IntakeResult(incident, (), None)


__all__ = ["PatrolService"]
