"""The closed list of event actions and the event record.

Every change to an incident is an event with the columns DESIGN.md lists, so any indicator can be
recomputed "as of" any moment and a day can be replayed. Call sites use these names, never their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incidents.lifecycle import ACTIONS
from incidents.model import OPEN_STATES, RUNNING_STATES, Role, State

#: Events that are not state transitions. ``escalate`` and ``alarm_*`` are system annotations.
ANNOTATIONS: tuple[str, ...] = (
    "created",
    "reassign",
    "escalate",
    "extension_request",
    "extension_approve",
    "extension_refuse",
    "note",
    "callback",
    "alarm_repeat",
    "alarm_clear",
    "reporter_added",
    "alert_acknowledged",
    "deadline_changed",
    "instruction",
    "verify_task_sent",
    "verify_task_answered",
    "relocate",
)
EVENT_ACTIONS: frozenset[str] = frozenset(ACTIONS) | frozenset(ANNOTATIONS)

#: Annotations written by the system that must not bump the version (DESIGN.md "Version").
NON_VERSIONING: frozenset[str] = frozenset({"escalate", "alarm_repeat", "alarm_clear", "alert_acknowledged",
                                           "instruction", "verify_task_sent", "verify_task_answered",
                                           "relocate"})

#: 核查任务: the key of ``Incident.extra`` naming the grid worker whose on-the-spot check is open. The fold
#: (``incidents.changes.apply_event``) sets it from ``verify_task_sent`` and clears it when the task is answered
#: or the verifier decides, so the row never drifts from the events. A colon never passes intake's check on
#: extra names, so no reporter or API client can write it and grant themselves a reader.
TASK_WORKER_KEY = "verify:worker"
#: Actions that end an open verification task: its answer, or the verifier's decision without waiting for it.
TASK_CLOSERS: frozenset[str] = frozenset({"verify_task_answered", "verify_pass", "verify_fail", "reopen"})
#: A grid worker's verdict on the spot: the handler's result is real (属实已解决), or it is not (未解决).
TASK_VERDICTS: tuple[str, ...] = ("resolved", "unresolved")


_R = Role
_PEOPLE = frozenset(set(Role) - {Role.WALL})
#: Annotations are checked like transitions: the states they may be written in (None = any) and the
#: roles that may write them. ``created`` is written by the store's insert only.
ANNOTATION_RULES: dict[str, tuple[frozenset[State] | None, frozenset[Role]]] = {
    "reassign": (RUNNING_STATES, frozenset({_R.OPERATOR, _R.SYSTEM})),
    "escalate": (RUNNING_STATES, frozenset({_R.SYSTEM})),
    "extension_request": (RUNNING_STATES, frozenset({_R.DEPT_HANDLER, _R.DEPT_HEAD, _R.GRID_WORKER})),
    "extension_approve": (RUNNING_STATES, frozenset({_R.OPERATOR})),
    "extension_refuse": (RUNNING_STATES, frozenset({_R.OPERATOR})),
    "note": (None, _PEOPLE),
    "callback": (frozenset({State.CLOSED}), frozenset({_R.OPERATOR})),
    "alarm_repeat": (None, frozenset({_R.SYSTEM})),
    "alarm_clear": (None, frozenset({_R.SYSTEM})),
    "reporter_added": (None, frozenset({_R.OPERATOR, _R.SYSTEM})),
    "alert_acknowledged": (None, frozenset({_R.OPERATOR})),
    "deadline_changed": (RUNNING_STATES, frozenset({_R.OPERATOR, _R.SYSTEM})),
    # 批示: a leader's instruction on a case they may read; changes nothing a handler acts on (no new version)
    "instruction": (None, frozenset({_R.LEADER, _R.ADMIN})),
    # 核查任务: the center sends a grid worker to check a resolved case on the spot; only a grid worker answers
    # (which one — the worker the task names — is the access policy's ``may_answer_task``). Neither changes
    # what the handler acts on, so neither bumps the version.
    "verify_task_sent": (frozenset({State.RESOLVED}), frozenset({_R.VERIFIER, _R.ADMIN})),
    "verify_task_answered": (frozenset({State.RESOLVED}), frozenset({_R.GRID_WORKER})),
    # An imported geography moved an open case into another cell (payload: grid, district, from_grid); the
    # handler's work is unchanged, so no new version.
    "relocate": (OPEN_STATES, frozenset({_R.SYSTEM})),
}


def task_worker(extra: dict[str, Any] | None) -> str | None:
    """The grid worker with an open verification task on an incident whose ``extra`` this is, if any."""
    who = (extra or {}).get(TASK_WORKER_KEY)
    return who if isinstance(who, str) and who else None


@dataclass(frozen=True)
class Event:
    """One row of the audit trail, with department/assignee/deadline as they stood after it."""

    incident_id: int
    seq: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    department: str | None
    assignee: str | None
    deadline: datetime | None
    payload: dict[str, Any] = field(default_factory=dict)
    version: int = 1

    def __post_init__(self) -> None:
        if self.action not in EVENT_ACTIONS:
            raise ValueError(f"unknown event action {self.action!r}")
