"""The standard indicators computed from the event log "as of" any moment, by group and by period.

How: each incident's milestones (first ``file``, first ``dispatch``, first/last ``resolve`` and whether the
last was on time against the deadline that event carried, last ``verify_pass``, counts of
``return``/``reassign``/``verify_fail``, state, department and deadline after its last event) are kept in
the ``incident_milestones`` summary, written in the transaction of every event (incidents/milestones.py).
A view reads the summary rows of its candidates; a row whose ``last_at <= as_of`` is exactly the fold as of
``as_of`` (no later event exists), and only candidates with a later event are folded from their events at
``<= as_of`` (few when ``as_of`` is near now or a period's end). So a past period's figures still do not
move when today's work is recorded, while a view reads one row per incident instead of its ~6 events.

The period rules of ``data/indicators.toml`` are vectorised over those rows: every milestone is mapped to
its period once and each measure is a ``bincount`` over (period, group) (:func:`period_frame`), so a
table, a 365-day trend and a drill-down list all count exactly the same incidents; :func:`measure_masks`
states the same rules per period over datetimes (the drill-down and the tests' reference use it).

Trends (and a whole-city indicator table) whose periods are whole local days are summed from the
``analytics_daily`` rollup instead (:func:`rollup_trend`, incidents/rollup.py): bounded rows per day, so a
year's trend costs the same at 10 M incidents as at 1 M; incidents with an event after ``as_of`` are
taken out of it and folded as of ``as_of``, so the numbers are the fold's. Unlike the fold it has no
lookback limit (below): it also counts the rare incident that limit misses.
Group tables (district, grid, department, category), the category mix and so the whole dashboard are
summed the same way from ``analytics_group_daily`` (:func:`rollup_groups`, :func:`rollup_mix`), showing the
same groups as the fold (those of its candidates and callbacks); a filter the rollup rows cannot apply, or
periods that are not whole local days, fold as before.

Candidates are incidents reported within ``lookback_days`` before the range, with any event since its
start, or open now (three index searches); an incident reported earlier whose deadline fell in the period
with no event since — finished before the period — is outside: a stated limit (data/indicators.toml).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from incidents import asof, history, rollup
from incidents import milestones as ms
from incidents.indicators import Definitions, load
from incidents.model import RUNNING_STATES
from incidents.records import MILESTONES_OPEN, DailyAsofRow, EventRow, GroupAsofRow, GroupRollupRow, MilestoneRow, RollupRow

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
# SQL: milestones per incident as of a moment (from the summary table, events only for late candidates)
# -------------------------------------------------------------------------------------------------

_TIME_COLS = ("reported", "deadline", *_MS_COLS)


_NUMERIC = ("incident_id", "district", "reported", "deadline", *_MS_COLS, *ms.COUNTS, "last_at")
_STRINGS = ("code", "category", "grid", "state", "department")
_SEP = "\x1f"  # ASCII unit separator: in no code, category, grid, state or department


def _candidates(start: datetime, end: datetime, as_of: datetime, filters: Filters, lookback_days: int,
                strings: Sequence[str] = _STRINGS, extra: Sequence[Any] = ()) -> Any:
    """Summary rows of the incidents that can count in [start, end) as of ``as_of``: reported before
    ``end`` (and by ``as_of``) and either reported within the lookback before ``start``, or with any event
    at or after ``start`` (``last_at``), or open now — three index searches (SQLite: MULTI-INDEX OR).

    A superset of the old rule "an event in the range, reported within the lookback, or open now": an
    incident with an event in the range has ``last_at >= start``. Extra candidates change nothing, as the
    period rules decide what counts."""
    M = MilestoneRow
    return select(*[M.__table__.c[c] for c in (*_NUMERIC, *strings)]).where(
        *_where(start, end, as_of, filters, lookback_days), *extra)


def _where(start: datetime, end: datetime, as_of: datetime, filters: Filters, lookback_days: int) -> list[Any]:
    """The conditions of :func:`_candidates` (the filters but the department, which is "as of")."""
    M = MilestoneRow
    cap = min(ms.us(end), ms.us(as_of) + 1)  # reported < end and reported <= as_of
    conds: list[Any] = [or_(
        and_(M.reported >= ms.us(start - timedelta(days=lookback_days)), M.reported < cap),
        # ``+ 0``: this branch must search the last_at index, not scan reported < cap
        and_(M.last_at >= ms.us(start), (M.reported + 0) < cap),
        and_(text(MILESTONES_OPEN), M.reported < cap))]
    return conds + _mconds(filters)


def fetch_columns(q: Any, numeric: Sequence[str], strings: Sequence[str], *,
                  session: Session) -> dict[str, np.ndarray]:
    """The columns of ``q`` as arrays: numbers as float64 (NULL → NaN), strings as objects (NULL → "").

    Why not rows: at a million candidates, building a Python object per cell was most of a view's time.
    On SQLite each column comes back as ONE ``group_concat`` string, split and parsed vectorised (one
    aggregate query without GROUP BY steps every aggregate once per row, in the same loop, so the columns
    stay aligned — the fast-vs-events consistency test would catch a row out of step); other backends
    return rows, which their drivers build fast enough. The same arrays either way."""
    sub = q.subquery()
    if session.get_bind().dialect.name == "sqlite":
        aggs = ([func.group_concat(func.coalesce(sub.c[c], -1), ",") for c in numeric]
                + [func.group_concat(func.coalesce(sub.c[c], ""), _SEP) for c in strings])
        row = session.execute(select(*aggs)).one()
        out: dict[str, np.ndarray] = {}
        for c, text_ in zip(numeric, row[:len(numeric)]):
            a = np.fromstring(text_, dtype=np.int64, sep=",").astype(float) if text_ else np.zeros(0)
            a[a == -1] = np.nan
            out[c] = a
        for c, text_ in zip(strings, row[len(numeric):]):
            out[c] = np.array(text_.split(_SEP) if text_ is not None else [], dtype=object)
        return out
    rows = session.execute(select(*[sub.c[c] for c in (*numeric, *strings)])).all()
    cols = list(zip(*rows)) if rows else [()] * (len(numeric) + len(strings))
    out = {c: np.array([np.nan if v is None else v for v in vals], dtype=float)
           for c, vals in zip(numeric, cols[:len(numeric)])}
    out.update({c: np.array(["" if v is None else v for v in vals], dtype=object)
                for c, vals in zip(strings, cols[len(numeric):])})
    return out


def _frame(cols: Mapping[str, np.ndarray], strings: Sequence[str] = _STRINGS) -> pd.DataFrame:
    f = pd.DataFrame({**{c: cols[c] for c in _NUMERIC},  # text stays object: string dtypes were slow here
                      **{c: pd.Series(cols[c], dtype=object) for c in strings}})
    for c in (*ms.COUNTS, "incident_id", "district"):
        f[c] = f[c].fillna(0).astype(np.int64)
    return f


def milestone_rows(start: datetime, as_of: datetime, filters: Filters, *, session: Session,
                   defs: Definitions | None = None, end: datetime | None = None,
                   source: str = "summary", strings: Sequence[str] = _STRINGS,
                   extra: Sequence[Any] = ()) -> pd.DataFrame:
    """One row per candidate incident of [start, end): its milestones from events at ``<= as_of``, times
    as epoch µs (float, NaN for none); of the text columns only ``strings`` (each costs a cell per row);
    ``extra``: more conditions on the summary rows (the drill-down's window of report times).

    ``source="summary"`` (the views): summary rows whose ``last_at <= as_of`` are exact as they are (no
    later event exists); only candidates with a later event are folded from their events at ``<= as_of``
    (few when ``as_of`` is near now or a period's end). ``source="events"``: every candidate folded from
    its events (the reference the consistency tests compare with)."""
    defs = defs or load()
    dialect = session.get_bind().dialect.name
    t = ms.us(as_of)
    strings = tuple(dict.fromkeys([*strings, "state"] + (["department"] if filters.department else [])))
    f = _frame(fetch_columns(_candidates(start, end or as_of, as_of, filters, defs.lookback_days, strings, extra),
                             _NUMERIC, strings, session=session), strings)
    late = (f["last_at"] > t) if source == "summary" else pd.Series(True, index=f.index)
    if late.any():
        ids = f.loc[late, "incident_id"].astype(int).tolist()
        parts = [f[~late]]
        for E, I in ms.sides(session=session):  # live and archive, each on its own indexes
            for k in range(0, len(ids), 5000):
                q = ms.aggregate(E, I, dialect, ids=ids[k:k + 5000], as_of=as_of)
                parts.append(_frame(fetch_columns(q, _NUMERIC, strings, session=session), strings))
        f = pd.concat(parts, ignore_index=True)
    if filters.department:
        f = f[f["department"] == filters.department]
    return f.sort_values("incident_id", kind="stable").reset_index(drop=True)


#: Bits of the ``flags`` column of compact rows: the per-incident conditions of the period rules that need
#: no period (so a long trend fetches 8 numbers per incident instead of 16 values).
_RIGHT, _REWORKED, _RUNNING, _ONTIME, _DROPPED_FIRST, _FILED_ONTIME = 1, 2, 4, 8, 16, 32
_COMPACT = ("reported", "deadline", "filed", "dispatched", "resolved_first", "resolved", "closed", "flags")


def _flags_sql(limit_us: float) -> Any:
    M = MilestoneRow
    bit = [((M.returns == 0) & (M.reassigns == 0), _RIGHT), (M.reworks > 0, _REWORKED),
           (M.state.in_([s.value for s in RUNNING_STATES]), _RUNNING),
           (M.resolved.is_not(None) & (M.resolved_ontime == M.resolved), _ONTIME),
           (M.dropped.is_not(None) & (M.filed.is_(None) | (M.dropped < M.filed)), _DROPPED_FIRST),
           (M.filed.is_not(None) & ((M.filed - M.reported) <= limit_us), _FILED_ONTIME)]
    total: Any = 0
    for cond, value in bit:
        total = total + case((cond, value), else_=0)
    return total.label("flags")


def _flags(f: pd.DataFrame, defs: Definitions) -> np.ndarray:
    """The same bits as :func:`_flags_sql`, from full rows (fetched or folded from events)."""
    F, R, DR = f["filed"].to_numpy(float), f["reported"].to_numpy(float), f["dropped"].to_numpy(float)
    RES, RO = f["resolved"].to_numpy(float), f["resolved_ontime"].to_numpy(float)
    state = f["state"].to_numpy(object)
    running = np.zeros(len(f), bool)
    for st in RUNNING_STATES:
        running |= state == st.value
    bits = [((f["returns"].to_numpy() == 0) & (f["reassigns"].to_numpy() == 0), _RIGHT),
            (f["reworks"].to_numpy() > 0, _REWORKED), (running, _RUNNING), (~np.isnan(RES) & (RO == RES), _ONTIME),
            (~np.isnan(DR) & (np.isnan(F) | (DR < F)), _DROPPED_FIRST),
            (~np.isnan(F) & ((F - R) <= defs.filing_limit_minutes * 60e6), _FILED_ONTIME)]
    return sum((b.astype(np.int64) * v for b, v in bits), np.zeros(len(f), np.int64))


def compact_rows(start: datetime, as_of: datetime, filters: Filters, *, session: Session,
                 defs: Definitions | None = None, end: datetime | None = None,
                 source: str = "summary") -> pd.DataFrame:
    """What a trend needs of each candidate: seven times and the ``flags`` bits (:data:`_COMPACT`).

    The same rows as :func:`milestone_rows` (a test compares the trends); exact summary rows are read with
    the department filter in SQL, candidates with a later event are found by a second (indexed) query and
    folded from their events. Fetching half as many values per incident is what a 12-month trend costs."""
    defs = defs or load()
    M = MilestoneRow
    t = ms.us(as_of)
    where = _where(start, end or as_of, as_of, filters, defs.lookback_days)
    numeric = _COMPACT[:-1]
    if source == "summary":
        # ``+ 0`` keeps the candidates' three index searches (last_at > t alone would pick a long range scan)
        exact = where + [(M.last_at + 0) <= t] + ([M.department == filters.department] if filters.department else [])
        q = select(*[M.__table__.c[c] for c in numeric], _flags_sql(defs.filing_limit_minutes * 60e6)).where(*exact)
        f = pd.DataFrame(fetch_columns(q, _COMPACT, (), session=session))
        late = list(session.scalars(select(M.incident_id).where(*where, (M.last_at + 0) > t)))
    else:
        f = pd.DataFrame({c: np.zeros(0) for c in _COMPACT})
        late = list(session.scalars(select(M.incident_id).where(*where)))
    if late:
        dialect = session.get_bind().dialect.name
        strings = ("state", "department")
        parts = []
        for E, I in ms.sides(session=session):
            for k in range(0, len(late), 5000):
                q = ms.aggregate(E, I, dialect, ids=late[k:k + 5000], as_of=as_of)
                parts.append(_frame(fetch_columns(q, _NUMERIC, strings, session=session), strings))
        full = pd.concat(parts, ignore_index=True)
        if filters.department:
            full = full[full["department"] == filters.department]
        f = pd.concat([f, full.assign(flags=_flags(full, defs))[list(_COMPACT)]], ignore_index=True)
    f["flags"] = f["flags"].astype(np.int64)
    return f


def _dt(values: pd.Series) -> pd.Series:
    """Epoch µs (float, NaN) → aware UTC datetimes (NaT), exactly."""
    a = values.to_numpy(float)
    nan = np.isnan(a)
    d = np.where(nan, 0, a).astype(np.int64).astype("datetime64[us]")
    d[nan] = np.datetime64("NaT")
    return pd.Series(pd.DatetimeIndex(d).tz_localize("UTC"), index=values.index)


def milestones(start: datetime, as_of: datetime, filters: Filters, *, session: Session,
               defs: Definitions | None = None, end: datetime | None = None, source: str = "summary",
               extra: Sequence[Any] = ()) -> pd.DataFrame:
    """:func:`milestone_rows` with datetimes (what the per-incident views — drill-down, mix — use)."""
    f = milestone_rows(start, as_of, filters, session=session, defs=defs, end=end, source=source, extra=extra)
    f = f.rename(columns={"incident_id": "iid"})
    for c in _TIME_COLS:
        f[c] = _dt(f[c])
    return f


def callbacks(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
              defs: Definitions | None = None, compact: bool = False) -> pd.DataFrame:
    """``callback`` events in [start, end) at ``<= as_of`` that reached the citizen with a satisfaction level.

    The payload's two keys are read in SQL (JSON path on both backends) and times as epoch µs, so no row
    is decoded in Python; incident attributes come from the summary (live and archived alike)."""
    defs = defs or load()
    dialect = session.get_bind().dialect.name
    M = MilestoneRow
    parts: list[pd.DataFrame] = []
    for E, _I in ms.sides(session=session):
        level = E.payload["satisfaction"].as_string()
        reached = E.payload["reached"].as_boolean()
        q = (select(ms.epoch_us(E.at, dialect).label("at_us"), M.code, M.category, M.district, M.grid,
                    E.department, level.label("level"))
             .join(M, M.incident_id == E.incident_id)
             .where(E.action == "callback", E.at >= start, E.at < end, E.at <= as_of, level.is_not(None),
                    level != "", or_(reached.is_(None), reached.is_(True))))
        if filters.district is not None:
            q = q.where(M.district == filters.district)
        if filters.category:
            q = q.where(M.category.startswith(filters.category, autoescape=True))
        if filters.grid:
            q = q.where(M.grid == filters.grid)
        if filters.department:
            q = q.where(E.department == filters.department)
        cols = fetch_columns(q, ("at_us",) if compact else ("at_us", "district"),  # compact: a trend's needs
                             ("level",) if compact else ("code", "category", "grid", "department", "level"),
                             session=session)
        parts.append(pd.DataFrame({c: (v if v.dtype.kind == "f" else pd.Series(v, dtype=object))
                                   for c, v in cols.items()}))
    frame = pd.concat(parts, ignore_index=True)
    if not compact:
        frame["district"] = frame["district"].astype(np.int64)
    frame["satisfied"] = frame["level"].isin(list(defs.satisfied))
    frame["at"] = _dt(frame["at_us"])
    return frame.drop(columns=["level"])


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


_COUNT_MEASURES = ("to_file", "filed_ontime", "dispatched", "dispatched_right", "to_resolve", "resolved",
                   "resolved_ontime", "to_close", "closed", "closed_ontime", "closed_in_period", "reworked",
                   "overdue_open")
_MEAN_MEASURES = ("filing_hours", "handling_hours")


def _indicators(out: pd.DataFrame, defs: Definitions) -> pd.DataFrame:
    """Counts to ints, then each indicator from its measures (rate, mean or count)."""
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


def _fold(masks: Mapping[str, pd.Series], cb: pd.DataFrame, cb_mask: pd.Series, defs: Definitions,
          keys: pd.Series | None) -> pd.DataFrame:
    """Sum the masks (mean the durations) per group key; add indicator values from their measures.
    (The per-period reference of :func:`period_tables`, used by the conventional benchmark.)"""
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
    return _indicators(out, defs)


def _pidx(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Period index of each time: -1 before the first edge, K at/after the last, -2 for none (NaN)."""
    p = np.searchsorted(edges, np.nan_to_num(x, nan=0.0), side="right") - 1
    return np.where(np.isnan(x), -2, p)


def period_tables(f: pd.DataFrame, cb: pd.DataFrame, edges: Sequence[datetime], as_of: datetime, defs: Definitions,
                  by: str | None = None) -> list[pd.DataFrame]:
    """:func:`period_frame` as one frame per period."""
    whole, K, G = period_frame(f, cb, edges, as_of, defs, by)
    return [whole.iloc[k * G:(k + 1) * G] for k in range(K)]


def period_records(f: pd.DataFrame, cb: pd.DataFrame, edges: Sequence[datetime], as_of: datetime, defs: Definitions,
                   by: str | None = None) -> list[list[dict[str, Any]]]:
    """:func:`period_frame` as records, one list per period (converted once for all periods)."""
    whole, K, G = period_frame(f, cb, edges, as_of, defs, by)
    rows = _records(whole, by or "all")
    return [rows[k * G:(k + 1) * G] for k in range(K)]


def period_frame(f: pd.DataFrame, cb: pd.DataFrame, edges: Sequence[datetime], as_of: datetime, defs: Definitions,
                 by: str | None = None) -> tuple[pd.DataFrame, int, int]:
    """Every measure and indicator for each period [edges[i], edges[i+1]) as of ``as_of``, per ``by`` group
    (one row ``""`` without): the period rules of :func:`measure_masks`, computed for all periods at once.

    Each milestone is mapped to its period index once (``searchsorted``); a measure is then a ``bincount``
    over (period, group), and "overdue at the period's end" an interval count (overdue from the period of
    max(dispatch, deadline) until that of the first resolve) — so a 12-month or 365-day trend costs about
    what one period does. ``f`` is :func:`milestone_rows` (epoch µs); a test checks it against the masks."""
    e = np.array([ms.us(x) for x in edges], dtype=float)
    K = len(e) - 1
    t = float(ms.us(as_of))
    col = {c: f[c].to_numpy(float) for c in _COMPACT[:-1]}
    cb_p = _pidx(cb["at_us"].to_numpy(float), e) if len(cb) else np.zeros(0, int)
    if by is None:
        names = np.array([""], dtype=object)
        g = np.zeros(len(f), int)
        cg = np.zeros(len(cb), int)
    else:
        fk, ck = f[by].astype(str).to_numpy(object), cb[by].astype(str).to_numpy(object)
        codes, uniques = pd.factorize(np.concatenate([fk, ck]), sort=True)  # hashed, groups in key order
        names = np.asarray(uniques, dtype=object)
        g, cg = codes[:len(fk)], codes[len(fk):]
    G = len(names)
    cells: dict[int, np.ndarray] = {}

    def cnt(p: np.ndarray, sel: np.ndarray | None = None, weights: np.ndarray | None = None,
            groups: np.ndarray = g) -> np.ndarray:
        key = cells.get(id(p))  # (period, group) cell of each row, -1 outside the periods: once per array
        if key is None or groups is not g:
            key = np.where((p >= 0) & (p < K), p * G + groups, -1)
            if groups is g:
                cells[id(p)] = key
        ok = key >= 0 if sel is None else sel & (key >= 0)
        w = None if weights is None else weights[ok]
        return np.bincount(key[ok], weights=w, minlength=K * G)[:K * G].reshape(K, G)

    R, F, D = col["reported"], col["filed"], col["dispatched"]
    DL, RES, RF, C = col["deadline"], col["resolved"], col["resolved_first"], col["closed"]
    pR, pF, pD, pDL = _pidx(R, e), _pidx(F, e), _pidx(D, e), _pidx(DL, e)
    pRES, pRF, pC = _pidx(RES, e), _pidx(RF, e), _pidx(C, e)
    disp = ~np.isnan(D)
    flags = f["flags"].to_numpy(np.int64) if "flags" in f else _flags(f, defs)
    dropped_first = (flags & _DROPPED_FIRST) > 0
    ontime = (flags & _ONTIME) > 0
    right = (flags & _RIGHT) > 0
    m: dict[str, np.ndarray] = {}
    m["to_file"] = cnt(pR, ~dropped_first)
    m["filed_ontime"] = cnt(pR, ~dropped_first & ((flags & _FILED_ONTIME) > 0))
    m["dispatched"] = cnt(pD)
    m["dispatched_right"] = cnt(pD, right)
    # An incident is due in the period of its deadline and in that of its resolve (closure): once if both.
    res_other, clo_other = disp & (pRES != pDL), disp & (pC != pDL)
    res_by_dl = disp & ~np.isnan(RES) & (pRES <= pDL)
    clo_by_dl = disp & ~np.isnan(C) & (pC <= pDL)
    m["to_resolve"] = cnt(pDL, disp) + cnt(pRES, res_other)
    m["resolved"] = cnt(pDL, res_by_dl) + cnt(pRES, res_other)
    m["resolved_ontime"] = cnt(pDL, res_by_dl & ontime) + cnt(pRES, res_other & ontime)
    m["to_close"] = cnt(pDL, disp) + cnt(pC, clo_other)
    m["closed"] = cnt(pDL, clo_by_dl) + cnt(pC, clo_other)
    m["closed_ontime"] = cnt(pDL, clo_by_dl & ontime) + cnt(pC, clo_other & ontime)
    m["closed_in_period"] = cnt(pC)
    m["reworked"] = cnt(pC, (flags & _REWORKED) > 0)
    # Overdue at a past period's end b: dispatched < b, deadline < b, not first-resolved before b.
    ok = disp & ~np.isnan(DL) & ~dropped_first
    s0 = np.clip(np.maximum(pD, pDL), 0, K)
    r0 = np.where(np.isnan(RF), K, np.clip(pRF, 0, K))
    ok &= s0 < r0
    diff = (np.bincount(s0[ok] * G + g[ok], minlength=(K + 1) * G)
            - np.bincount(r0[ok] * G + g[ok], minlength=(K + 1) * G)).reshape(K + 1, G)
    overdue = np.cumsum(diff, axis=0)[:K]
    # At a period ending at or after as_of: the state as it stood then.
    running = ((flags & _RUNNING) > 0) & (DL < t)
    now_count = np.bincount(g[running], minlength=G)
    later = e[1:] >= t
    overdue[later] = now_count
    m["overdue_open"] = overdue
    hours = {"filing_hours": ((F - R) / 3.6e9, pF), "handling_hours": ((RF - D) / 3.6e9, pRF)}
    means: dict[str, np.ndarray] = {}
    for k, (h, p) in hours.items():
        has = ~np.isnan(h)
        total, n = cnt(p, has, np.where(has, h, 0.0)), cnt(p, has)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[k] = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    cb_all = cnt(cb_p, None, None, cg) if len(cb) else np.zeros((K, G), int)
    cb_sat = cnt(cb_p, cb["satisfied"].to_numpy(bool), None, cg) if len(cb) else np.zeros((K, G), int)
    # one frame for all periods × groups (the indicators computed once), then one slice per period
    whole = _indicators(pd.DataFrame({**{c: m[c].ravel() for c in _COUNT_MEASURES},
                                      **{c: means[c].ravel() for c in _MEAN_MEASURES},
                                      "callbacks": cb_all.ravel(), "satisfied": cb_sat.ravel()},
                                     index=pd.Index(np.tile(names, K), name="__key")), defs)
    return whole, K, G


def _clean(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else round(float(value), 4)
    return value


def _records(out: pd.DataFrame, name: str) -> list[dict[str, Any]]:
    """Rows as plain dicts (ints, floats rounded to 4 places, None for no value), column by column:
    ``DataFrame.to_dict`` per period was most of a 31-day trend's time."""
    names = list(out.columns)  # a plain list: iterating pandas' string Index per row cost ~4 µs a cell
    cols = [(out[c].tolist() if out[c].dtype.kind in "iu"
             else [None if v != v else round(float(v), 4) for v in out[c].tolist()] if out[c].dtype.kind == "f"
             else [_clean(v) for v in out[c].tolist()]) for c in names]
    keys = out.index.tolist()
    return [{name: k, **dict(zip(names, values))} for k, values in zip(keys, zip(*cols))]


# -------------------------------------------------------------------------------------------------
# Views
# -------------------------------------------------------------------------------------------------

def indicator_table(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
                    by: str | None = None, defs: Definitions | None = None,
                    source: str = "summary") -> list[dict[str, Any]]:
    """Every measure and indicator for [start, end) as of ``as_of``, one row per ``by`` group (or one row)."""
    defs = defs or load()
    if by is not None and by not in GROUPS:
        raise ValueError(f"unknown group {by!r}")
    if by is None and source == "summary":  # one period of whole local days: the daily rollup answers
        fast = rollup_trend([start, end], as_of, filters, session=session, defs=defs)
        if fast is not None:
            return fast[0]
    elif source == "summary":  # …and the group rollup a table by group
        rows = rollup_groups(start, end, as_of, filters, by, session=session, defs=defs)
        if rows is not None:
            return rows
    f = milestone_rows(start, as_of, filters, session=session, defs=defs, end=end, source=source,
                       strings=[by] if by in _STRINGS else [])
    cb = callbacks(start, end, as_of, filters, session=session, defs=defs)
    return period_records(f, cb, [start, end], as_of, defs, by)[0]


def _trend_rows(f: pd.DataFrame, cb: pd.DataFrame, edges: Sequence[datetime], as_of: datetime, defs: Definitions,
                tz: ZoneInfo) -> list[dict[str, Any]]:
    return _rows_of_periods(period_records(f, cb, edges, as_of, defs), edges, as_of, tz)


def _year_before(local: datetime) -> datetime:
    """The same local date a year earlier (29 February → 28 February)."""
    try:
        return local.replace(year=local.year - 1)
    except ValueError:
        return local.replace(year=local.year - 1, day=28)


def _edges(start: datetime, end: datetime, freq: str, tz: ZoneInfo) -> list[datetime]:
    return period_edges(start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date(), freq, tz)


def trend(start: datetime, end: datetime, freq: str, as_of: datetime, filters: Filters, tz: ZoneInfo, *,
          session: Session, defs: Definitions | None = None, source: str = "summary") -> list[dict[str, Any]]:
    """Indicators per local day / week / month between ``start`` and ``end``, each as of ``as_of``.

    ``source``: "summary" (the page) sums the daily rollup when it can answer (:func:`rollup_trend`) and
    folds the candidates' summary rows otherwise; "fold" always folds them; "events" folds the events
    (the reference the consistency tests compare with)."""
    defs = defs or load()
    edges = _edges(start, end, freq, tz)
    if source == "rollup" or source == "summary":
        fast = rollup_trend(edges, as_of, filters, session=session, defs=defs)
        if fast is not None:
            return _rows_of_periods(fast, edges, as_of, tz)
    f = compact_rows(edges[0], as_of, filters, session=session, defs=defs, end=edges[-1],
                     source="summary" if source == "fold" else source)
    cb = callbacks(edges[0], edges[-1], as_of, filters, session=session, defs=defs, compact=True)
    return _trend_rows(f, cb, edges, as_of, defs, tz)


#: Above this many incidents with an event after ``as_of``, a view folds its candidates instead of taking
#: those incidents out of the rollup again (an ``as_of`` far in the past). Measured at 10 M incidents: a
#: late incident costs ~140 µs (its row, its events folded, its callbacks, its contributions), a month's fold
#: 7–10 s — the month's end with 23.6 k late ones took 3.9 s this way, 7.5 s folded.
ROLLUP_MAX_LATE = 50_000


def _bucket_sql(col: Any, days: Sequence[int]) -> Any:
    """SQL: the period index of a local day number (edges ``days``): arithmetic for days and weeks, a CASE
    over the edges otherwise (months). Only equality of two buckets inside the range matters."""
    step = days[1] - days[0]
    if step in (1, 7) and all(b - a == step for a, b in zip(days, days[1:])):
        big = 1_000_000  # keeps the dividend positive: integer division truncates towards zero in SQL
        return (col - days[0] + big * step) // step - big  # ``//``: integer division on both backends
    return case(*[(col < d, i - 1) for i, d in enumerate(days)], else_=len(days) - 1)


def _rollup_meta(defs: Definitions, *, session: Session) -> Any:
    """The rollup's zone (a :class:`rollup.DayOf`) when it can answer with ``defs``: built with the same
    filing limit, and every satisfied level has a column; else None (the caller folds)."""
    m = rollup.meta(session=session)
    if m is None or m[1] != defs.filing_limit_minutes or not set(defs.satisfied) <= set(rollup.LEVELS):
        return None
    return rollup.DayOf(m[0])


def _midnights(day: Any, moments: Iterable[int]) -> list[int] | None:
    """Local day numbers of epoch-µs moments that are all local midnights (else None)."""
    out = []
    for x in moments:
        d = day(x)
        if day(x - 1) != d - 1:
            return None
        out.append(d)
    return out


def _mconds(filters: Filters) -> list[Any]:
    """The filters on summary rows that never change (all but the department, which is "as of")."""
    M = MilestoneRow
    conds: list[Any] = []
    if filters.district is not None:
        conds.append(M.district == filters.district)
    if filters.category:
        conds.append(M.category.startswith(filters.category, autoescape=True))
    if filters.grid:
        conds.append(M.grid == filters.grid)
    return conds


@dataclass
class _Late:
    """Incidents with an event after ``as_of`` (reported before ``hi``): their summary rows now, their fold as
    of ``as_of`` (none for those reported after it), and the rollup deltas that turn both tables' current
    contributions of them into those as of ``as_of`` (late callbacks taken out too). Or, when ``as_of`` is a
    local month start with a ready snapshot and every view reads days before it, ``snap``: that month's day
    number, whose snapshot rows (incidents/asof.py) the views add instead (nothing folded)."""

    hi: int
    current: list[dict[str, Any]]
    folded: list[dict[str, Any]]
    deltas: rollup.Deltas
    snap: int | None = None


def _late(as_of: datetime, hi: int, filters: Filters, day: Any, *, session: Session) -> _Late | None:
    """:class:`_Late` of the incidents matching ``filters`` (but the department); None above
    :data:`ROLLUP_MAX_LATE` of them. Only those reported before ``hi`` matter to a view ending by then: the
    others' rows, now and as of then, lie on days after it (and the fold's candidates are reported before)."""
    M = MilestoneRow
    t = ms.us(as_of)
    if hi <= t:
        snap = asof.ready(t, session=session)
        if snap is not None:
            return _Late(hi, [], [], rollup.Deltas(), snap)
    # by the last_at index ((reported + 0): with a district filter SQLite preferred the reported index, which
    # reads every incident reported before ``hi``; the late ones are few after a recent ``as_of``)
    ids = list(session.scalars(select(M.incident_id).where(M.last_at > t, (M.reported + 0) < hi, *_mconds(filters))
                               .limit(ROLLUP_MAX_LATE + 1)))
    if len(ids) > ROLLUP_MAX_LATE:
        return None
    current, folded, deltas = asof.late_fold(as_of, ids, day, session=session)
    return _Late(hi, current, folded, deltas)


def _running_late(late: _Late, t: int, cap: int, department: str | None) -> list[dict[str, Any]]:
    """The late incidents' folds counted as overdue at a period ending at or after ``as_of`` (µs ``t``):
    candidates (reported before ``cap``) running with their deadline passed, then."""
    running = {s.value for s in RUNNING_STATES}
    return [r for r in late.folded if r["state"] in running and r["deadline"] is not None and r["deadline"] < t
            and r["reported"] < cap and (not department or r["department"] == department)]


def _rollup_frame(c: Mapping[str, np.ndarray], overdue: np.ndarray, names: Sequence[str],
                  defs: Definitions) -> pd.DataFrame:
    """The measures and indicators of summed rollup columns ``c`` (one entry per row of ``names``)."""
    data: dict[str, Any] = {k: c[k] for k in _COUNT_MEASURES if k != "overdue_open"}
    data["overdue_open"] = overdue
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, n, total in (("filing_hours", "filing_n", "filing_us"), ("handling_hours", "handling_n", "handling_us")):
            data[k] = np.where(c[n] > 0, (c[total] / 3.6e9) / np.maximum(c[n], 1), np.nan)
    data["callbacks"] = sum(c[x] for x in rollup.CALLBACKS)
    data["satisfied"] = sum((c[f"cb_{lv}"] for lv in defs.satisfied), np.zeros(len(names), np.int64))
    frame = pd.DataFrame({k: data[k] for k in (*_COUNT_MEASURES, *_MEAN_MEASURES, "callbacks", "satisfied")},
                         index=pd.Index(list(names), name="__key", dtype=object))
    return _indicators(frame, defs)


def _rconds(R: Any, filters: Filters) -> list[Any]:
    """The district and category-class filters on rows of ``analytics_daily`` (or its snapshot)."""
    conds: list[Any] = []
    if filters.district is not None:
        conds.append(R.district == filters.district)
    if filters.category:
        conds.append(R.large.startswith(filters.category, autoescape=True))
    return conds


def _daily_filters(filters: Filters) -> bool:
    """Whether ``analytics_daily`` rows can apply ``filters``: a district and a category class at most."""
    return not (filters.grid or filters.department or (filters.category and len(filters.category) > 3))


def rollup_trend(edges: Sequence[datetime], as_of: datetime, filters: Filters, *, session: Session,
                 defs: Definitions, late: _Late | None = None) -> list[list[dict[str, Any]]] | None:
    """:func:`period_records` of the whole city (or a district / category class) from the ``analytics_daily``
    rollup — the same numbers as folding the candidates, at a cost bounded by days × districts × classes.

    The rollup holds the contributions of every incident's current summary row; the few incidents with an
    event after ``as_of`` are taken out again and their fold as of ``as_of`` put in (late callbacks too),
    so "as of" is exact (``late``: already found for these filters, reported before at least the range's
    end). None when the rollup cannot answer: edges that are not local midnights of the zone it was built
    in, another filing limit, a grid / department / fine category filter, or too many late incidents (the
    caller folds)."""
    day = _rollup_meta(defs, session=session)
    if day is None or not _daily_filters(filters):
        return None
    e_us = [ms.us(x) for x in edges]
    days = _midnights(day, e_us)
    if days is None:  # edges must be local midnights
        return None
    M = MilestoneRow
    t = ms.us(as_of)
    cap = min(e_us[-1], t + 1)  # the fold's candidates: reported before the range's end and by as_of
    if late is None or late.hi < e_us[-1]:
        late = _late(as_of, e_us[-1], filters, day, session=session)
        if late is None:
            return None
    K = len(days) - 1
    cols = rollup.COLUMNS
    sums = np.zeros((K, len(cols)), dtype=np.int64)
    prefix = 0
    # the rollup, plus (as of a month start) its snapshot there: the same sums over the same keys
    tables = [(RollupRow, [])] + ([(DailyAsofRow, [DailyAsofRow.asof == late.snap])] if late.snap is not None else [])
    for R, extra in tables:
        rconds = [*_rconds(R, filters), *extra]
        b1, b2 = _bucket_sql(R.day, days), _bucket_sql(R.day2, days)
        q = (select(b1.label("p"), *[func.sum(R.__table__.c[c]) for c in cols])
             .where(R.day >= days[0], R.day < days[-1], b2 == b1, *rconds).group_by(b1))
        for row in session.execute(q):
            if 0 <= int(row[0]) < K:
                sums[int(row[0])] += np.array([int(v or 0) for v in row[1:]], dtype=np.int64)
        prefix += int(session.scalar(select(func.sum(R.overdue_delta)).where(R.day < days[0], *rconds)) or 0)
    running = [s.value for s in RUNNING_STATES]
    now_count = int(session.scalar(select(func.count()).select_from(M).where(
        text(MILESTONES_OPEN), M.state.in_(running), M.deadline < t, (M.last_at + 0) <= t, M.reported < cap,
        *_mconds(filters))) or 0)
    now_count += len(_running_late(late, t, cap, None))
    if late.snap is not None and e_us[-1] >= t:  # the late incidents running and overdue then (cap: a midnight)
        S = DailyAsofRow
        now_count += int(session.scalar(select(func.sum(S.late_running)).where(
            S.asof == late.snap, S.day < day(cap), *_rconds(S, filters))) or 0)
    d = np.array(days)
    ix = {c: i for i, c in enumerate(cols)}
    for (d1, d2, dist, lg), v in late.deltas.daily.items():  # the late incidents: out now, in as of then
        if (filters.district is not None and dist != filters.district) or (
                filters.category and not lg.startswith(filters.category)):
            continue  # (a shared ``late`` may hold more than these filters keep)
        p1, p2 = int(np.searchsorted(d, d1, "right")) - 1, int(np.searchsorted(d, d2, "right")) - 1
        if d1 < days[0]:
            prefix += v[ix["overdue_delta"]]
        elif p1 == p2 and 0 <= p1 < K:
            sums[p1] += np.array(v, dtype=np.int64)
    c = {name: sums[:, i] for i, name in enumerate(cols)}
    overdue = prefix + np.cumsum(c["overdue_delta"])
    overdue[np.array(e_us[1:]) >= t] = now_count  # a period ending at or after as_of: the state then
    rows = _records(_rollup_frame(c, overdue, [""] * K, defs), "all")
    return [[r] for r in rows]


# -------------------------------------------------------------------------------------------------
# Group tables and the category mix from the group rollup (analytics_group_daily)
# -------------------------------------------------------------------------------------------------

def _group_source(by: str, filters: Filters, G: Any = GroupRollupRow) -> tuple[str, Any, list[Any]] | None:
    """(dim, the SQL group value, conditions) reading ``by`` groups from ``analytics_group_daily`` under
    ``filters``; None when its rows cannot apply a filter (a grid table by department, two group filters…).

    Every row carries its district, so a district table reads any one dim's rows (that of its filter).
    ``G``: the table (the rollup, or its month-start snapshot, whose keys are the same)."""
    own = {"grid": filters.grid, "department": filters.department, "category": filters.category}
    used = [d for d, v in own.items() if v]
    if by == "district":
        if len(used) > 1:
            return None
        dim = used[0] if used else "department"  # the fewest rows a day
    else:
        if any(d != by for d in used):
            return None
        dim = by
    conds: list[Any] = [G.dim == dim]
    if filters.district is not None:
        conds.append(G.district == filters.district)
    value = own[dim]
    if value:
        conds.append(G.key.startswith(value, autoescape=True) if dim == "category" else G.key == value)
    return dim, (G.district if by == "district" else G.key), conds


def _group_of(by: str, row: Mapping[str, Any]) -> str:
    """A summary row's group value as the fold's tables show it (text; a missing value is "")."""
    v = row[by]
    return "" if v is None else str(int(v)) if by == "district" else str(v)


def _sums(session: Session, gcol: Any, cols: Sequence[str], conds: Sequence[Any],
          G: Any = GroupRollupRow.__table__) -> dict[str, np.ndarray]:
    """SUM(cols) of the group rollup (or table ``G``) per group value (text)."""
    out: dict[str, np.ndarray] = {}
    for row in session.execute(select(gcol, *[func.sum(G.c[c]) for c in cols]).where(*conds).group_by(gcol)):
        out[str(row[0])] = np.array([int(v or 0) for v in row[1:]], dtype=np.int64)
    return out


def _key_filter(dim: str, filters: Filters) -> Callable[[str, int], bool]:
    """Which (key, district) of ``dim`` rows :func:`_group_source`'s conditions keep (for the late deltas)."""
    value = {"grid": filters.grid, "department": filters.department, "category": filters.category}[dim]

    def keep(key: str, district: int) -> bool:
        if filters.district is not None and district != filters.district:
            return False
        if value:
            return key.startswith(value) if dim == "category" else key == value
        return True
    return keep


def rollup_groups(start: datetime, end: datetime, as_of: datetime, filters: Filters, by: str, *,
                  session: Session, defs: Definitions,
                  around: tuple[datetime, datetime, datetime, datetime] | None = None,
                  late: _Late | None = None) -> list[dict[str, Any]] | None:
    """``period_records(f, cb, [start, end], as_of, defs, by)[0]`` from the group rollup: the same rows (the
    groups of the fold's candidates and callbacks, in the same order), the same numbers, "as of" exact as in
    :func:`rollup_trend` (whose fallback rules apply, plus: a filter the rollup's rows of ``by`` cannot apply).

    ``around`` = (c0, c1, k0, k1): the fold's candidates were those of [c0, c1) and its callbacks those of
    [k0, k1) (default [start, end) both; the dashboard folds its trend's range). Its groups are those of
    the candidates — reported within the lookback before c0, or with an event since c0, or open — and of the
    callbacks, found here from the ``reported`` and callback counts of the rollup plus one indexed query
    for the older incidents; a group with any count in the period is shown too (as the fold shows those of
    the rare incident its lookback misses, which the rollup counts like :func:`rollup_trend`)."""
    c0, c1, k0, k1 = around or (start, end, start, end)
    day = _rollup_meta(defs, session=session)
    src = _group_source(by, filters)
    if day is None or src is None or not rollup.has_groups(session=session):
        return None
    dim, gcol, conds = src
    t = ms.us(as_of)
    back = ms.us(c0 - timedelta(days=defs.lookback_days))
    us_ = [ms.us(x) for x in (start, end, c0, c1, k0, k1)] + [back]
    ds = _midnights(day, us_)
    if ds is None or t < us_[2] or not (us_[2] <= us_[0] and us_[1] <= us_[3]):
        return None  # not whole local days, or "as of" before the candidates' range: the fold answers
    d0, d1, _dc0, dc1, dk0, dk1, dback = ds
    hi = max(us_[1], us_[3], us_[5])
    if late is None or late.hi < hi:
        late = _late(as_of, hi, filters, day, session=session)
        if late is None:
            return None
    G, M = GroupRollupRow, MilestoneRow
    cols = rollup.GCOLUMNS
    ix = {c: i for i, c in enumerate(cols)}
    cb_cols = list(rollup.CALLBACKS)
    snap = _snap_source(by, filters, late)

    def sums(cols_: Sequence[str], days_: Callable[[Any], list[Any]]) -> dict[str, np.ndarray]:
        """The rollup's sums, plus (as of a month start) its snapshot's over the same keys and days."""
        out = _sums(session, gcol, cols_, [*conds, *days_(G)])
        for k, v in _snap_sums(session, snap, cols_, days_).items():
            out[k] = out[k] + v if k in out else v
        return out

    period = sums(cols, lambda T: [T.day >= d0, T.day < d1, T.day2 >= d0, T.day2 < d1])
    reported = sums(["reported"], lambda T: [T.day >= dback, T.day < dc1])
    called = period if (dk0, dk1) == (d0, d1) else sums(cb_cols, lambda T: [T.day >= dk0, T.day < dk1])
    cb_ix = [ix[c] for c in cb_cols] if called is period else list(range(len(cb_cols)))
    past = us_[1] < t  # the period ended before as_of: overdue at its end from the running sums
    overdue: dict[str, int] = {}
    if past:  # the snapshot holds no all-days totals: its days before d1
        overdue = {k: int(v[0]) for k, v in _snap_sums(session, snap, ["overdue_delta"], lambda S: [S.day < d1]).items()}
    if past:  # Σ overdue_delta over days < d1 = the all-days total − the days from d1 (or the days before)
        # (two queries: SQLite answers a lone min or max from the index, not both in one)
        lo = session.scalar(select(func.min(G.day)).where(G.dim == dim, G.day > rollup.TOTAL_DAY))
        top = session.scalar(select(func.max(G.day)).where(G.dim == dim))
        if lo is not None and d1 - lo < top - d1:
            rng = [G.day > rollup.TOTAL_DAY, G.day < d1]
            part = {k: int(v[0]) for k, v in _sums(session, gcol, ["overdue_delta"], [*conds, *rng]).items()}
        else:
            totals = _sums(session, gcol, ["overdue_delta"], [*conds, G.day == rollup.TOTAL_DAY])
            after = _sums(session, gcol, ["overdue_delta"], [*conds, G.day >= d1])
            part = {k: int(totals.get(k, [0])[0]) - int(after.get(k, [0])[0]) for k in set(totals) | set(after)}
        for k, n in part.items():
            overdue[k] = overdue.get(k, 0) + n
    keep = _key_filter(dim, filters)
    zero = np.zeros(len(cols), np.int64)
    for (gdim, g1, g2, key, dist), v in late.deltas.groups.items():  # the late incidents: out now, in as of then
        if gdim != dim or g1 == rollup.TOTAL_DAY or not keep(key, dist):
            continue
        g = str(dist) if by == "district" else key
        if d0 <= g1 < d1 and d0 <= g2 < d1:
            period[g] = period.get(g, zero) + np.array(v, dtype=np.int64)
        if dback <= g1 < dc1 and v[ix["reported"]]:
            reported[g] = reported.get(g, np.zeros(1, np.int64)) + v[ix["reported"]]
        if called is not period and dk0 <= g1 < dk1:
            called[g] = called.get(g, np.zeros(len(cb_cols), np.int64)) + np.array([v[ix[c]] for c in cb_cols])
        if past and g1 < d1:
            overdue[g] = overdue.get(g, 0) + v[ix["overdue_delta"]]
    cap = min(us_[3], t + 1)  # the candidates: reported before c1 and by as_of
    now: dict[str, int] = {}
    if not past:  # a period ending at or after as_of: the running incidents overdue then
        running = [s.value for s in RUNNING_STATES]
        mcol = {"district": M.district, "grid": M.grid, "department": M.department, "category": M.category}[by]
        dept = [M.department == filters.department] if filters.department else []
        for g, n in session.execute(select(mcol, func.count()).where(
                text(MILESTONES_OPEN), M.state.in_(running), M.deadline < t, (M.last_at + 0) <= t, M.reported < cap,
                *_mconds(filters), *dept).group_by(mcol)):
            now[_group_of(by, {by: g})] = int(n)
        for r in _running_late(late, t, cap, filters.department):
            now[_group_of(by, r)] = now.get(_group_of(by, r), 0) + 1
        # (as of a month start) the late incidents running and overdue then, grouped as they stood
        for k, v in _snap_sums(session, snap, ["late_running"], lambda S: [S.day < day(cap)]).items():
            now[k] = now.get(k, 0) + int(v[0])
    names = {g for g, v in reported.items() if v[0] > 0}
    names |= {g for g, v in called.items() if v[cb_ix].any()}
    names |= {g for g, v in period.items() if v[:len(rollup.COLUMNS)].any()}
    names |= {g for g, n in (overdue if past else now).items() if n}
    names |= _older_candidates(c0, t, back, by, filters, session=session)
    for r in late.folded:  # late candidates, in their group as of then (reported before cap: a candidate)
        if r["reported"] < cap and (not filters.department or r["department"] == filters.department):
            names.add(_group_of(by, r))
    # …or counted in the month-start snapshot by report day under those groups
    names |= {k for k, v in _snap_sums(session, snap, ["late_n"], lambda S: [S.day < day(cap)]).items() if v[0] > 0}
    order = sorted(names)
    K = len(order)
    sums = np.array([period.get(g, zero) for g in order], dtype=np.int64).reshape(K, len(cols))
    c = {name: sums[:, i] for i, name in enumerate(cols)}
    od = np.array([(overdue if past else now).get(g, 0) for g in order], dtype=np.int64)
    return _records(_rollup_frame(c, od, order, defs), by)


def _snap_source(by: str, filters: Filters, late: _Late) -> tuple[Any, Any, list[Any]] | None:
    """(table, group column, conditions) of the month-start snapshot rows a group table adds, or None."""
    if late.snap is None:
        return None
    src = _group_source(by, filters, GroupAsofRow)
    assert src is not None  # the same rules as the rollup's, which answered
    return GroupAsofRow, src[1], [*src[2], GroupAsofRow.asof == late.snap]


def _snap_sums(session: Session, snap: tuple[Any, Any, list[Any]] | None, cols: Sequence[str],
               days: Callable[[Any], list[Any]]) -> dict[str, np.ndarray]:
    """:func:`_sums` of the snapshot rows of :func:`_snap_source` (``days``: conditions on its table), or
    nothing when the view reads no snapshot."""
    if snap is None:
        return {}
    S, scol, sconds = snap
    return _sums(session, scol, cols, [*sconds, *days(S)], S.__table__)


def _older_candidates(c0: datetime, t: int, back: int, by: str, filters: Filters, *, session: Session) -> set[str]:
    """Groups of the candidates reported before the lookback (so not in the rollup's ``reported`` window):
    those with an event since ``c0`` or open, without a later event than ``as_of`` (the late ones are
    grouped as of then by the caller) — two index searches (last_at, open) limited to old reports."""
    M = MilestoneRow
    mcol = {"district": M.district, "grid": M.grid, "department": M.department, "category": M.category}[by]
    dept = [M.department == filters.department] if filters.department else []
    q = select(mcol).where(or_(and_(M.last_at >= ms.us(c0), M.last_at <= t, M.reported < back),
                               and_(text(MILESTONES_OPEN), M.reported < back, (M.last_at + 0) <= t)),
                           *_mconds(filters), *dept).distinct()
    return {_group_of(by, {by: g}) for g in session.scalars(q)}


def rollup_mix(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
               defs: Definitions, late: _Late | None = None) -> list[dict[str, Any]] | None:
    """:func:`_mix` from the group rollup's ``reported`` counts per category (late incidents as of then);
    None when it cannot answer (as :func:`rollup_groups`; a grid or department filter: its category rows
    do not carry them)."""
    day = _rollup_meta(defs, session=session)
    if day is None or filters.grid or filters.department or not rollup.has_groups(session=session):
        return None
    src = _group_source("category", filters)
    ds = _midnights(day, [ms.us(start), ms.us(end)])
    if src is None or ds is None:
        return None
    _dim, gcol, conds = src
    G = GroupRollupRow
    if late is None or late.hi < ms.us(end):
        late = _late(as_of, ms.us(end), filters, day, session=session)
        if late is None:
            return None
    sums = _sums(session, gcol, ["reported"], [*conds, G.day >= ds[0], G.day < ds[1]])
    counts = {k: int(v[0]) for k, v in sums.items()}
    snap = _snap_source("category", filters, late)  # as of a month start: the snapshot's reported counts too
    for k, v in _snap_sums(session, snap, ["reported"], lambda S: [S.day >= ds[0], S.day < ds[1]]).items():
        counts[k] = counts.get(k, 0) + int(v[0])
    keep = _key_filter("category", filters)
    at = rollup.GCOLUMNS.index("reported")
    for (gdim, g1, _g2, key, dist), v in late.deltas.groups.items():
        if gdim == "category" and ds[0] <= g1 < ds[1] and v[at] and keep(key, dist):
            counts[key] = counts.get(key, 0) + v[at]
    order = sorted(((k, n) for k, n in counts.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))
    return [{"category": k, "count": n} for k, n in order]


def _rows_of_periods(periods: Sequence[Sequence[dict[str, Any]]], edges: Sequence[datetime], as_of: datetime,
                     tz: ZoneInfo) -> list[dict[str, Any]]:
    rows = []
    for p0, p1, records in zip(edges, edges[1:], periods):
        if p0 > as_of:
            break
        row = records[0]
        row["period"] = p0.astimezone(tz).date().isoformat()
        row["start"], row["end"] = p0.isoformat(), p1.isoformat()
        rows.append(row)
    return rows


def _mix(f: pd.DataFrame, start: datetime, end: datetime) -> list[dict[str, Any]]:
    inside = f[(f["reported"] >= ms.us(start)) & (f["reported"] < ms.us(end))]
    counts = inside.groupby("category").size().sort_values(ascending=False, kind="stable")
    return [{"category": k, "count": int(v)} for k, v in counts.items()]


def _dashboard_rollup(start: datetime, end: datetime, edges: Sequence[datetime], as_of: datetime, filters: Filters,
                      tz: ZoneInfo, *, session: Session, defs: Definitions) -> dict[str, Any] | None:
    """:func:`dashboard`'s trend, total, group tables and mix from the rollups, or None when any piece
    cannot answer (the caller folds them all). The late incidents are found once for every piece; the
    groups are those the fold of the trend's range shows (its candidates, and its callbacks up to
    max(range end, ``end``))."""
    day = _rollup_meta(defs, session=session)
    if day is None or not _daily_filters(filters):  # the trend's rollup could not answer
        return None
    hi = max(edges[-1], end)
    late = _late(as_of, ms.us(hi), filters, day, session=session)
    if late is None:
        return None
    trend_ = rollup_trend(edges, as_of, filters, session=session, defs=defs, late=late)
    if trend_ is None:
        return None
    total = rollup_trend([start, end], as_of, filters, session=session, defs=defs, late=late)
    if total is None:
        return None
    out: dict[str, Any] = {"trend": _rows_of_periods(trend_, edges, as_of, tz), "total": total[0][0]}
    for by in GROUPS:
        rows = rollup_groups(start, end, as_of, filters, by, session=session, defs=defs,
                             around=(edges[0], edges[-1], edges[0], hi), late=late)
        if rows is None:
            return None
        out[by] = rows
    mix = rollup_mix(start, end, as_of, filters, session=session, defs=defs, late=late)
    if mix is None:
        return None
    out["mix"] = mix
    return out


def dashboard(start: datetime, end: datetime, freq: str, as_of: datetime, filters: Filters, tz: ZoneInfo, *,
              session: Session, defs: Definitions | None = None, last_year: bool = True,
              source: str = "summary") -> dict[str, Any]:
    """Everything the page draws for one set of filters: the trend, the totals, the table by each group and
    the category mix of [start, end) as of ``as_of`` — summed from the rollups (``source="summary"``) when
    they can answer every piece (:func:`_dashboard_rollup`), else from one milestones query (plus last
    year's, which has its own)."""
    defs = defs or load()
    edges = _edges(start, end, freq, tz)
    fast = _dashboard_rollup(start, end, edges, as_of, filters, tz, session=session, defs=defs) \
        if source == "summary" else None
    if fast is not None:
        out: dict[str, Any] = fast
    else:
        f = milestone_rows(edges[0], as_of, filters, session=session, defs=defs, end=edges[-1], source=source,
                           strings=["category", "grid", "department"])
        f["flags"] = _flags(f, defs)  # once for the six tables below
        cb = callbacks(edges[0], max(edges[-1], end), as_of, filters, session=session, defs=defs)
        out = {"trend": _trend_rows(f, cb, edges, as_of, defs, tz)}
        # callbacks outside [start, end) fall outside its one period: not counted, but their groups get a row
        out["total"] = period_records(f, cb, [start, end], as_of, defs)[0][0]
        for by in GROUPS:
            out[by] = period_records(f, cb, [start, end], as_of, defs, by)[0]
        out["mix"] = _mix(f, start, end)
    out["last_year"] = last_year_trend(start, end, freq, as_of, filters, tz, session=session, defs=defs,
                                       source=source) if last_year else []
    return out


def last_year_trend(start: datetime, end: datetime, freq: str, as_of: datetime, filters: Filters, tz: ZoneInfo, *,
                    session: Session, defs: Definitions, source: str = "summary") -> list[dict[str, Any]]:
    """The trend of the same local dates a year before [start, end) — 同比: last year's period as known at
    ``as_of`` (its settled figures), not as it stood then; no rows when no incident can count then."""
    ly = [_year_before(e.astimezone(tz)) for e in (start, end)]
    ly_as_of = as_of
    ly_edges = _edges(ly[0].astimezone(timezone.utc), ly[1].astimezone(timezone.utc), freq, tz)
    fast = (rollup_trend(ly_edges, ly_as_of, filters, session=session, defs=defs)
            if source == "summary" else None)
    if fast is not None:
        M = MilestoneRow
        some = session.scalar(select(M.incident_id).where(
            *_where(ly_edges[0], ly_edges[-1], ly_as_of, filters, defs.lookback_days)).limit(1))
        return [] if some is None else _rows_of_periods(fast, ly_edges, ly_as_of, tz)
    fl = compact_rows(ly_edges[0], ly_as_of, filters, session=session, defs=defs, end=ly_edges[-1], source=source)
    if not len(fl):
        return []
    cbl = callbacks(ly_edges[0], ly_edges[-1], ly_as_of, filters, session=session, defs=defs, compact=True)
    return _trend_rows(fl, cbl, ly_edges, ly_as_of, defs, tz)


def category_mix(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
                 defs: Definitions | None = None) -> list[dict[str, Any]]:
    """Incidents reported in [start, end) (as of ``as_of``) per category, largest first (from the group
    rollup when it can answer)."""
    fast = rollup_mix(start, end, as_of, filters, session=session, defs=defs or load())
    if fast is not None:
        return fast
    return _mix(milestone_rows(start, as_of, filters, session=session, defs=defs, end=end, strings=["category"]),
                start, end)


def _phones(ids: Sequence[int], *, session: Session) -> dict[int, str]:
    """Reporter phones of a few incidents (live, then archive): not in the summary, since privacy
    erasure changes them."""
    out: dict[int, str] = {}
    for _E, I in ms.sides(session=session):
        out.update({int(i): p for i, p in session.execute(select(I.id, I.reporter_phone).where(I.id.in_(list(ids))))})
    return out


#: The drill-down's first window of report times (doubled until the list is full or no candidate is older).
DRILL_WINDOW = timedelta(days=1)


def _drill_filters(filters: Filters, group: tuple[str, str] | None) -> tuple[Filters, Any] | None:
    """A drill group that is a filter (district, grid, category, department) folded into the filters, so SQL
    selects it; what remains (a code) as an SQL condition. None: the group contradicts the filters."""
    if group is None:
        return filters, None
    dim, value = group[0], str(group[1])
    if dim == "district":
        if not value.isdigit() or (filters.district is not None and filters.district != int(value)):
            return None
        return replace(filters, district=int(value)), None
    if dim in ("grid", "department"):
        if getattr(filters, dim) not in (None, "", value):
            return None
        return replace(filters, **{dim: value}), None
    if dim == "category":
        if filters.category and not value.startswith(filters.category):
            return None
        return replace(filters, category=value), MilestoneRow.category == value
    if dim == "code":
        return filters, MilestoneRow.code == value
    return None


def drill(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
          measure: str | None = None, group: tuple[str, str] | None = None, limit: int = 500,
          defs: Definitions | None = None) -> list[dict[str, Any]]:
    """The incidents behind a number: those counted in ``measure`` (default: reported in the period) for
    [start, end) as of ``as_of``, optionally only one group (``("district", "220302")``), newest report first.

    Why windows: the list shows the newest ``limit``, so the candidates are read in windows of report time
    going back from the period's end (1 day, 2, 4 …) until ``limit`` are counted or no candidate is older —
    a month of 10 M incidents held ~400 k candidates, of which the page shows 500. Each window applies
    the same period rules (:func:`measure_masks`, row by row) to its rows."""
    defs = defs or load()
    folded = _drill_filters(filters, group)
    if folded is None:
        return []
    filters, cond = folded
    M = MilestoneRow
    cb_codes: set[str] | None = None
    if measure in ("callbacks", "satisfied"):
        cb = callbacks(start, end, as_of, filters, session=session, defs=defs)
        keep = cb["satisfied"] if measure == "satisfied" else pd.Series(True, index=cb.index)
        cb_codes = set(cb.loc[keep, "code"])
    hi: int | None = min(ms.us(end), ms.us(as_of) + 1)  # the candidates' report-time cap (see _where)
    floor = ms.us(start - timedelta(days=defs.lookback_days))  # older candidates: open, or an event since start
    width = int(DRILL_WINDOW.total_seconds() * 1e6)
    found: list[pd.DataFrame] = []
    count = 0
    while hi is not None:
        lo = max(hi - width, floor)
        window = ([M.reported >= lo, M.reported < hi] if hi > floor else [M.reported < hi]) + \
            ([] if cond is None else [cond])
        f = milestones(start, as_of, filters, session=session, defs=defs, end=end, extra=window)
        if cb_codes is not None:
            f = f[f["code"].isin(cb_codes)]
        else:
            sel = measure_masks(f, start, end, as_of, defs).get(measure or "", None)
            if sel is None:
                sel = (f["reported"] >= _ts(start)) & (f["reported"] < _ts(end))
            elif sel.dtype != bool:
                sel = sel.notna()
            f = f[sel]
        found.append(f)
        count += len(f)
        # the last window is every candidate reported before the lookback (one query, by their indexes)
        hi, width = (None if count >= limit or hi <= floor else lo), width * 2
    f = pd.concat(found, ignore_index=True).sort_values("reported", ascending=False, kind="stable").head(limit)
    phones = _phones([int(i) for i in f["iid"]], session=session)
    return [{"code": r.code, "category": r.category, "district": int(r.district), "grid": r.grid,
             "department": r.department, "state": r.state, "phone": phones.get(int(r.iid), ""),
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


#: Dashboards :meth:`Analytics.dashboard` keeps (a few people's last views; ~1 MB each at the demo's size).
DASHBOARDS_KEPT = 8


class Analytics:
    """The views above, each in its own read transaction (what the page, exports and API call)."""

    def __init__(self, db: Any, tz: ZoneInfo, defs: Definitions | None = None,
                 elapsed: Callable[[], Any] | None = None) -> None:
        self.db = db
        self.tz = tz
        self.defs = defs or load()
        #: the SLA clock provider (``lambda: reference_elapsed(services.reference)``, bound by app.py since
        #: incidents may not import dispatch): the risk column then scores in the limit's own kind of time,
        #: exactly as the wall does (incidents.risk.LiveRisk); None = wall-clock shares (the older behaviour)
        self.elapsed_of: Callable[[], Any] = elapsed or (lambda: None)
        self._risk: tuple[date, Any, Any] | None = None
        #: the last few dashboards, by their arguments and the newest event then (see :meth:`dashboard`)
        self._dashboards: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def table(self, start: datetime, end: datetime, as_of: datetime, filters: Filters = Filters(),
              by: str | None = None) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return indicator_table(start, end, as_of, filters, session=s, by=by, defs=self.defs)

    def dashboard(self, start: datetime, end: datetime, freq: str, as_of: datetime,
                  filters: Filters = Filters(), last_year: bool = True) -> dict[str, Any]:
        """:func:`dashboard`, its group tables and mix remembered for the same period, moment and filters while
        no event is added: the page asks again for the moment it shows when only the indicator or the
        granularity changes (then only the trend is folded anew). Each caller gets its own copy of the rows."""
        with self.db.read() as s:
            key = (start, end, as_of, filters, s.scalar(select(func.max(EventRow.id))))
            with self._lock:
                hit = self._dashboards.get(key)
                if hit is not None:
                    self._dashboards.move_to_end(key)
            if hit is None:
                hit = {"freq": freq, "ly": last_year, **dashboard(start, end, freq, as_of, filters, self.tz, session=s, defs=self.defs,
                                                 last_year=last_year)}
                with self._lock:
                    self._dashboards[key] = hit
                    while len(self._dashboards) > DASHBOARDS_KEPT:
                        self._dashboards.popitem(last=False)
            out = {k: [dict(r) for r in v] if isinstance(v, list) else dict(v) if isinstance(v, dict) else v
                   for k, v in hit.items() if k not in ("freq", "ly")}
            if hit["freq"] != freq:
                out["trend"] = trend(start, end, freq, as_of, filters, self.tz, session=s, defs=self.defs)
            if not last_year:
                out["last_year"] = []
            elif hit["freq"] != freq or not hit["ly"]:
                out["last_year"] = last_year_trend(start, end, freq, as_of, filters, self.tz, session=s, defs=self.defs)
            return out

    def trend(self, start: datetime, end: datetime, freq: str, as_of: datetime,
              filters: Filters = Filters()) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return trend(start, end, freq, as_of, filters, self.tz, session=s, defs=self.defs)

    def trends(self, start: datetime, end: datetime, freq: str, as_of: datetime,
               filters: Filters = Filters()) -> dict[str, list[dict[str, Any]]]:
        """The trend and last year's (:meth:`dashboard`'s ``trend`` and ``last_year``) without the group
        tables: what a change of granularity redraws (a tenth of the dashboard's time)."""
        with self.db.read() as s:
            return {"trend": trend(start, end, freq, as_of, filters, self.tz, session=s, defs=self.defs),
                    "last_year": last_year_trend(start, end, freq, as_of, filters, self.tz, session=s, defs=self.defs)}

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
                    min_size: int = 3, top: int | None = None, examples: int | None = None) -> list[Any]:
        from incidents.hotspots import recurrences

        with self.db.read() as s:
            return recurrences(now, session=s, radius_m=radius_m, days=days, min_size=min_size,
                               district=filters.district, category=filters.category, top=top, examples=examples)

    def breach_risk(self, now: datetime, codes: Iterable[str] | None = None) -> dict[str, float | None]:
        """code → P(miss deadline) for running incidents (see incidents/risk.py for the model)."""
        from incidents.risk import breach_risk, fit

        day = now.astimezone(self.tz).date()
        with self.db.read() as s:
            if self._risk is None or self._risk[0] != day:  # the model moves slowly: refit once a local day
                el = self.elapsed_of()  # fitted and scored in the same kind of time (shares must match)
                self._risk = (day, fit(now, session=s, elapsed=el), el)
            return breach_risk(now, session=s, codes=codes, model=self._risk[1], elapsed=self._risk[2])


def rows_of(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[list[Any]]:
    return [[r.get(c) for c in columns] for r in records]


__all__ = ["Analytics", "Filters", "GROUPS", "IMPLEMENTED_MEASURES", "callbacks", "category_mix", "dashboard", "drill",
           "indicator_table", "measure_masks", "milestones", "period_edges", "timeline", "trend"]
