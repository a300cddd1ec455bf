"""The access policy: for each role, which cases a caller may read and act on, whether they see the city-wide
wall, and whether they see reporters' numbers in full. One table, like the lifecycle's.

Why one table, here: every path that hands out a case — pages, Dash callbacks, ``/api/v1``, Open311, exports,
photos, Socket.IO rooms — asks the same three questions, and a path that answers them its own way is how
cases leak. The lifecycle table says *which actions* a role may take; this table says *on whose cases*.
Pure (no framework): :class:`Reach` is the same rule as a filter a query can apply, so a list is scoped in
the database, not by dropping rows after a ``LIMIT``.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from incidents.events import ANNOTATION_RULES, task_worker
from incidents.lifecycle import allowed_actions
from incidents.model import Actor, Incident, Role


class Scope(str, Enum):
    """Whose cases: the scope of a role's reading or acting."""

    ALL = "all"  # every case
    DISTRICT = "district"  # cases in the caller's district (a caller without a district: every case)
    DEPARTMENT = "department"  # cases dispatched to the caller's department
    ASSIGNED = "assigned"  # assigned to the caller, or to their department with no named assignee
    OWN = "own"  # assigned to the caller
    NONE = "none"  # none


@dataclass(frozen=True)
class Access:
    """One role's row: cases it reads, cases it acts on, the wall, reporters' numbers."""

    read: Scope
    act: Scope
    wall: bool
    full_phone: bool


S = Scope
#: The policy. ``read`` covers every case record (API get/list/events, case views, photos, exports, Open311
#: with a key); ``act`` every action (which actions: the lifecycle table); ``wall`` the city-wide display
#: (map points, KPIs, ticker — never personal data); ``full_phone`` reporters' numbers unmasked (hotline
#: operators call citizens back; admins correct records).
POLICY: dict[Role, Access] = {
    Role.OPERATOR: Access(S.ALL, S.ALL, wall=True, full_phone=True),
    Role.ADMIN: Access(S.ALL, S.ALL, wall=True, full_phone=True),
    Role.VERIFIER: Access(S.ALL, S.ALL, wall=True, full_phone=False),
    Role.LEADER: Access(S.DISTRICT, S.NONE, wall=True, full_phone=False),
    Role.WALL: Access(S.NONE, S.NONE, wall=True, full_phone=False),
    Role.DEPT_HEAD: Access(S.DEPARTMENT, S.DEPARTMENT, wall=True, full_phone=False),
    Role.DEPT_HANDLER: Access(S.ASSIGNED, S.ASSIGNED, wall=False, full_phone=False),
    Role.GRID_WORKER: Access(S.OWN, S.OWN, wall=False, full_phone=False),
    Role.SYSTEM: Access(S.ALL, S.ALL, wall=False, full_phone=False),
}


def access_of(role: Role | str | None) -> Access:
    """The role's row; an unknown role gets nothing."""
    try:
        return POLICY[Role(role)] if role is not None else _NOTHING
    except ValueError:
        return _NOTHING


_NOTHING = Access(S.NONE, S.NONE, wall=False, full_phone=False)


def within(scope: Scope, actor: Actor, incident: Incident) -> bool:
    """Whether ``incident`` lies in ``scope`` as seen by ``actor``."""
    if scope is S.ALL:
        return True
    if scope is S.DISTRICT:
        return actor.district is None or incident.district == actor.district
    if scope is S.DEPARTMENT:
        return actor.department is not None and incident.department == actor.department
    if scope is S.ASSIGNED:
        return incident.assignee == actor.name or (
            incident.assignee is None and actor.department is not None and incident.department == actor.department)
    if scope is S.OWN:
        return incident.assignee is not None and incident.assignee == actor.name
    return False


def may_read(actor: Actor, incident: Incident) -> bool:
    """Whether ``actor`` may read ``incident``'s record (its facts, timeline and photos): its scope, or the
    grid worker sent to check it on the spot while that task is open (they must see what they check)."""
    return within(access_of(actor.role).read, actor, incident) or may_answer_task(actor, incident)


def may_answer_task(actor: Actor, incident: Incident) -> bool:
    """Only the grid worker a verification task (核查任务) names answers it, and only while it is open — not any
    grid worker, not the case's handler: the check is worth something because the center chose who looks."""
    return actor.role is Role.GRID_WORKER and task_worker(incident.extra) == actor.name


def may_act(actor: Actor, incident: Incident) -> bool:
    """Whether ``incident`` is one ``actor`` may act on (the lifecycle table then decides the action)."""
    return within(access_of(actor.role).act, actor, incident)


def actions_for(actor: Actor, incident: Incident) -> list[str]:
    """What ``actor`` may do to ``incident`` now: the lifecycle's transitions from its state for the role, then
    the annotations a person writes (extension requests and decisions, reassignment, callbacks, notes) —
    none when the case is not one the actor acts on. Drives which actions a case file offers."""
    task = [TASK_ANSWER] if may_answer_task(actor, incident) and _annotation_open(TASK_ANSWER, actor, incident) else []
    if not may_act(actor, incident):
        return [a for a in READER_ANNOTATIONS if may_read(actor, incident) and actor.role in ANNOTATION_RULES[a][1]] + task
    out = allowed_actions(incident.state, actor.role)
    for action in PERSON_ANNOTATIONS:
        if _annotation_open(action, actor, incident) and not (action == "verify_task_sent" and task_worker(incident.extra)):
            out.append(action)  # one open verification task at a time
    return out + task


def _annotation_open(action: str, actor: Actor, incident: Incident) -> bool:
    states, roles = ANNOTATION_RULES[action]
    return actor.role in roles and (states is None or incident.state in states)


#: Annotations a person writes from a case file, in the order they are offered.
PERSON_ANNOTATIONS = ("reassign", "extension_request", "extension_approve", "extension_refuse", "callback", "note",
                      "instruction", "verify_task_sent")
#: The answer to a verification task: offered to the worker it names alone (:func:`may_answer_task`).
TASK_ANSWER = "verify_task_answered"
#: Annotations written on any case one may read, not only those one acts on (a leader's 批示).
READER_ANNOTATIONS = ("instruction",)


def sees_wall(role: Role | str | None) -> bool:
    return access_of(role).wall


@dataclass(frozen=True)
class Reach:
    """A read scope as a query filter: ``nothing``, or every condition given (``None`` = no condition).

    ``unassigned_in`` adds "or no named assignee in this department" to the ``assignee`` condition."""

    nothing: bool = False
    district: int | None = None
    department: str | None = None
    assignee: str | None = None
    unassigned_in: str | None = None

    @property
    def everything(self) -> bool:
        return not self.nothing and self == Reach()


def reach_of(actor: Actor) -> Reach:
    """The cases ``actor`` may read, as a filter for lists (:func:`incidents.search.search`)."""
    scope = access_of(actor.role).read
    if scope is S.ALL:
        return Reach()
    if scope is S.DISTRICT:
        return Reach(district=actor.district)
    if scope is S.DEPARTMENT:
        return Reach(department=actor.department) if actor.department else Reach(nothing=True)
    if scope is S.ASSIGNED:
        return Reach(assignee=actor.name, unassigned_in=actor.department)
    if scope is S.OWN:
        return Reach(assignee=actor.name)
    return Reach(nothing=True)


__all__ = ["Access", "POLICY", "PERSON_ANNOTATIONS", "READER_ANNOTATIONS", "TASK_ANSWER", "Reach", "may_answer_task", "Scope", "access_of", "actions_for", "may_act", "may_read", "reach_of", "sees_wall",
           "within"]
