"""Reference data: seeding the tables from ``data/`` on first start, and loading them back.

The CSV/TOML files are only seeds; after the first start the tables are the truth, read by every
process (so an admin's edit reaches all of them on the next :meth:`ReferenceCache.reload`).
"""
from __future__ import annotations

import csv
import io
import threading
import time as _clock
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.calendar import WorkCalendar, read_calendar_rows
from dispatch.rules import RoutingRules, rows_from_toml
from dispatch.sla import SlaTable
from incidents.records import CalendarDayRow, CategoryRow, DepartmentRow, RuleRow, SlaRow
from incidents.taxonomy import Taxonomy


@dataclass(frozen=True)
class Department:
    code: str
    zh: str
    en: str
    kind: str

    def name(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True)
class Reference:
    """Everything routing and deadlines need, loaded from the tables at once."""

    taxonomy: Taxonomy
    departments: dict[str, Department]
    sla: SlaTable
    calendar: WorkCalendar
    rules: RoutingRules


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    lines = (line for line in io.StringIO(text) if line.strip() and not line.lstrip().startswith("#"))
    return list(csv.DictReader(lines))


def seed(session: Session, data_dir: Path) -> dict[str, int]:
    """Fill each empty reference table from its seed file; tables that have rows are left alone."""
    counts: dict[str, int] = {}

    def fill(model: Any, rows: list[dict[str, Any]]) -> None:
        if session.scalar(select(func.count()).select_from(model)) == 0:
            session.add_all(model(**r) for r in rows)
            counts[model.__tablename__] = len(rows)

    fill(DepartmentRow, read_csv(data_dir / "departments.csv"))
    fill(CategoryRow, [
        {**r, "department": r["department"] or None, "onspot": r.get("onspot", "0").strip() == "1"}
        for r in read_csv(data_dir / "taxonomy.csv")
    ])
    fill(SlaRow, [{**r, "limit": float(r["limit"])} for r in read_csv(data_dir / "sla.csv")])
    days: list[dict[str, Any]] = []
    for path in sorted((data_dir / "calendar").glob("*.csv")):
        days += [{"day": r["date"], "kind": r["kind"], "name": r.get("name") or ""} for r in read_calendar_rows(path)]
    fill(CalendarDayRow, days)
    fill(RuleRow, [{"kind": k, "key": key, "value": v} for k, key, v in rows_from_toml(data_dir / "rules.toml")])
    session.flush()
    return counts


def _periods(spec: tuple[str, ...]) -> tuple[tuple[time, time], ...]:
    out = []
    for p in spec:
        start, end = p.split("-")
        out.append((time.fromisoformat(start), time.fromisoformat(end)))
    return tuple(out)


def load(session: Session, tz: ZoneInfo) -> Reference:
    cats = session.scalars(select(CategoryRow).order_by(CategoryRow.code)).all()
    taxonomy = Taxonomy.from_rows([
        {c: getattr(r, c) for c in ("code", "family", "large_code", "large_zh", "large_en", "zh", "en")}
        | {"department": r.department or "", "onspot": "1" if r.onspot else "0"}
        for r in cats
    ])
    departments = {r.code: Department(r.code, r.zh, r.en, r.kind) for r in session.scalars(select(DepartmentRow))}
    sla = SlaTable.from_rows(
        {"category": r.category, "severity": r.severity, "limit": r.limit, "unit": r.unit}
        for r in session.scalars(select(SlaRow))
    )
    rules = RoutingRules.from_rows(
        ((r.kind, r.key, r.value) for r in session.scalars(select(RuleRow).order_by(RuleRow.id))),
        {r.code: (r.department, r.onspot) for r in cats},
    )
    calendar = WorkCalendar.from_rows(
        ({"date": r.day, "kind": r.kind, "name": r.name} for r in session.scalars(select(CalendarDayRow))),
        periods=_periods(rules.working_hours), tz=tz,
    )
    return Reference(taxonomy, departments, sla, calendar, rules)


class ReferenceCache:
    """The process's current :class:`Reference`, reloaded when the tables change — in any process.

    ``version`` reads a number that every reference edit raises (the newest audit-log id: /admin writes
    an audit row in the same transaction as each change). It is read at most every ``check_every_s``
    seconds, so an edit made through another app process reaches this one within that time without
    a query per use.
    """

    def __init__(
        self, loader: Callable[[], Reference], version: Callable[[], int] | None = None,
        check_every_s: float = 5.0, monotonic: Callable[[], float] = _clock.monotonic,
    ) -> None:
        self._loader = loader
        self._version = version
        self._check_every_s = check_every_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._value: Reference | None = None
        self._seen: int | None = None
        self._checked_at = float("-inf")

    def get(self) -> Reference:
        if self._value is None or self._stale():
            with self._lock:
                if self._value is None or self._stale():
                    self._load()
        assert self._value is not None
        return self._value

    def reload(self) -> Reference:
        with self._lock:
            self._load()
        assert self._value is not None
        return self._value

    def _load(self) -> None:
        self._seen = self._version() if self._version else None
        self._checked_at = self._monotonic()
        self._value = self._loader()

    def _stale(self) -> bool:
        if self._version is None or self._monotonic() - self._checked_at < self._check_every_s:
            return False
        self._checked_at = self._monotonic()
        return self._version() != self._seen


def reference_version(session: Session) -> int:
    """The newest audit-log id: raised by every /admin change to users or reference data."""
    from incidents.records import AuditRow

    return session.scalar(select(func.max(AuditRow.id))) or 0
