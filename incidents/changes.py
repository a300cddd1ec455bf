"""Deciding an action's event, and folding events into an incident (the replay).

Why one fold function: the store computes the new row by applying the new event to the old row, and a
replay folds all events from ``created`` — so the audit trail and the row cannot drift apart, and the
replay test checks exactly that the store writes nothing outside events.
"""
from __future__ import annotations


from datetime import datetime
from typing import Any

from incidents.events import ANNOTATION_RULES, NON_VERSIONING, TASK_CLOSERS, TASK_WORKER_KEY, Event
from incidents.lifecycle import TRANSITIONS, TransitionError, transition
from incidents.model import Actor, Channel, Incident, Role, Severity, State

#: Fields of the first event's payload from which a replay rebuilds the incident.
_CREATED_FIELDS = (
    "code", "category", "severity", "description", "lon", "lat", "grid", "district", "channel",
    "reported_at", "address", "reporter_phone", "extra",
)


def created_event(incident: Incident, actor: Actor, now: datetime) -> Event:
    """The first event: it carries everything a replay needs to rebuild the reported incident."""
    payload = {k: _jsonable(getattr(incident, k)) for k in _CREATED_FIELDS}
    return Event(
        incident_id=incident.id or 0, seq=1, at=now, actor=actor.name, action="created", from_state=None,
        to_state=incident.state.value, department=incident.department, assignee=incident.assignee,
        deadline=incident.deadline, payload=payload, version=incident.version,
    )


def decide(
    incident: Incident,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    seq: int,
    department: str | None = None,
    assignee: str | None = None,
    deadline: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Build the event for a lifecycle action or an annotation, refusing what the table refuses.

    ``department``/``assignee``/``deadline`` are the routing an action sets (dispatch, reassign,
    deadline_changed); other actions carry the incident's own forward, with the rules of DESIGN.md:
    return clears the assignment, reopen clears the deadline, rework keeps it.
    """
    payload = dict(payload or {})


    if action in TRANSITIONS:
        to_state = transition(incident.state, action, actor.role)
    else:
        _check_annotation(incident.state, action, actor.role)
        to_state = incident.state
    dep, who, due = incident.department, incident.assignee, incident.deadline
    if action in ("dispatch", "reassign"):
        if department is None:
            raise ValueError(f"{action} needs a department")
        dep, who, due = department, assignee, deadline
    elif action == "return":
        payload.setdefault("returned_from", incident.department)
        dep, who, due = None, None, None
    elif action == "reopen":
        due = None
    elif action in ("deadline_changed", "extension_approve"):
        if deadline is None:
            raise ValueError(f"{action} needs a deadline")
        due = deadline
    elif action == "merge":
        if not payload.get("into"):
            raise ValueError("merge needs payload['into'], the primary incident's code")
    elif action == "relocate" and not (payload.get("grid") and isinstance(payload.get("district"), int)):
        raise ValueError("relocate needs payload['grid'] (the new cell) and payload['district'] (its adcode)")
    elif action == "verify_task_sent" and not payload.get("worker"):
        raise ValueError("verify_task_sent needs payload['worker'], the grid worker's username")
    version = incident.version + (0 if action in NON_VERSIONING else 1)
    return Event(
        incident_id=incident.id or 0, seq=seq, at=now, actor=actor.name, action=action,
        from_state=incident.state.value, to_state=to_state.value, department=dep, assignee=who,
        deadline=due, payload=payload, version=version,
    )


def _check_annotation(state: State, action: str, role: Role) -> None:
    rule = ANNOTATION_RULES.get(action)
    if rule is None:
        raise TransitionError("unknown_action", f"{action!r} is not an action one can take")
    states, roles = rule
    if states is not None and state not in states:
        raise TransitionError("state", f"cannot write {action} on an incident that is {state.value}", action, state)
    if role not in roles:
        raise TransitionError("role", f"role {role.value} may not write {action}", action, state)


def apply_event(incident: Incident | None, event: Event) -> Incident:
    """Fold one event into the incident (``None`` before ``created``)."""
    if event.action == "created":
        p = event.payload
        return Incident(
            id=event.incident_id, code=p["code"], state=State(event.to_state), category=p["category"],
            severity=Severity(p["severity"]), description=p["description"], lon=p["lon"], lat=p["lat"],
            grid=p["grid"], district=p["district"], channel=Channel(p["channel"]),
            reported_at=datetime.fromisoformat(p["reported_at"]), address=p.get("address", ""),
            reporter_phone=p.get("reporter_phone", ""), extra=dict(p.get("extra") or {}),
            department=event.department, assignee=event.assignee, deadline=event.deadline,
            version=event.version, updated_at=event.at,
        )
    if incident is None:
        raise ValueError("the first event of an incident must be 'created'")
    changes: dict[str, Any] = dict(
        state=State(event.to_state), department=event.department, assignee=event.assignee,
        deadline=event.deadline, version=event.version,
    )
    if event.version != incident.version:
        changes["updated_at"] = event.at
    if event.action == "verify_fail":
        changes["rework_count"] = incident.rework_count + 1
    elif event.action == "verify_pass":
        changes["closed_at"] = event.at
    elif event.action == "resolve":
        changes["resolved_at"] = event.at
    elif event.action == "reopen":
        changes["closed_at"] = None
        changes["resolved_at"] = None
    elif event.action == "merge":
        changes["merged_into"] = event.payload["into"]
    elif event.action == "relocate":
        changes["grid"] = event.payload["grid"]
        changes["district"] = event.payload["district"]
    if event.action == "verify_task_sent":
        changes["extra"] = {**incident.extra, TASK_WORKER_KEY: str(event.payload["worker"])}
    elif event.action in TASK_CLOSERS and TASK_WORKER_KEY in incident.extra:
        changes["extra"] = {k: v for k, v in incident.extra.items() if k != TASK_WORKER_KEY}
    return incident.evolve(**changes)


def replay(events: list[Event]) -> Incident:
    """Rebuild an incident from its whole event list, in ``seq`` order."""
    incident: Incident | None = None
    for e in sorted(events, key=lambda e: e.seq):
        incident = apply_event(incident, e)
    if incident is None:
        raise ValueError("no events to replay")
    return incident


def _jsonable(v: Any) -> Any:
    kind = type(v)  # the plain kinds first: bulk import builds a payload per row, hasattr is slow
    if v is None or kind is str or kind is float or kind is int:
        return v
    if isinstance(v, datetime):
        return v.isoformat()
    if hasattr(v, "value"):
        return v.value
    if isinstance(v, dict):
        return dict(v)
    return v


__all__ = ["created_event", "decide", "apply_event", "replay"]
