"""Administration of the reference data /admin did not edit before: the gazetteer (``places``), the working
calendar (holidays, 调休 make-up working days, working hours), on-the-spot categories and the fallback
department.

Same contract as :class:`auth.admin.AdminService`: every change writes its ``audit_log`` row in the change's
own transaction (who, when, what, the values set and, for edits, the values before), and errors are
:class:`~auth.admin.AdminError` values whose key names a catalog message (``admin.error.<key>``).
Calendar and rule changes reload this process's :class:`~dispatch.reference.ReferenceCache` at once (the
audit row raises the reference version, so other processes reload on their next check). Places are not
part of the cached reference — the type-ahead reads the table — so a place edit needs no reload.
A place's point must lie in a unit grid cell (:meth:`geo.index.GridIndex.locate_one`); its grid code and
district are derived from that cell, never typed, so a place can never point outside the city.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, or_, select

from auth.admin import AdminError, AdminService
from dispatch.calendar import WorkCalendar
from geo.index import OutsideCityError
from incidents.records import CalendarDayRow, CategoryRow, DepartmentRow, PlaceRow, RuleRow

PLACE_KINDS = ("street", "community", "road", "landmark")
CALENDAR_KINDS = ("holiday", "workday")
#: An on-the-spot rule: allowed, not allowed, or "" = no rule row (the taxonomy's flag applies).
ONSPOT_VALUES = ("1", "0", "")
_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_audit = AdminService._audit  # one audit-row writer for all of /admin


@dataclass(frozen=True)
class PlaceInfo:
    id: int
    kind: str
    name: str
    alias: str
    district: int
    lon: float
    lat: float
    grid: str


def parse_working_hours(value: str) -> str:
    """``"8:30-12:00, 13:30-17:30"`` → ``"08:30-12:00,13:30-17:30"``; refuses overlaps, bad times, empty.

    Validated through :class:`dispatch.calendar.WorkCalendar` itself, so a saved value can always be loaded.
    """
    periods: list[tuple[time, time]] = []
    for part in (value or "").split(","):
        m = _PERIOD.match(part.strip())
        if not m:
            raise AdminError("working_hours")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        try:
            periods.append((time(h1, m1), time(h2, m2)))
        except ValueError:
            raise AdminError("working_hours") from None
    try:
        WorkCalendar(periods=tuple(periods))
    except ValueError:
        raise AdminError("working_hours") from None
    return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in periods)


class ReferenceAdminService:
    """Audited edits of places, calendar days, on-the-spot rules and two routing settings."""

    def __init__(self, db: Any, reference: Any, grid: Any) -> None:
        self.db = db
        self.reference = reference
        self.grid = grid

    # -- the gazetteer -------------------------------------------------------------------------

    def places(self, query: str = "", limit: int = 50) -> list[PlaceInfo]:
        """Places whose name or alias contains ``query`` (all when empty), by kind and name."""
        q = (query or "").strip().replace("%", "").replace("_", "")
        stmt = select(PlaceRow).order_by(PlaceRow.kind, PlaceRow.name).limit(limit)
        if q:
            stmt = stmt.where(or_(PlaceRow.name.like(f"%{q}%"), PlaceRow.alias.ilike(f"%{q}%")))
        with self.db.read() as s:
            return [_info(r) for r in s.scalars(stmt)]

    def place(self, place_id: Any) -> PlaceInfo | None:
        with self.db.read() as s:
            row = s.get(PlaceRow, _int(place_id))
            return None if row is None else _info(row)

    def save_place(self, actor: str, now: datetime, *, place_id: Any = None, kind: str, name: str, alias: str = "",
                   lon: Any, lat: Any) -> int:
        """Add a place (no ``place_id``) or rename / move / re-kind one; returns its id."""
        kind, name, alias = (kind or "").strip(), (name or "").strip(), (alias or "").strip()
        if kind not in PLACE_KINDS:
            raise AdminError("place_kind")
        if not 1 <= len(name) <= 64 or len(alias) > 128 or not name.isprintable() or not alias.isprintable():
            raise AdminError("place_name")
        x, y = _coordinate(lon), _coordinate(lat)
        try:
            cell = self.grid.locate_one(x, y)
        except OutsideCityError:
            raise AdminError("place_outside") from None
        values = {"kind": kind, "name": name, "alias": alias, "lon": x, "lat": y, "grid": cell,
                  "district": int(self.grid.cell(cell).district)}
        with self.db.write.begin() as s:
            clash = s.scalar(select(PlaceRow.id).where(PlaceRow.kind == kind, PlaceRow.name == name))
            if place_id in (None, ""):
                if clash is not None:
                    raise AdminError("place_exists")
                row = PlaceRow(**values)
                s.add(row)
                s.flush()
                _audit(s, actor, now, "place_create", f"place:{row.id}", values)
                return row.id
            row = s.get(PlaceRow, _int(place_id))
            if row is None:
                raise AdminError("no_place")
            if clash is not None and clash != row.id:
                raise AdminError("place_exists")
            before = {k: getattr(row, k) for k in values}
            changed = {k: v for k, v in values.items() if before[k] != v}
            if not changed:
                raise AdminError("unchanged")
            for k, v in changed.items():
                setattr(row, k, v)
            _audit(s, actor, now, "place_update", f"place:{row.id}",
                   changed | {"before": {k: before[k] for k in changed}})
            return row.id

    def delete_place(self, actor: str, now: datetime, place_id: Any) -> None:
        with self.db.write.begin() as s:
            row = s.get(PlaceRow, _int(place_id))
            if row is None:
                raise AdminError("no_place")
            _audit(s, actor, now, "place_delete", f"place:{row.id}", {"before": asdict(_info(row))})
            s.delete(row)

    # -- the working calendar ------------------------------------------------------------------

    def calendar_days(self, year: int | None = None) -> list[tuple[str, str, str]]:
        """(day, kind, name) rows, of one year when given."""
        stmt = select(CalendarDayRow).order_by(CalendarDayRow.day)
        if year:
            stmt = stmt.where(CalendarDayRow.day.like(f"{int(year):04d}-%"))
        with self.db.read() as s:
            return [(r.day, r.kind, r.name) for r in s.scalars(stmt)]

    def set_calendar_day(self, actor: str, now: datetime, *, day: Any, kind: str, name: str = "") -> None:
        """Declare a day a holiday or a make-up working day (调休, which must be a Saturday or Sunday)."""
        d = _day(day)
        name = (name or "").strip()
        if kind not in CALENDAR_KINDS:
            raise AdminError("calendar_kind")
        if kind == "workday" and d.weekday() < 5:
            raise AdminError("workday_weekend")
        if len(name) > 32:
            raise AdminError("calendar_name")
        with self.db.write.begin() as s:
            row = s.get(CalendarDayRow, d.isoformat())
            before = None if row is None else {"kind": row.kind, "name": row.name}
            if before == {"kind": kind, "name": name}:
                raise AdminError("unchanged")
            if row is None:
                s.add(CalendarDayRow(day=d.isoformat(), kind=kind, name=name))
            else:
                row.kind, row.name = kind, name
            _audit(s, actor, now, "calendar_set", d.isoformat(), {"kind": kind, "name": name, "before": before})
        self.reference.reload()

    def remove_calendar_day(self, actor: str, now: datetime, day: Any) -> None:
        """Make a day ordinary again (worked Monday–Friday, off at weekends)."""
        d = _day(day)
        with self.db.write.begin() as s:
            row = s.get(CalendarDayRow, d.isoformat())
            if row is None:
                raise AdminError("no_calendar_day")
            _audit(s, actor, now, "calendar_remove", d.isoformat(), {"before": {"kind": row.kind, "name": row.name}})
            s.delete(row)
        self.reference.reload()

    def set_working_hours(self, actor: str, now: datetime, value: str) -> str:
        """Set the working periods of a working day (city time); returns the normalised value."""
        normal = parse_working_hours(value)
        self._set_rule(actor, now, "setting", "working_hours", normal)
        return normal

    # -- routing rules and settings ------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        """The ``setting`` rule rows (grid_department, fallback_department, working_hours, …)."""
        return dict(self._rows("setting"))

    def onspot_rules(self) -> list[tuple[str, str]]:
        """(category, "1"|"0") rule rows; categories without a row follow the taxonomy's flag."""
        return self._rows("onspot")

    def set_onspot(self, actor: str, now: datetime, category: str, value: str) -> None:
        """Allow ("1") or forbid ("0") resolving a category on the spot (自行处置); "" drops the rule."""
        category, value = (category or "").strip(), (value or "").strip()
        if value not in ONSPOT_VALUES:
            raise AdminError("onspot")
        with self.db.read() as s:
            if s.get(CategoryRow, category) is None:
                raise AdminError("category")
        self._set_rule(actor, now, "onspot", category, value)

    def set_fallback_department(self, actor: str, now: datetime, department: str | None) -> None:
        """Where a category without a department goes; "" = it waits for an operator."""
        dept = (department or "").strip().upper()
        if dept:
            with self.db.read() as s:
                if s.get(DepartmentRow, dept) is None:
                    raise AdminError("department")
        self._set_rule(actor, now, "setting", "fallback_department", dept)

    def _rows(self, kind: str) -> list[tuple[str, str]]:
        with self.db.read() as s:
            return [(r.key, r.value) for r in
                    s.scalars(select(RuleRow).where(RuleRow.kind == kind).order_by(RuleRow.key))]

    def _set_rule(self, actor: str, now: datetime, kind: str, key: str, value: str) -> None:
        """Replace one rule row (an empty on-the-spot value deletes it), audit with the old value, reload."""
        with self.db.write.begin() as s:
            old = s.scalars(select(RuleRow.value).where(RuleRow.kind == kind, RuleRow.key == key)).one_or_none()
            if old == value or (old is None and value == "" and kind == "onspot"):
                raise AdminError("unchanged")
            s.execute(delete(RuleRow).where(RuleRow.kind == kind, RuleRow.key == key))
            if value or kind == "setting":
                s.add(RuleRow(kind=kind, key=key, value=value))
            _audit(s, actor, now, "rule_set" if value or kind == "setting" else "rule_delete", f"{kind}:{key}",
                   {"value": value, "before": old})
        self.reference.reload()


def _info(r: PlaceRow) -> PlaceInfo:
    return PlaceInfo(r.id, r.kind, r.name, r.alias or "", r.district, r.lon, r.lat, r.grid)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AdminError("no_place") from None


def _coordinate(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise AdminError("place_point") from None
    if not math.isfinite(x):
        raise AdminError("place_point")
    return x


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        raise AdminError("calendar_date") from None


__all__ = ["CALENDAR_KINDS", "ONSPOT_VALUES", "PLACE_KINDS", "PlaceInfo", "ReferenceAdminService",
           "parse_working_hours"]
