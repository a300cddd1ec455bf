"""Routing rules as data: category → department, grid cell → grid worker, on-the-spot categories.

Seeded from ``data/rules.toml`` into the ``rules`` table as (kind, key, value) rows; from then on the table
is the truth. The taxonomy gives each category's default department and on-the-spot flag; rules
override them. Pure: no database, no framework — the service hands the rows in.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

#: Rule kinds stored in the table (the TOML sections of the same names).
KINDS = ("category_department", "grid_workers", "onspot", "setting")
DEFAULT_HOURS = "08:30-12:00,13:30-17:30"


@dataclass(frozen=True)
class Route:
    """Where an incident goes: a department and, for grid work, the cell's grid worker."""

    department: str
    assignee: str | None = None


@dataclass(frozen=True)
class RoutingRules:
    category_department: Mapping[str, str | None]
    grid_workers: Mapping[str, str] = field(default_factory=dict)
    onspot: frozenset[str] = frozenset()
    grid_department: str = "GRID"
    fallback_department: str | None = None
    working_hours: tuple[str, ...] = tuple(DEFAULT_HOURS.split(","))

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[str, str, str]], defaults: Mapping[str, tuple[str | None, bool]]
    ) -> "RoutingRules":
        """Build from rule rows over the taxonomy's ``defaults`` (code → (department, onspot))."""
        dept = {code: d for code, (d, _) in defaults.items()}
        onspot = {code for code, (_, o) in defaults.items() if o}
        workers: dict[str, str] = {}
        settings: dict[str, str] = {}
        for kind, key, value in rows:
            if kind == "category_department":
                dept[key] = value or None
            elif kind == "grid_workers":
                workers[key] = value
            elif kind == "onspot":
                (onspot.add if value.lower() in ("1", "true", "yes") else onspot.discard)(key)
            elif kind == "setting":
                settings[key] = value
            else:
                raise ValueError(f"unknown rule kind {kind!r} (expected one of {', '.join(KINDS)})")
        return cls(
            category_department=dept, grid_workers=workers, onspot=frozenset(onspot),
            grid_department=settings.get("grid_department", "GRID"),
            fallback_department=settings.get("fallback_department") or None,
            working_hours=tuple(p.strip() for p in settings.get("working_hours", DEFAULT_HOURS).split(",")),
        )

    def worker_for(self, grid: str) -> str | None:
        """The grid worker of a cell: the longest matching code prefix (cell, community or street)."""
        for n in range(len(grid), 8, -1):  # 15 cell, 12 community, 9 street; never a whole district
            who = self.grid_workers.get(grid[:n])
            if who:
                return who
        return None

    def route(self, category: str, grid: str) -> Route | None:
        """The unambiguous route, or ``None`` when an operator must decide.

        Ambiguous: the category has no department and there is no fallback, or it is grid work in a
        cell without a grid worker.
        """
        dept = self.category_department.get(category) or self.fallback_department
        if dept is None:
            return None
        if dept == self.grid_department:
            worker = self.worker_for(grid)
            return Route(dept, worker) if worker else None
        return Route(dept)

    def allows_onspot(self, category: str) -> bool:
        return category in self.onspot


def rows_from_toml(path: Path) -> list[tuple[str, str, str]]:
    """Flatten ``rules.toml`` into (kind, key, value) rows for the seed."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    rows: list[tuple[str, str, str]] = []
    for kind in KINDS:
        for key, value in (doc.get(kind) or {}).items():
            if isinstance(value, bool):
                value = "1" if value else "0"
            rows.append((kind, str(key), "" if value is None else str(value)))
    unknown = set(doc) - set(KINDS)
    if unknown:
        raise ValueError(f"{path}: unknown sections {sorted(unknown)}")
    return rows

