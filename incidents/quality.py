"""Data quality per channel and period: refused inputs and their reasons, missing optional
fields, merged duplicates, late filings, time to file, location precision — and the refusal counter.

Refusals are rows (``refusals``), written by ``DispatchService.parse`` (console, patrol, API, Open311,
sensors) and by the CSV import, so the refusal rate is counted, not guessed from logs. The figures are
computed from the incident and event tables when asked (a period of a few weeks is a few thousand rows
per channel); the periods are days or ISO weeks in the city's zone.

Location precision: a point within ``BORDER_M`` metres of its unit grid cell's border is "on the border"
(a coordinate rounded, snapped to a road centre line or typed by hand often lands there, and its cell —
hence its grid worker — is a coin toss); a point in a ``rural`` cell lies outside the urban core. Both are
computed in Python over the period's incidents (shapely distance to the cell polygon's boundary, in a
local metric frame at the cell's latitude): a few thousand points a page, no spatial SQL needed.
"""
from __future__ import annotations

import csv
import io
import logging
import math
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from incidents.records import EventRow, IncidentRow, RefusalRow

if TYPE_CHECKING:
    from geo.index import GridIndex

log = logging.getLogger("cityops.quality")
#: a report filed more than this after the moment it describes is "late"
LATE_AFTER = timedelta(hours=24)
FREQS = ("day", "week")
#: a point closer than this (metres) to its cell's border counts as "on the border"
BORDER_M = 5.0
M_PER_DEG = 111_320.0
RURAL_KIND = "rural"


class RefusalRecorder:
    """Counts refusals: ``recorder(channel, error, now)`` writes one row in its own short transaction.
    A failure to count is logged and never turns into the caller's error."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def __call__(self, channel: Any, error: Any, now: datetime) -> None:
        self.record_many(channel, [(getattr(error, "field", "") or "", getattr(error, "code", "") or "")], now)

    def record_many(self, channel: Any, reasons: Iterable[tuple[str, str]], now: datetime) -> None:
        rows = [{"at": now, "channel": str(getattr(channel, "value", channel))[:12], "field": (f or "")[:32],
                 "code": (c or "")[:32]} for f, c in reasons]
        if not rows:
            return
        try:
            with self.db.write.begin() as s:
                s.execute(insert(RefusalRow.__table__), rows)
        except Exception:  # noqa: BLE001 - counting must not break intake
            log.exception("could not count %d refusals", len(rows))


def period_of(at: datetime, freq: str, tz: ZoneInfo) -> str:
    day = at.astimezone(tz).date()
    if freq == "week":
        day = day - timedelta(days=day.weekday())
    return day.isoformat()


@dataclass
class ChannelQuality:
    """One channel in one period. Rates are of all inputs (accepted + refused), or of accepted ones."""

    period: str
    channel: str
    accepted: int = 0
    refused: int = 0
    missing_address: int = 0
    missing_phone: int = 0
    duplicates: int = 0
    late: int = 0
    on_border: int = 0
    rural: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    file_minutes: list[float] = field(default_factory=list, repr=False)

    @property
    def inputs(self) -> int:
        return self.accepted + self.refused

    def as_dict(self) -> dict[str, Any]:
        def rate(n: int, of: int) -> float | None:
            return round(n / of, 4) if of else None

        out = {k: v for k, v in asdict(self).items() if k != "file_minutes"}
        out.update(inputs=self.inputs, refused_rate=rate(self.refused, self.inputs),
                   missing_address_rate=rate(self.missing_address, self.accepted),
                   missing_phone_rate=rate(self.missing_phone, self.accepted),
                   duplicate_rate=rate(self.duplicates, self.accepted), late_rate=rate(self.late, self.accepted),
                   on_border_rate=rate(self.on_border, self.accepted), rural_rate=rate(self.rural, self.accepted),
                   median_file_min=round(statistics.median(self.file_minutes), 1) if self.file_minutes else None,
                   top_reasons=", ".join(f"{k} ×{v}" for k, v in sorted(self.reasons.items(),
                                                                        key=lambda kv: -kv[1])[:3]))
        return out


class Precision:
    """Where a point sits in its cell: near the border, or in a rural cell. Cell borders are turned into
    metres once per cell (scaled at the cell's latitude) and reused for every point in that cell."""

    def __init__(self, grid: GridIndex, border_m: float = BORDER_M) -> None:
        self.grid, self.border_m = grid, border_m
        self._edges: dict[str, tuple[Any, float]] = {}

    def _edge(self, code: str) -> tuple[Any, float]:
        if code not in self._edges:
            kx = M_PER_DEG * math.cos(math.radians(self.grid.cell(code).lat))
            edge = shapely.transform(self.grid.geometry(code).boundary, lambda xy: xy * [kx, M_PER_DEG])
            self._edges[code] = (edge, kx)
        return self._edges[code]

    def border_distance_m(self, code: str, lon: float, lat: float) -> float:
        edge, kx = self._edge(code)
        return float(shapely.distance(edge, shapely.Point(lon * kx, lat * M_PER_DEG)))

    def judge(self, code: str, lon: float, lat: float) -> tuple[bool, bool]:
        """(on the border, rural) — both False for a cell the grid does not know."""
        if code not in self.grid:
            return False, False
        return (self.border_distance_m(code, lon, lat) <= self.border_m,
                self.grid.cell(code).kind == RURAL_KIND)


def quality(since: datetime, until: datetime, freq: str, tz: ZoneInfo, *, session: Session,
            late_after: timedelta = LATE_AFTER, grid: GridIndex | None = None,
            border_m: float = BORDER_M) -> list[dict[str, Any]]:
    """Rows (period, channel) for inputs filed in ``[since, until)``, ordered by period then channel.
    Without ``grid`` the location-precision figures stay 0."""
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)}")
    cells: dict[tuple[str, str], ChannelQuality] = {}

    def cell(at: datetime, channel: str) -> ChannelQuality:
        key = (period_of(at, freq, tz), channel)
        if key not in cells:
            cells[key] = ChannelQuality(*key)
        return cells[key]

    I, E = IncidentRow, EventRow
    precision = Precision(grid, border_m) if grid is not None else None
    rows = session.execute(
        select(I.channel, I.reported_at, I.address, I.reporter_phone, I.state, E.at, I.grid, I.lon, I.lat)
        .join(E, (E.incident_id == I.id) & (E.seq == 1))
        .where(E.at >= since, E.at < until)
    )
    for channel, reported_at, address, phone, state, filed_at, code, lon, lat in rows:
        c = cell(filed_at, channel)
        c.accepted += 1
        c.missing_address += not (address or "").strip()
        c.missing_phone += not (phone or "").strip()
        c.duplicates += state == "merged"
        lag = filed_at - reported_at
        c.late += lag > late_after
        c.file_minutes.append(max(0.0, lag.total_seconds() / 60))
        if precision is not None:
            on_border, rural = precision.judge(code, lon, lat)
            c.on_border += on_border
            c.rural += rural
    for at, channel, fld, code in session.execute(
            select(RefusalRow.at, RefusalRow.channel, RefusalRow.field, RefusalRow.code)
            .where(RefusalRow.at >= since, RefusalRow.at < until)):
        c = cell(at, channel)
        c.refused += 1
        reason = f"{fld}:{code}"
        c.reasons[reason] = c.reasons.get(reason, 0) + 1
    return [cells[k].as_dict() for k in sorted(cells)]


CSV_COLUMNS = ("period", "channel", "inputs", "accepted", "refused", "refused_rate", "top_reasons",
               "missing_address_rate", "missing_phone_rate", "duplicate_rate", "late_rate", "median_file_min", "on_border_rate", "rural_rate")


def quality_csv(rows: list[dict[str, Any]]) -> str:
    """The weekly feedback report per channel owner as CSV (UTF-8 with BOM, so Excel reads Chinese)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow(["" if r.get(k) is None else r.get(k) for k in CSV_COLUMNS])
    return "\ufeff" + buf.getvalue()


def week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


__all__ = ["BORDER_M", "CSV_COLUMNS", "Precision", "RefusalRecorder", "quality", "quality_csv", "period_of", "week_start"]
