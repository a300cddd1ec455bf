"""The closed-loop lifecycle as one table, and the one function that applies it.

The table is exactly DESIGN.md's: every (state, action, role) triple is either in it or refused, so
tests can be generated from it and no status rule hides in an if/elif elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from incidents.model import Role, State

S, R = State, Role


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]


def _t(action: str, sources: set[State], target: State, roles: set[Role]) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles))


#: action → transition. The single source of truth for states.
TRANSITIONS: Mapping[str, Transition] = {
    t.action: t
    for t in (
        _t("file", {S.REPORTED}, S.ACCEPTED, {R.OPERATOR, R.SYSTEM}),
        _t("reject", {S.REPORTED}, S.REJECTED, {R.OPERATOR}),
        _t("merge", {S.REPORTED, S.ACCEPTED}, S.MERGED, {R.OPERATOR}),
        _t("dispatch", {S.ACCEPTED}, S.DISPATCHED, {R.OPERATOR, R.SYSTEM}),
        _t("return", {S.DISPATCHED}, S.ACCEPTED, {R.DEPT_HANDLER, R.DEPT_HEAD, R.GRID_WORKER}),
        _t("acknowledge", {S.DISPATCHED}, S.IN_PROGRESS, {R.DEPT_HANDLER, R.GRID_WORKER}),
        _t("resolve", {S.IN_PROGRESS}, S.RESOLVED, {R.DEPT_HANDLER, R.GRID_WORKER}),
        _t("verify_pass", {S.RESOLVED}, S.CLOSED, {R.VERIFIER}),
        _t("verify_fail", {S.RESOLVED}, S.IN_PROGRESS, {R.VERIFIER}),
        _t("reopen", {S.CLOSED}, S.ACCEPTED, {R.OPERATOR, R.VERIFIER}),
    )
}

ACTIONS: tuple[str, ...] = tuple(TRANSITIONS)


class TransitionError(ValueError):
    """An action that the table does not allow; ``reason`` is ``unknown_action``, ``state`` or ``role``."""

    def __init__(self, reason: str, message: str, action: str = "", state: State | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        #: what was tried, from which state: for a refusal in the user's language (the message is English)
        self.action, self.state = action, state


def transition(state: State, action: str, role: Role) -> State:
    """Return the state ``action`` leads to from ``state`` when done by ``role``, or raise.

    Why the role is checked here and not only at the edge: every channel (console, API, Open311,
    simulator) goes through this, so a permission cannot be forgotten in one of them.
    """
    t = TRANSITIONS.get(action)
    if t is None:
        raise TransitionError("unknown_action", f"unknown action {action!r}")
    if state not in t.sources:
        allowed = ", ".join(sorted(s.value for s in t.sources))
        raise TransitionError("state", f"cannot {action} an incident that is {state.value} (needs {allowed})",
                              action, state)
    if role not in t.roles:
        raise TransitionError("role", f"role {role.value} may not {action}", action, state)
    return t.target


def allowed_actions(state: State, role: Role) -> list[str]:
    """Actions ``role`` may take from ``state``, in table order (drives the UI's buttons)."""
    return [a for a, t in TRANSITIONS.items() if state in t.sources and role in t.roles]
