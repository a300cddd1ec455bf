"""The standard indicators computed from the event log "as of" any moment, by group and by period.

How: one SQL query folds each candidate incident's events with ``at <= as_of`` into its milestones
(first ``file``, first ``dispatch``, last ``resolve`` and whether it was on time against the deadline that
event carried, last ``verify_pass``, counts of ``return``/``reassign``/``verify_fail``) and joins the
incident's last event at ``as_of`` for its state, department and deadline as they stood then. The period
rules of ``data/indicators.toml`` are then vectorised masks over those milestones (pandas), so a table,
a trend and a drill-down list all count exactly the same incidents. Because only events at or before
``as_of`` are read, a past period's figures do not move when today's work is recorded.

Candidates are incidents reported within ``lookback_days`` before the range (index on ``reported_at``)
plus every incident still open now (index on ``state``); an incident older than that which was closed
later is outside the window — a stated limit that keeps every view fast on years of history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import String, and_, case, func, select, type_coerce, union
from sqlalchemy.orm import Session

from incidents import history
from incidents.indicators import Definitions, load
from incidents.model import OPEN_STATES, RUNNING_STATES

GROUPS = ("district", "grid", "department", "category")
FREQS = {"day": "D", "week": "W-MON", "month": "MS"}
_MS_COLS = ("filed", "dropped", "dispatched", "resolved_first", "resolved", "resolved_ontime", "closed")


@dataclass(frozen=True)
class Filters:
    """Shared filters of every view. ``category`` matches a code prefix (``101`` = a whole large class);
    ``department`` is the department the incident stood with at ``as_of``."""

    district: int | None = None
    category: str | None = None
    department: str | None = None
    grid: str | None = None


def local_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(timezone.utc)


def period_edges(start: date, end: date, freq: str, tz: ZoneInfo) -> list[datetime]:
    """Local period starts (day / ISO week from Monday / calendar month) covering [start, end], in UTC,
    plus the end of the last period."""
    first = start
    if freq == "week":
        first = start - timedelta(days=start.weekday())
    elif freq == "month":
        first = start.replace(day=1)
    days = pd.date_range(first, end, freq=FREQS[freq])
    starts = [d.date() for d in days] or [first]
    if starts[0] > first:
        starts.insert(0, first)
    last = starts[-1]
    nxt = (last + timedelta(days=1) if freq == "day" else last + timedelta(days=7) if freq == "week"
           else (last.replace(day=28) + timedelta(days=4)).replace(day=1))
    return [local_start(d, tz) for d in starts + [nxt]]


# -------------------------------------------------------------------------------------------------
# SQL: milestones per incident as of a moment
# -------------------------------------------------------------------------------------------------

def _candidates(start: datetime, end: datetime, as_of: datetime, filters: Filters, lookback_days: int, *,
                session: Session) -> Any:
    """Incident ids that can count in [start, end): any event in the range (the events.at index), reported
    within the lookback (reported_at index), or open now (state index) — a union, so each part uses its index."""
    I, E = history.incidents(session=session), history.events(session=session)  # live ∪ archive
    open_now = [s.value for s in OPEN_STATES]
    parts = union(
        select(E.incident_id.label("id")).where(E.at >= start, E.at < min(end, as_of), E.at <= as_of),
        select(I.id).where(I.reported_at >= start - timedelta(days=lookback_days), I.reported_at <= as_of),
        select(I.id).where(I.state.in_(open_now), I.reported_at <= as_of),
    ).subquery()
    q = select(I.id).where(I.id.in_(select(parts.c.id)))
    if filters.district is not None:
        q = q.where(I.district == filters.district)
    if filters.category:
        q = q.where(I.category.startswith(filters.category, autoescape=True))
    if filters.grid:
        q = q.where(I.grid == filters.grid)
    return q


def milestones(start: datetime, as_of: datetime, filters: Filters, *, session: Session,
               defs: Definitions | None = None, end: datetime | None = None) -> pd.DataFrame:
    """One row per candidate incident of [start, end): its milestones from events at ``<= as_of``.

    Datetimes are fetched untyped and parsed by pandas in one vectorised step (per-row type processing
    dominated the time on large periods)."""
    defs = defs or load()
    E, I = history.events(session=session), history.incidents(session=session)  # live ∪ archive
    at = type_coerce(E.at, String)
    agg = (
        select(
            E.incident_id.label("iid"), func.max(E.seq).label("last_seq"),
            func.min(case((E.action == "file", at))).label("filed"),
            func.min(case((E.action.in_(("reject", "merge")), at))).label("dropped"),
            func.min(case((E.action == "dispatch", at))).label("dispatched"),
            func.sum(case((E.action == "return", 1), else_=0)).label("returns"),
            func.sum(case((E.action == "reassign", 1), else_=0)).label("reassigns"),
            func.min(case((E.action == "resolve", at))).label("resolved_first"),
            func.max(case((E.action == "resolve", at))).label("resolved"),
            func.max(case((and_(E.action == "resolve", E.deadline.is_not(None), E.at <= E.deadline), at)))
            .label("resolved_ontime"),
            func.max(case((E.action == "verify_pass", at))).label("closed"),
            func.sum(case((E.action == "verify_fail", 1), else_=0)).label("reworks"),
        )
        .where(E.incident_id.in_(_candidates(start, end or as_of, as_of, filters, defs.lookback_days, session=session)),
               E.at <= as_of)
        .group_by(E.incident_id)
        .subquery()
    )
    L = history.events(session=session)
    q = (select(agg.c.iid, I.code, I.category, I.district, I.grid, type_coerce(I.reported_at, String),
                I.reporter_phone, L.to_state, L.department, type_coerce(L.deadline, String),
                *[agg.c[c] for c in _MS_COLS], agg.c.returns, agg.c.reassigns, agg.c.reworks)
         .join(I, I.id == agg.c.iid)
         .join(L, and_(L.incident_id == agg.c.iid, L.seq == agg.c.last_seq)))
    if filters.department:
        q = q.where(L.department == filters.department)
    rows = session.execute(q).all()
    cols = ["iid", "code", "category", "district", "grid", "reported", "phone", "state", "department", "deadline",
            *_MS_COLS, "returns", "reassigns", "reworks"]
    frame = pd.DataFrame.from_records(rows, columns=cols)
    for c in ("reported", "deadline", *_MS_COLS):
        frame[c] = pd.to_datetime(frame[c], utc=True, format="ISO8601")
    for c in ("returns", "reassigns", "reworks"):
        frame[c] = frame[c].fillna(0).astype(int)
    frame["department"] = frame["department"].fillna("")
    return frame


def callbacks(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
              defs: Definitions | None = None) -> pd.DataFrame:
    """``callback`` events in [start, end) at ``<= as_of`` that reached the citizen with a satisfaction level."""
    defs = defs or load()
    E, I = history.events(session=session), history.incidents(session=session)  # live ∪ archive
    q = (select(E.at, E.payload, I.code, I.category, I.district, I.grid, E.department)
         .join(I, I.id == E.incident_id)
         .where(E.action == "callback", E.at >= start, E.at < end, E.at <= as_of))
    if filters.district is not None:
        q = q.where(I.district == filters.district)
    if filters.category:
        q = q.where(I.category.startswith(filters.category, autoescape=True))
    if filters.grid:
        q = q.where(I.grid == filters.grid)
    if filters.department:
        q = q.where(E.department == filters.department)
    rows = []
    for at, payload, code, cat, dist, grid, dept in session.execute(q):
        level = (payload or {}).get("satisfaction")
        if (payload or {}).get("reached", True) and level:
            rows.append((at, code, cat, dist, grid, dept or "", level in defs.satisfied))
    frame = pd.DataFrame.from_records(rows, columns=["at", "code", "category", "district", "grid", "department",
                                                     "satisfied"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


# -------------------------------------------------------------------------------------------------
# Period rules: masks over milestones (the measures named in data/indicators.toml)
# -------------------------------------------------------------------------------------------------

def _ts(d: datetime) -> pd.Timestamp:
    return pd.Timestamp(d).tz_convert("UTC")


def measure_masks(f: pd.DataFrame, p0: datetime, p1: datetime, as_of: datetime,
                  defs: Definitions) -> dict[str, pd.Series]:
    """Boolean masks (and duration series for the ``*_hours`` measures) of period [p0, p1) as of ``as_of``."""
    a, b, t = _ts(p0), _ts(p1), _ts(as_of)
    end = min(b, t)

    def within(col: str) -> pd.Series:
        s = f[col]
        return (s >= a) & (s < b)

    dispatched_ever = f["dispatched"].notna()
    dropped_first = f["dropped"].notna() & (f["filed"].isna() | (f["dropped"] < f["filed"]))
    to_file = within("reported") & ~dropped_first
    limit = pd.Timedelta(minutes=defs.filing_limit_minutes)
    ontime_resolve = f["resolved"].notna() & (f["resolved_ontime"] == f["resolved"])
    to_resolve = dispatched_ever & (within("deadline") | within("resolved"))
    to_close = dispatched_ever & (within("deadline") | within("closed"))
    closed = to_close & f["closed"].notna() & (f["closed"] < b)
    closed_in = within("closed")
    if end >= t:  # the period's end is now (as of): the state as it stood then
        overdue = f["state"].isin([s.value for s in RUNNING_STATES]) & (f["deadline"] < t)
    else:
        overdue = ((f["dispatched"] < end) & (f["resolved_first"].isna() | (f["resolved_first"] >= end))
                   & (f["deadline"] < end) & ~dropped_first)
    resolved = to_resolve & f["resolved"].notna() & (f["resolved"] < b)
    m: dict[str, pd.Series] = {
        "to_file": to_file,
        "filed_ontime": to_file & f["filed"].notna() & ((f["filed"] - f["reported"]) <= limit),
        "dispatched": within("dispatched"),
        "dispatched_right": within("dispatched") & (f["returns"] == 0) & (f["reassigns"] == 0),
        "to_resolve": to_resolve,
        "resolved": resolved,
        "resolved_ontime": resolved & ontime_resolve,
        "to_close": to_close,
        "closed": closed,
        "closed_ontime": closed & ontime_resolve,
        "closed_in_period": closed_in,
        "reworked": closed_in & (f["reworks"] > 0),
        "overdue_open": overdue.fillna(False),
    }
    m["filing_hours"] = ((f["filed"] - f["reported"]).dt.total_seconds() / 3600).where(within("filed"))
    m["handling_hours"] = ((f["resolved_first"] - f["dispatched"]).dt.total_seconds() / 3600
                           ).where(within("resolved_first"))
    return {k: (v.fillna(False) if v.dtype == bool or v.dtype == object else v) for k, v in m.items()}


def _fold(masks: Mapping[str, pd.Series], cb: pd.DataFrame, cb_mask: pd.Series, defs: Definitions,
          keys: pd.Series | None) -> pd.DataFrame:
    """Sum the masks (mean the durations) per group key; add indicator values from their measures."""
    data: dict[str, Any] = {}
    for k, v in masks.items():
        data[k] = v.astype(float) if k.endswith("_hours") else v.astype(int)
    frame = pd.DataFrame(data)
    whole = keys is None  # one row for everything: it must exist even when nothing matched
    if keys is None:
        keys = pd.Series("", index=frame.index)
    frame["__key"] = keys.values
    agg: dict[str, Any] = {k: ("sum" if not k.endswith("_hours") else "mean") for k in masks}
    out = frame.groupby("__key").agg(agg)
    cbf = pd.DataFrame({"callbacks": cb_mask.astype(int), "satisfied": (cb_mask & cb["satisfied"]).astype(int)})
    cbf["__key"] = (cb["__key"].values if "__key" in cb else "")
    out = out.join(cbf.groupby("__key").sum(), how="outer")
    if whole and "" not in out.index:
        out = out.reindex(out.index.union(pd.Index([""])))
    for c in out.columns:
        if not c.endswith("_hours"):
            out[c] = out[c].fillna(0).astype(int)
    for key, ind in defs.indicators.items():
        if ind.kind == "rate":
            den = out[ind.denominator]
            out[key] = (out[ind.numerator] / den.where(den > 0)).round(4)
        else:
            out[key] = out[ind.measure].round(2) if ind.kind == "mean" else out[ind.measure]
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else round(float(value), 4)
    return value


def _records(out: pd.DataFrame, name: str) -> list[dict[str, Any]]:
    return [{name: k, **{c: _clean(v) for c, v in row.items()}} for k, row in out.to_dict("index").items()]


# -------------------------------------------------------------------------------------------------
# Views
# -------------------------------------------------------------------------------------------------

def indicator_table(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
                    by: str | None = None, defs: Definitions | None = None) -> list[dict[str, Any]]:
    """Every measure and indicator for [start, end) as of ``as_of``, one row per ``by`` group (or one row)."""
    defs = defs or load()
    if by is not None and by not in GROUPS:
        raise ValueError(f"unknown group {by!r}")
    f = milestones(start, as_of, filters, session=session, defs=defs, end=end)
    cb = callbacks(start, end, as_of, filters, session=session, defs=defs)
    masks = measure_masks(f, start, end, as_of, defs)
    if by:
        cb["__key"] = cb[by].astype(str)
    out = _fold(masks, cb, pd.Series(True, index=cb.index), defs, f[by].astype(str) if by else None)
    return _records(out, by or "all")


def _trend_rows(f: pd.DataFrame, cb: pd.DataFrame, edges: Sequence[datetime], as_of: datetime, defs: Definitions,
                tz: ZoneInfo) -> list[dict[str, Any]]:
    rows = []
    for p0, p1 in zip(edges, edges[1:]):
        if p0 > as_of:
            break
        masks = measure_masks(f, p0, p1, as_of, defs)
        cb_in = (cb["at"] >= _ts(p0)) & (cb["at"] < _ts(p1))
        row = _records(_fold(masks, cb, cb_in, defs, None), "all")[0]
        row["period"] = p0.astimezone(tz).date().isoformat()
        row["start"], row["end"] = p0.isoformat(), p1.isoformat()
        rows.append(row)
    return rows


def _year_before(local: datetime) -> datetime:
    """The same local date a year earlier (29 February → 28 February)."""
    try:
        return local.replace(year=local.year - 1)
    except ValueError:
        return local.replace(year=local.year - 1, day=28)


def _edges(start: datetime, end: datetime, freq: str, tz: ZoneInfo) -> list[datetime]:
    return period_edges(start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date(), freq, tz)


def trend(start: datetime, end: datetime, freq: str, as_of: datetime, filters: Filters, tz: ZoneInfo, *,
          session: Session, defs: Definitions | None = None) -> list[dict[str, Any]]:
    """Indicators per local day / week / month between ``start`` and ``end``, each as of ``as_of``."""
    defs = defs or load()
    edges = _edges(start, end, freq, tz)
    f = milestones(edges[0], as_of, filters, session=session, defs=defs, end=edges[-1])
    cb = callbacks(edges[0], edges[-1], as_of, filters, session=session, defs=defs)
    return _trend_rows(f, cb, edges, as_of, defs, tz)


def dashboard(start: datetime, end: datetime, freq: str, as_of: datetime, filters: Filters, tz: ZoneInfo, *,
              session: Session, defs: Definitions | None = None, last_year: bool = True) -> dict[str, Any]:
    """Everything the page draws for one set of filters, from one milestones query (plus last year's):
    the trend, the totals, the table by each group and the category mix of [start, end) as of ``as_of``."""
    defs = defs or load()
    edges = _edges(start, end, freq, tz)
    f = milestones(edges[0], as_of, filters, session=session, defs=defs, end=edges[-1])
    cb = callbacks(edges[0], max(edges[-1], end), as_of, filters, session=session, defs=defs)
    out: dict[str, Any] = {"trend": _trend_rows(f, cb, edges, as_of, defs, tz)}
    masks = measure_masks(f, start, end, as_of, defs)
    cb_in = (cb["at"] >= _ts(start)) & (cb["at"] < _ts(end))
    out["total"] = _records(_fold(masks, cb, cb_in, defs, None), "all")[0]
    for by in GROUPS:
        out[by] = _records(_fold(masks, cb.assign(__key=cb[by].astype(str)), cb_in, defs, f[by].astype(str)), by)
    inside = f[(f["reported"] >= _ts(start)) & (f["reported"] < _ts(end))]
    out["mix"] = [{"category": k, "count": int(v)}
                  for k, v in inside.groupby("category").size().sort_values(ascending=False).items()]
    out["last_year"] = []
    if last_year:
        ly = [_year_before(e.astimezone(tz)) for e in (start, end)]
        ly_as_of = min(as_of, ly[1].astimezone(timezone.utc))
        ly_edges = _edges(ly[0].astimezone(timezone.utc), ly[1].astimezone(timezone.utc), freq, tz)
        fl = milestones(ly_edges[0], ly_as_of, filters, session=session, defs=defs, end=ly_edges[-1])
        if len(fl):
            cbl = callbacks(ly_edges[0], ly_edges[-1], ly_as_of, filters, session=session, defs=defs)
            out["last_year"] = _trend_rows(fl, cbl, ly_edges, ly_as_of, defs, tz)
    return out


def category_mix(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
                 defs: Definitions | None = None) -> list[dict[str, Any]]:
    """Incidents reported in [start, end) (as of ``as_of``) per category, largest first."""
    f = milestones(start, as_of, filters, session=session, defs=defs, end=end)
    inside = f[(f["reported"] >= _ts(start)) & (f["reported"] < _ts(end))]
    counts = inside.groupby("category").size().sort_values(ascending=False)
    return [{"category": k, "count": int(v)} for k, v in counts.items()]


def drill(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
          measure: str | None = None, group: tuple[str, str] | None = None, limit: int = 500,
          defs: Definitions | None = None) -> list[dict[str, Any]]:
    """The incidents behind a number: those counted in ``measure`` (default: reported in the period) for
    [start, end) as of ``as_of``, optionally only one group (``("district", "220302")``)."""
    defs = defs or load()
    f = milestones(start, as_of, filters, session=session, defs=defs, end=end)
    masks = measure_masks(f, start, end, as_of, defs)
    if measure in ("callbacks", "satisfied"):
        cb = callbacks(start, end, as_of, filters, session=session, defs=defs)
        keep = cb["satisfied"] if measure == "satisfied" else pd.Series(True, index=cb.index)
        f = f[f["code"].isin(set(cb.loc[keep, "code"]))]
    else:
        sel = masks.get(measure or "", None)
        if sel is None:
            sel = (f["reported"] >= _ts(start)) & (f["reported"] < _ts(end))
        elif sel.dtype != bool:
            sel = sel.notna()
        f = f[sel]
    if group is not None:
        f = f[f[group[0]].astype(str) == str(group[1])]
    f = f.sort_values("reported", ascending=False).head(limit)
    return [{"code": r.code, "category": r.category, "district": int(r.district), "grid": r.grid,
             "department": r.department, "state": r.state, "phone": r.phone,
             "reported_at": r.reported.to_pydatetime(),
             "deadline": None if pd.isna(r.deadline) else r.deadline.to_pydatetime()}
            for r in f.itertuples()]


def timeline(code: str, *, session: Session) -> list[dict[str, Any]]:
    """One incident's events, oldest first (the drill-down's last step)."""
    E, I = history.events(session=session), history.incidents(session=session)  # live ∪ archive
    rows = session.execute(select(E.seq, E.at, E.actor, E.action, E.from_state, E.to_state, E.department,
                                  E.deadline, I.district).join(I, I.id == E.incident_id).where(I.code == code)
                           .order_by(E.seq)).all()
    return [r._asdict() for r in rows]


IMPLEMENTED_MEASURES = frozenset({
    "to_file", "filed_ontime", "dispatched", "dispatched_right", "to_resolve", "resolved", "resolved_ontime",
    "to_close", "closed", "closed_ontime", "closed_in_period", "reworked", "overdue_open", "filing_hours",
    "handling_hours", "callbacks", "satisfied",
})


class Analytics:
    """The views above, each in its own read transaction (what the page, exports and API call)."""

    def __init__(self, db: Any, tz: ZoneInfo, defs: Definitions | None = None) -> None:
        self.db = db
        self.tz = tz
        self.defs = defs or load()
        self._risk: tuple[date, Any] | None = None

    def table(self, start: datetime, end: datetime, as_of: datetime, filters: Filters = Filters(),
              by: str | None = None) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return indicator_table(start, end, as_of, filters, session=s, by=by, defs=self.defs)

    def dashboard(self, start: datetime, end: datetime, freq: str, as_of: datetime,
                  filters: Filters = Filters(), last_year: bool = True) -> dict[str, Any]:
        with self.db.read() as s:
            return dashboard(start, end, freq, as_of, filters, self.tz, session=s, defs=self.defs, last_year=last_year)

    def trend(self, start: datetime, end: datetime, freq: str, as_of: datetime,
              filters: Filters = Filters()) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return trend(start, end, freq, as_of, filters, self.tz, session=s, defs=self.defs)

    def mix(self, start: datetime, end: datetime, as_of: datetime, filters: Filters = Filters()) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return category_mix(start, end, as_of, filters, session=s, defs=self.defs)

    def drill(self, start: datetime, end: datetime, as_of: datetime, filters: Filters = Filters(), *,
              measure: str | None = None, group: tuple[str, str] | None = None,
              limit: int = 500) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return drill(start, end, as_of, filters, session=s, measure=measure, group=group, limit=limit,
                         defs=self.defs)

    def timeline(self, code: str) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return timeline(code, session=s)

    def hotspots(self, now: datetime, filters: Filters = Filters()) -> list[Any]:
        from incidents.hotspots import hotspots

        with self.db.read() as s:
            return hotspots(now, session=s, district=filters.district, category=filters.category)

    def recurrences(self, now: datetime, filters: Filters = Filters(), *, radius_m: float = 50.0, days: int = 30,
                    min_size: int = 3) -> list[Any]:
        from incidents.hotspots import recurrences

        with self.db.read() as s:
            return recurrences(now, session=s, radius_m=radius_m, days=days, min_size=min_size,
                               district=filters.district, category=filters.category)

    def breach_risk(self, now: datetime, codes: Iterable[str] | None = None) -> dict[str, float | None]:
        """code → P(miss deadline) for running incidents (see incidents/risk.py for the model)."""
        from incidents.risk import breach_risk, fit

        day = now.astimezone(self.tz).date()
        with self.db.read() as s:
            if self._risk is None or self._risk[0] != day:  # the model moves slowly: refit once a local day
                self._risk = (day, fit(now, session=s))
            return breach_risk(now, session=s, codes=codes, model=self._risk[1])


def rows_of(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[list[Any]]:
    return [[r.get(c) for c in columns] for r in records]


__all__ = ["Analytics", "Filters", "GROUPS", "IMPLEMENTED_MEASURES", "callbacks", "category_mix", "dashboard", "drill",
           "indicator_table", "measure_masks", "milestones", "period_edges", "timeline", "trend"]
