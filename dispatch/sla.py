"""Handling time limits (处置时限): the category × severity table and the deadlines it yields.

This module owns ``data/sla.csv``'s shape and meaning — one limit per small class and severity
(urgent 紧急, high 较急, normal 一般), counted in working hours, working days, or natural hours (used
for 突发 emergencies, which do not wait for office hours) — and the two instants derived from a
limit: the deadline and the warning point (80 % of the limit by default) that escalation uses.

It is pure and time-free: the start instant and the ``WorkCalendar`` are parameters, so the same
function answers "when is this due" for live dispatches, history generation and tests alike.
Severities are accepted as plain strings or as ``incidents.model.Severity`` members (a ``str`` enum).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args

from dispatch.calendar import WorkCalendar

__all__ = [
    "SEVERITIES",
    "UNITS",
    "SlaLimit",
    "SlaTable",
    "Unit",
    "deadline",
    "warn_at",
]

Unit = Literal["work_hours", "work_days", "hours"]
UNITS: tuple[str, ...] = get_args(Unit)
SEVERITIES: tuple[str, ...] = ("urgent", "high", "normal")


def _severity_key(severity: object) -> str:
    # A str-valued enum member (incidents.model.Severity) and its value must find the same row.
    return str(getattr(severity, "value", severity))


@dataclass(frozen=True)
class SlaLimit:
    """A time limit: ``limit`` units of working hours, working days or natural hours."""

    limit: float
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"SLA unit must be one of {UNITS}, got {self.unit!r}")
        if not isinstance(self.limit, (int, float)) or isinstance(self.limit, bool):
            raise TypeError(f"SLA limit must be a number, got {self.limit!r}")
        if not self.limit > 0:
            raise ValueError(f"SLA limit must be positive, got {self.limit}")

    @property
    def is_natural_time(self) -> bool:
        """True when the limit runs around the clock (emergencies)."""
        return self.unit == "hours"

    def __str__(self) -> str:
        return f"{self.limit:g} {self.unit}"


@dataclass(frozen=True)
class SlaTable:
    """Limits keyed by (category code, severity). Build with ``from_rows`` or ``load``."""

    limits: Mapping[tuple[str, str], SlaLimit]

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", MappingProxyType(dict(self.limits)))

    def __hash__(self) -> int:
        return hash(frozenset(self.limits.items()))

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, object]]) -> SlaTable:
        """Rows with ``category``, ``severity``, ``limit``, ``unit``; duplicates and bad values raise."""
        limits: dict[tuple[str, str], SlaLimit] = {}
        for number, row in enumerate(rows, start=1):
            category = str(row.get("category") or "").strip()
            severity = _severity_key(row.get("severity") or "").strip()
            if not category:
                raise ValueError(f"SLA row {number}: empty category")
            if severity not in SEVERITIES:
                raise ValueError(f"SLA row {number}: severity must be one of {SEVERITIES}, got {severity!r}")
            raw_limit = row.get("limit")
            try:
                value = float(raw_limit) if not isinstance(raw_limit, (int, float)) else raw_limit
            except (TypeError, ValueError):
                raise ValueError(f"SLA row {number}: limit {raw_limit!r} is not a number") from None
            unit = str(row.get("unit") or "").strip()
            try:
                sla_limit = SlaLimit(value, unit)  # type: ignore[arg-type]  # checked in __post_init__
            except (TypeError, ValueError) as exc:
                raise ValueError(f"SLA row {number} ({category}/{severity}): {exc}") from None
            key = (category, severity)
            if key in limits:
                raise ValueError(f"SLA row {number}: duplicate limit for {category}/{severity}")
            limits[key] = sla_limit
        return cls(limits)

    @classmethod
    def load(cls, csv_path: str | Path) -> SlaTable:
        """Read ``data/sla.csv`` (``#`` lines are comments)."""
        text = Path(csv_path).read_text(encoding="utf-8-sig")
        lines = (line for line in io.StringIO(text) if line.strip() and not line.lstrip().startswith("#"))
        return cls.from_rows(csv.DictReader(lines))

    def limit(self, category: str, severity: str) -> SlaLimit:
        """The limit for a small class and severity; ``KeyError`` naming both when absent."""
        key = (str(category), _severity_key(severity))
        try:
            return self.limits[key]
        except KeyError:
            known = sorted(s for c, s in self.limits if c == key[0])
            hint = f"known severities for it: {known}" if known else "the category has no SLA rows"
            raise KeyError(f"no SLA limit for category {key[0]!r}, severity {key[1]!r} ({hint})") from None

    def categories(self) -> frozenset[str]:
        return frozenset(category for category, _ in self.limits)

    def missing(self, categories: Iterable[str]) -> list[tuple[str, str]]:
        """(category, severity) pairs with no limit — empty when the table covers the taxonomy."""
        return [(c, s) for c in categories for s in SEVERITIES if (c, s) not in self.limits]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        return (str(key[0]), _severity_key(key[1])) in self.limits

    def __len__(self) -> int:
        return len(self.limits)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.limits)


def _offset(limit: SlaLimit, start: datetime, calendar: WorkCalendar, fraction: float) -> datetime:
    if start.tzinfo is None or start.tzinfo.utcoffset(start) is None:
        raise ValueError(f"start must be timezone-aware (got naive {start.isoformat()})")
    amount = limit.limit * fraction
    if limit.unit == "hours":
        return start.astimezone(timezone.utc) + timedelta(hours=amount)
    if limit.unit == "work_hours":
        return calendar.add_work_hours(start, amount)
    return calendar.add_work_days(start, amount)


def deadline(limit: SlaLimit, start: datetime, calendar: WorkCalendar) -> datetime:
    """When a case dispatched at ``start`` is due (UTC); natural hours ignore the calendar."""
    return _offset(limit, start, calendar, 1.0)


def warn_at(limit: SlaLimit, start: datetime, calendar: WorkCalendar, fraction: float = 0.8) -> datetime:
    """The point where ``fraction`` of the limit has elapsed, in the limit's own kind of time.

    A 1-working-day limit warns after 6 working hours (80 % of 7.5 h), not after 80 % of the
    calendar hours to the deadline, so a warning never falls at night or on a holiday.
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    return _offset(limit, start, calendar, fraction)
