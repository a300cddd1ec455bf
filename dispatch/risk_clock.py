"""The breach-risk model's clock: time elapsed in each limit's own kind of time (``incidents.risk.Elapsed``).

A working-day limit runs only in working periods, so the share of it an incident has used is working
seconds used ÷ working seconds allowed; a natural-hour limit runs around the clock. The unit comes from
the SLA table (category × severity). ``WorkCalendar.work_seconds_between`` walks the days one by one;
fitting the model asks for it twice per resolved incident of 90 days, so this keeps the calendar's
cumulative working seconds as a piecewise-linear function (breakpoints at every period's start and end)
and answers each question with one ``numpy.interp``.
"""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from dispatch.calendar import WorkCalendar
from dispatch.sla import SlaTable

#: Days the breakpoints cover around the first question; widened when asked outside.
_MARGIN_DAYS = 400


class WorkClock:
    """Cumulative working seconds of ``calendar`` as a function of UTC epoch seconds."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self._xs = np.empty(0)
        self._ys = np.empty(0)
        self._lock = threading.Lock()

    def _build(self, first: date, last: date) -> None:
        xs: list[float] = []
        day = first
        while day <= last:
            for a, b in self.calendar._day_periods(day):  # noqa: SLF001 — the calendar's own definition
                xs += [a.timestamp(), b.timestamp()]
            day += timedelta(days=1)
        x = np.array(xs, float)
        widths = np.diff(x)
        widths[1::2] = 0.0  # between one period's end and the next one's start no work happens
        self._xs, self._ys = x, np.concatenate([[0.0], np.cumsum(widths)])

    def _covers(self, t: float) -> bool:
        return len(self._xs) > 0 and self._xs[0] + 86400 * 2 < t < self._xs[-1] - 86400 * 2

    def _cover(self, lo: float, hi: float) -> None:
        if self._covers(lo) and self._covers(hi):
            return
        with self._lock:
            if len(self._xs):
                lo, hi = min(lo, self._xs[0]), max(hi, self._xs[-1])
            tz = self.calendar.tz
            first = datetime.fromtimestamp(lo, timezone.utc).astimezone(tz).date() - timedelta(days=_MARGIN_DAYS)
            last = datetime.fromtimestamp(hi, timezone.utc).astimezone(tz).date() + timedelta(days=_MARGIN_DAYS)
            self._build(first, last)

    def seconds_between(self, a: datetime, b: datetime) -> float:
        ta, tb = a.timestamp(), b.timestamp()
        self._cover(min(ta, tb), max(ta, tb))
        ya, yb = np.interp([ta, tb], self._xs, self._ys)
        return float(yb - ya)

    def seconds_many(self, ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
        """Working seconds between epoch-second arrays ``ta`` and ``tb``, element-wise."""
        if len(ta):
            self._cover(float(min(ta.min(), tb.min())), float(max(ta.max(), tb.max())))
        return np.interp(tb, self._xs, self._ys) - np.interp(ta, self._xs, self._ys)

    def after(self, start: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` of working time after ``start`` (the inverse of ``seconds_between``)."""
        t0 = start.timestamp()
        self._cover(t0, t0 + 86400)
        target = float(np.interp(t0, self._xs, self._ys)) + seconds
        while target > self._ys[-1] - 86400:  # far ahead: widen the table first
            self._cover(t0, self._xs[-1] + 86400 * 30)
        return datetime.fromtimestamp(float(np.interp(target, self._ys, self._xs)), timezone.utc)


def sla_elapsed(sla: SlaTable, calendar: WorkCalendar) -> Any:
    """``incidents.risk.Elapsed`` for this SLA table and calendar: working seconds for working-hour and
    working-day limits, natural seconds for natural hours (and for a category the table does not know)."""
    clock = WorkClock(calendar)
    natural_of: dict[tuple[str, str], bool] = {}

    def natural(category: str, severity: str) -> bool:
        key = (category, severity)
        if key not in natural_of:
            try:
                unit = sla.limit(category, severity).unit
            except (KeyError, ValueError):
                unit = "hours"
            natural_of[key] = str(getattr(unit, "value", unit)) == "hours"
        return natural_of[key]

    def elapsed(start: datetime, end: datetime, category: str, severity: str) -> float:
        if natural(category, severity):
            return (end - start).total_seconds()
        return clock.seconds_between(start, end)

    def many(ta: np.ndarray, tb: np.ndarray, categories: Any, severities: Any) -> np.ndarray:
        """Vectorised ``elapsed`` over epoch-second arrays (fitting reads 90 days of resolves at once)."""
        nat = np.array([natural(c, s) for c, s in zip(categories, severities)], bool)
        out = clock.seconds_many(np.asarray(ta, float), np.asarray(tb, float))
        return np.where(nat, np.asarray(tb, float) - np.asarray(ta, float), out)

    def moment(start: datetime, seconds: float, category: str, severity: str) -> datetime:
        """The inverse: when ``seconds`` of the limit's own time have passed since ``start``."""
        if natural(category, severity):
            return start + timedelta(seconds=seconds)
        return clock.after(start, seconds)

    elapsed.many = many  # type: ignore[attr-defined]
    elapsed.moment = moment  # type: ignore[attr-defined]
    return elapsed


def reference_elapsed(reference: Any) -> Any:
    """The same, from the reference cache's current tables (``services.reference.get()``)."""
    ref = reference.get()
    return sla_elapsed(ref.sla, ref.calendar)


__all__ = ["WorkClock", "reference_elapsed", "sla_elapsed"]
