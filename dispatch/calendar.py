"""Working time for Siping's departments: which days are worked and how working hours add up.

This module owns the *working calendar* — the working periods of a day (08:30–12:00 and 13:30–17:30 by
default), the State Council's holiday arrangements (放假) and make-up working days (调休) loaded from
``data/calendar/*.csv`` — and the arithmetic on it that SLA deadlines and escalation need: adding
working hours or working days to a moment, and measuring the working time between two moments.

Why a module of its own: handling limits (处置时限) are counted in working time, and every deadline,
warning and "overdue" figure has to agree on the same rules. It is pure — time is always a parameter,
never read from the clock — so the rules are tested without sleeping.

Rules, stated once:

* A day is worked when it is Monday–Friday and not a holiday, or when it is a make-up working day
  (a 调休 Saturday or Sunday). Years missing from the data fall back to Monday–Friday.
* Working time runs only inside the periods of a worked day, in the calendar's zone (Asia/Shanghai).
  A start outside working time begins counting at the next working period.
* A *working day* is the total length of one day's periods (7.5 h by default), counted in working time
  from the start: one working day from Monday 15:00 ends Tuesday 15:00; from Friday 17:30 (or any time
  after it until Monday 08:30) it ends Monday 17:30. Days are not rounded to the close of business.
* When the time runs out exactly at the end of a period, the result is that end (12:00, not 13:30).
* Every datetime passed in must be timezone-aware (naive ones raise ``ValueError``); results are
  returned in UTC, the zone the store keeps. Arithmetic is done on UTC instants, so a zone with
  daylight saving would still count real elapsed seconds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_PERIODS",
    "DEFAULT_TZ",
    "WorkCalendar",
    "read_calendar_rows",
]

Period = tuple[time, time]

DEFAULT_PERIODS: tuple[Period, ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

# A search for the next working period gives up after this many days: no real calendar has a year
# without working days, so hitting it means the data (or the periods) are wrong.
_MAX_IDLE_DAYS = 400
_KINDS = frozenset({"holiday", "workday"})


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")


def _comment_free(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        if line.lstrip().startswith("#") or not line.strip():
            continue
        yield line


def read_calendar_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows (``date``, ``kind``, ``name``) of one calendar csv, comment lines (``#``) skipped."""
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(_comment_free(io.StringIO(text)))
    missing = {"date", "kind"} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
    return [dict(row) for row in reader]


def _validate_periods(periods: Iterable[tuple[time, time]]) -> tuple[Period, ...]:
    result = tuple((start, end) for start, end in periods)
    if not result:
        raise ValueError("a working calendar needs at least one working period")
    previous_end: time | None = None
    for start, end in result:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("working periods are wall-clock times without a zone")
        if not start < end:
            raise ValueError(f"working period {start}–{end} must start before it ends")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"working period {start}–{end} overlaps or is out of order")
        previous_end = end
    return result


@dataclass(frozen=True)
class WorkCalendar:
    """Working periods, holidays and make-up working days in one zone; see the module docstring."""

    periods: tuple[Period, ...] = DEFAULT_PERIODS
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    tz: ZoneInfo = DEFAULT_TZ
    # Display names (e.g. 国庆节, 春节调休); not part of the calendar's identity.
    names: Mapping[date, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "periods", _validate_periods(self.periods))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates both holiday and make-up workday: {sorted(both)}")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Mapping[str, object]],
        *,
        periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
        tz: ZoneInfo | str = DEFAULT_TZ,
    ) -> WorkCalendar:
        """Build from rows with ``date`` (ISO string or ``date``), ``kind`` (holiday|workday), ``name``.

        A make-up workday must fall on a Saturday or Sunday: on a weekday it would change nothing,
        so it is almost certainly a typo in the data.
        """
        holidays: set[date] = set()
        workdays: set[date] = set()
        names: dict[date, str] = {}
        for number, row in enumerate(rows, start=1):
            raw_date = row.get("date")
            try:
                day = raw_date if isinstance(raw_date, date) else date.fromisoformat(str(raw_date).strip())
            except ValueError:
                raise ValueError(f"calendar row {number}: bad date {raw_date!r}") from None
            kind = str(row.get("kind", "")).strip()
            if kind not in _KINDS:
                raise ValueError(f"calendar row {number}: kind must be holiday or workday, got {kind!r}")
            if kind == "workday":
                if day.weekday() < 5:
                    raise ValueError(f"calendar row {number}: make-up workday {day} is not a weekend day")
                workdays.add(day)
            else:
                holidays.add(day)
            name = str(row.get("name") or "").strip()
            if name:
                names[day] = name
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return cls(
            periods=tuple(periods),
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            tz=zone,
            names=names,
        )

    @classmethod
    def load(
        cls,
        dir_path: str | Path,
        *,
        periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
        tz: ZoneInfo | str = DEFAULT_TZ,
    ) -> WorkCalendar:
        """Read every ``*.csv`` in ``dir_path`` (one per year, ``#`` lines are comments)."""
        directory = Path(dir_path)
        files = sorted(directory.glob("*.csv"))
        if not files:
            raise FileNotFoundError(f"no calendar csv files in {directory}")
        rows: list[dict[str, str]] = []
        for path in files:
            rows.extend(read_calendar_rows(path))
        return cls.from_rows(rows, periods=periods, tz=tz)

    # -- days ---------------------------------------------------------------------------------

    @property
    def day_seconds(self) -> float:
        """Length of one full working day in seconds (7.5 h by default)."""
        return float(sum(_wall_seconds(start, end) for start, end in self.periods))

    @property
    def day_hours(self) -> float:
        return self.day_seconds / 3600.0

    def is_workday(self, d: date) -> bool:
        """Monday–Friday unless a holiday; a weekend day only when it is a make-up working day."""
        if isinstance(d, datetime):
            raise TypeError("is_workday takes a date; convert a datetime to the calendar's zone first")
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def name_of(self, d: date) -> str | None:
        """The holiday or make-up name of a date (e.g. 国庆节), if the data gave one."""
        return self.names.get(d)

    def is_working_time(self, moment: datetime) -> bool:
        """True when ``moment`` lies inside a working period of a worked day (end excluded)."""
        _require_aware(moment, "moment")
        instant = moment.astimezone(timezone.utc)
        local_day = instant.astimezone(self.tz).date()
        return any(start <= instant < end for start, end in self._day_periods(local_day))

    # -- arithmetic ---------------------------------------------------------------------------

    def add_work_hours(self, start: datetime, hours: float) -> datetime:
        """The instant at which ``hours`` of working time have elapsed since ``start`` (UTC)."""
        _require_aware(start, "start")
        if hours < 0:
            raise ValueError(f"hours must not be negative, got {hours}")
        return self._add_seconds(start.astimezone(timezone.utc), float(hours) * 3600.0)

    def add_work_days(self, start: datetime, days: float) -> datetime:
        """``days`` working days after ``start``: days × the working-day length, in working time."""
        _require_aware(start, "start")
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        return self._add_seconds(start.astimezone(timezone.utc), float(days) * self.day_seconds)

    def work_seconds_between(self, a: datetime, b: datetime) -> float:
        """Working seconds from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        lo, hi = a.astimezone(timezone.utc), b.astimezone(timezone.utc)
        if hi < lo:
            return -self.work_seconds_between(b, a)
        total = 0.0
        day = lo.astimezone(self.tz).date()
        last = hi.astimezone(self.tz).date()
        while day <= last:
            for p_start, p_end in self._day_periods(day):
                overlap_start, overlap_end = max(p_start, lo), min(p_end, hi)
                if overlap_end > overlap_start:
                    total += (overlap_end - overlap_start).total_seconds()
            day += timedelta(days=1)
        return total

    # -- internals ----------------------------------------------------------------------------

    def _day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working periods as UTC instants; empty on a day off."""
        if not self.is_workday(day):
            return []
        return [
            (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(timezone.utc),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(timezone.utc),
            )
            for start, end in self.periods
        ]

    def _add_seconds(self, start: datetime, seconds: float) -> datetime:
        if seconds == 0:
            return start
        remaining = seconds
        day = start.astimezone(self.tz).date()
        idle = 0
        while True:
            periods = self._day_periods(day)
            idle = idle + 1 if not periods else 0
            if idle > _MAX_IDLE_DAYS:
                raise ValueError(f"no working day within {_MAX_IDLE_DAYS} days after {start.isoformat()}")
            for p_start, p_end in periods:
                if p_end <= start:
                    continue
                begin = max(p_start, start)
                available = (p_end - begin).total_seconds()
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
            day += timedelta(days=1)


def _wall_seconds(start: time, end: time) -> float:
    anchor = date(2000, 1, 3)
    return (datetime.combine(anchor, end) - datetime.combine(anchor, start)).total_seconds()
