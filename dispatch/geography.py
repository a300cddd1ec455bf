"""Importing the city's own geography: replace it whole, re-locate the open cases, report stale rules.

One transaction writes the new features (raising the geography's version, which every process watches
to rebuild its grid index), rewrites the gazetteer's streets, communities and places, and moves each open
incident whose point now lies in another cell — through the store, as a ``relocate`` annotation, so the
case's timeline says so and the analytics summaries follow. Either all of it commits or none.

Decisions:

* An open incident whose point lies in no new cell keeps its old cell code (the code no longer names a
  cell: maps and the grid worker rule find nothing for it) and is reported by code, so an operator can
  correct its point; closed, rejected and merged cases keep the cell they were handled in.
* Grid worker rules (``rules`` kind ``grid_workers``: a cell, community or street code → a username) whose
  code is a prefix of no new cell are reported, not deleted: an admin decides who covers the new areas.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import delete, insert, select

from geo.geography import Feature, Geography
from geo.index import NO_CELL
from incidents import milestones, store
from incidents.geography import save
from incidents.model import OPEN_STATES, Actor, Role
from incidents.records import IncidentRow, PlaceRow, RuleRow

ACTOR = Actor("import-geography", Role.SYSTEM)


@dataclass(frozen=True)
class ImportReport:
    """What an import changed: the new version, features per level, and the open cases it touched."""

    version: int
    counts: dict[str, int]
    open_cases: int
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # (incident code, old cell, new cell)
    outside: list[str] = field(default_factory=list)  # open incidents in no new cell (kept as they were)
    stale_rules: list[tuple[str, str]] = field(default_factory=list)  # (rule's code, grid worker)


def _gazetteer_rows(geography: Geography) -> list[dict[str, Any]]:
    """The ``places`` table's rows for a geography: streets and communities at a point inside them, named as
    the gazetteer names them (a community prefixed with its district's name), and every place."""
    by_code = {f.code: f for f in geography.features}
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def district_of(f: Feature) -> Feature:
        while f.level != "district":
            f = by_code[f.parent_code]
        return f

    for f in geography.features:
        if f.level not in ("street", "community", "place"):
            continue
        district = district_of(f)
        point = f.geometry if f.level == "place" else f.geometry.point_on_surface()
        if f.level == "community" and not f.name.startswith(district.name):
            name = district.name + f.name
        else:
            name = f.name
        kind = str(f.extra.get("kind", "landmark")) if f.level == "place" else f.level
        if (kind, name) in seen:
            continue
        seen.add((kind, name))
        cell = str(geography.grid.locate([point.x], [point.y])[0])
        rows.append({"kind": kind[:12], "name": name[:64], "alias": str(f.extra.get("alias", ""))[:128],
                     "district": int(district.code), "lon": round(point.x, 6), "lat": round(point.y, 6),
                     "grid": cell})
    return rows


def stale_worker_rules(rules: Sequence[tuple[str, str]], cell_codes: Sequence[str]) -> list[tuple[str, str]]:
    """The (code, worker) rules whose code starts no cell code of ``cell_codes``."""
    codes = sorted(cell_codes)
    stale = []
    for key, worker in rules:
        i = bisect.bisect_left(codes, key)
        if i >= len(codes) or not codes[i].startswith(key):
            stale.append((key, worker))
    return stale


def import_geography(incidents: Any, features: Sequence[Feature], *, source: str, now: datetime) -> ImportReport:
    """Replace the geography with ``features`` (already validated) in one transaction; see the module."""
    with incidents.unit(now) as uow:
        s = uow.session
        version = save(features, session=s, source=source, generated=False, now=now)
        geography = Geography.build(version, features)
        grid = geography.grid
        rows = s.execute(select(IncidentRow).where(IncidentRow.state.in_([st.value for st in OPEN_STATES]))
                         .order_by(IncidentRow.id)).scalars().all()
        found = grid.locate([r.lon for r in rows], [r.lat for r in rows])
        moved: list[tuple[str, str, str]] = []
        moved_ids: list[int] = []
        outside: list[str] = []
        for row, code in zip(rows, found.tolist()):
            if code == NO_CELL:
                outside.append(row.code)
            elif code != row.grid:
                incident = store.to_incident(row)  # read before the update refreshes the row
                moved.append((incident.code, incident.grid, code))
                moved_ids.append(row.id)
                uow.act(incident, "relocate", ACTOR, incident.version,
                        payload={"grid": code, "district": grid.cell(code).district, "from_grid": incident.grid})
        if moved_ids:
            milestones.rebuild(session=s, ids=moved_ids)  # summaries (and the rollup) take the new cells
        s.execute(delete(PlaceRow))
        places = _gazetteer_rows(geography)
        if places:
            s.execute(insert(PlaceRow), places)
        rules = [(r.key, r.value) for r in s.scalars(select(RuleRow).where(RuleRow.kind == "grid_workers"))]
        stale = stale_worker_rules(rules, grid.codes)
    counts: dict[str, int] = {}
    for f in features:
        counts[f.level] = counts.get(f.level, 0) + 1
    return ImportReport(version, counts, len(rows), moved, outside, stale)


__all__ = ["ACTOR", "ImportReport", "import_geography", "stale_worker_rules"]
