"""The incident domain's vocabulary: states, severities, roles and the incident record itself.

Pure Python on purpose (no SQLAlchemy, no Flask): the lifecycle, the rules and the tests all speak in
these types, and the store maps them to rows at the edge.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


class State(str, enum.Enum):
    """Where an incident stands in the closed loop 受理 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案."""

    REPORTED = "reported"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


FINAL_STATES = frozenset({State.REJECTED, State.MERGED, State.CLOSED})
#: States in which the deadline runs; "overdue" is computed from these when read (DESIGN.md).
RUNNING_STATES = frozenset({State.DISPATCHED, State.IN_PROGRESS})
OPEN_STATES = frozenset(set(State) - FINAL_STATES)


class Severity(str, enum.Enum):
    URGENT = "urgent"  # 紧急
    HIGH = "high"  # 较急
    NORMAL = "normal"  # 一般


class Role(str, enum.Enum):
    """The roles of DESIGN.md; owned here because the lifecycle table names them."""

    OPERATOR = "operator"
    VERIFIER = "verifier"
    GRID_WORKER = "grid_worker"
    DEPT_HANDLER = "dept_handler"
    DEPT_HEAD = "dept_head"
    LEADER = "leader"
    ADMIN = "admin"
    WALL = "wall"
    SYSTEM = "system"  # the automatic intake, sweep and simulator; never a login


class Channel(str, enum.Enum):
    HOTLINE = "hotline"  # 12345 operator console
    PATROL = "patrol"  # grid worker's phone
    API = "api"
    OPEN311 = "open311"
    SENSOR = "sensor"
    IMPORT = "import"


@dataclass(frozen=True)
class Actor:
    """Who acts: a username (or ``system``), the role the action is checked against, and where they belong
    (a department; a district for a leader of one) — what the access policy (``incidents.access``) reads."""

    name: str
    role: Role
    department: str | None = None
    district: int | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls("system", Role.SYSTEM)


@dataclass(frozen=True)
class Incident:
    """One incident as the domain sees it. ``version`` is the optimistic-lock counter."""

    id: int | None
    code: str
    state: State
    category: str
    severity: Severity
    description: str
    lon: float
    lat: float
    grid: str
    district: int
    channel: Channel
    reported_at: datetime
    version: int = 1
    address: str = ""
    reporter_phone: str = ""
    department: str | None = None
    assignee: str | None = None
    deadline: datetime | None = None
    rework_count: int = 0
    merged_into: str | None = None
    closed_at: datetime | None = None
    resolved_at: datetime | None = None
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def evolve(self, **changes: Any) -> "Incident":
        return replace(self, **changes)

    def is_overdue(self, now: datetime) -> bool:
        """Overdue is computed when read, never stored (DESIGN.md "Deadline and overdue")."""
        return self.state in RUNNING_STATES and self.deadline is not None and self.deadline < now
