"""Escalation (督办) as pure rules: which steps fall due for a running incident, and when.

The steps, in order (DESIGN.md's ``escalate`` payload ``step``):

* ``warn``    — 80 % of the time limit has elapsed (``dispatch.sla.warn_at``, in the limit's own kind of
  time) → the assigned handler is warned;
* ``overdue`` — the deadline has passed → the incident is flagged overdue and the department head notified;
* ``leader``  — twice the limit has elapsed (one more limit after the deadline, so an approved extension
  moves it too) → the district's leader is notified.

Pure and time-free: the start of the running deadline, the deadline, the limit and the calendar are
parameters, so the schedule is tested with injected time and no database. Steps are never dropped: a
sweep that wakes up late sends every step that fell due, in order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from dispatch.calendar import WorkCalendar
from dispatch.sla import SlaLimit, deadline as sla_deadline, warn_at

#: The steps in the order they fall due, each with who is notified.
STEPS: tuple[str, ...] = ("warn", "overdue", "leader")
NOTIFY: dict[str, str] = {"warn": "assignee", "overdue": "dept_head", "leader": "leader"}


@dataclass(frozen=True)
class Schedule:
    """The instants at which each step of one running deadline falls due (UTC)."""

    warn_at: datetime
    overdue_at: datetime
    leader_at: datetime

    def at(self, step: str) -> datetime:
        return {"warn": self.warn_at, "overdue": self.overdue_at, "leader": self.leader_at}[step]

    def due(self, now: datetime, sent: Iterable[str] = ()) -> list[str]:
        """Steps due at ``now`` that were not sent yet, in order (a late sweep sends all of them)."""
        done = set(sent)
        return [s for s in STEPS if s not in done and self.at(s) <= now]

    def next_at(self, sent: Iterable[str] = ()) -> datetime | None:
        """When the earliest unsent step falls due; ``None`` once every step was sent."""
        done = set(sent)
        pending = [self.at(s) for s in STEPS if s not in done]
        return min(pending) if pending else None


def schedule(limit: SlaLimit, start: datetime, deadline: datetime, calendar: WorkCalendar,
             warn_fraction: float = 0.8) -> Schedule:
    """The schedule of a deadline that started running at ``start`` (the dispatch) and is due at ``deadline``.

    ``deadline`` is the incident's current one, which an approved extension may have moved past the
    limit; the warning stays at 80 % of the original limit (it was about the handler's own pace), the
    leader step follows the deadline by one more limit.
    """
    warn = min(warn_at(limit, start, calendar, warn_fraction), deadline)
    return Schedule(warn_at=warn, overdue_at=deadline, leader_at=sla_deadline(limit, deadline, calendar))


__all__ = ["NOTIFY", "STEPS", "Schedule", "schedule"]
