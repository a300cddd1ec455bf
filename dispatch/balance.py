"""Workload balance (负载均衡): which of a department's handlers the suggested routing names.

Pure on purpose: the routing service reads the users and the open workload in one transaction and hands
them in, so the rule — the active ``dept_handler`` of the department with the fewest running
assignments, ties broken by username — is tested without a database and every process picks alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from incidents.model import Role


@dataclass(frozen=True)
class Handler:
    """A user as balancing sees them: who, in which role and department, and whether they may log in."""

    username: str
    role: Role
    department: str | None
    active: bool = True


def candidates(users: Iterable[Handler], department: str) -> list[Handler]:
    """The department's active handlers (heads supervise and grid workers are routed by cell, not balanced)."""
    return [u for u in users if u.active and u.role == Role.DEPT_HANDLER and u.department == department]


def least_loaded(users: Iterable[Handler], department: str, workload: Mapping[str, int]) -> str | None:
    """The username with the least open workload in ``department`` (ties by username), or ``None``
    when the department has no active handler (the incident then goes to the department as a whole)."""
    pool = candidates(users, department)
    if not pool:
        return None
    return min(pool, key=lambda u: (workload.get(u.username, 0), u.username)).username


__all__ = ["Handler", "candidates", "least_loaded"]
