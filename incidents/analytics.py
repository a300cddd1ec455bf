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

Candidates are incidents reported within ``lookback_days`` before the range, with any event since its
start, or open now (three index searches); an incident reported earlier whose deadline fell in the period
with no event since — finished before the period — is outside: a stated limit (data/indicators.toml).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from incidents import history, rollup
from incidents import milestones as ms
from incidents.indicators import Definitions, load
from incidents.model import RUNNING_STATES
from incidents.records import MILESTONES_OPEN, MilestoneRow, RollupRow

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
                strings: Sequence[str] = _STRINGS) -> Any:
    """Summary rows of the incidents that can count in [start, end) as of ``as_of``: reported before
    ``end`` (and by ``as_of``) and either reported within the lookback before ``start``, or with any event
    at or after ``start`` (``last_at``), or open now — three index searches (SQLite: MULTI-INDEX OR).

    A superset of the old rule "an event in the range, reported within the lookback, or open now": an
    incident with an event in the range has ``last_at >= start``. Extra candidates change nothing, as the
    period rules decide what counts."""
    M = MilestoneRow
    return select(*[M.__table__.c[c] for c in (*_NUMERIC, *strings)]).where(
        *_where(start, end, as_of, filters, lookback_days))


def _where(start: datetime, end: datetime, as_of: datetime, filters: Filters, lookback_days: int) -> list[Any]:
    """The conditions of :func:`_candidates` (the filters but the department, which is "as of")."""
    M = MilestoneRow
    cap = min(ms.us(end), ms.us(as_of) + 1)  # reported < end and reported <= as_of
    conds: list[Any] = [or_(
        and_(M.reported >= ms.us(start - timedelta(days=lookback_days)), M.reported < cap),
        # ``+ 0``: this branch must search the last_at index, not scan reported < cap
        and_(M.last_at >= ms.us(start), (M.reported + 0) < cap),
        and_(text(MILESTONES_OPEN), M.reported < cap))]
    if filters.district is not None:
        conds.append(M.district == filters.district)
    if filters.category:
        conds.append(M.category.startswith(filters.category, autoescape=True))
    if filters.grid:
        conds.append(M.grid == filters.grid)
    return conds


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
                   source: str = "summary", strings: Sequence[str] = _STRINGS) -> pd.DataFrame:
    """One row per candidate incident of [start, end): its milestones from events at ``<= as_of``, times
    as epoch µs (float, NaN for none); of the text columns only ``strings`` (each costs a cell per row).

    ``source="summary"`` (the views): summary rows whose ``last_at <= as_of`` are exact as they are (no
    later event exists); only candidates with a later event are folded from their events at ``<= as_of``
    (few when ``as_of`` is near now or a period's end). ``source="events"``: every candidate folded from
    its events (the reference the consistency tests compare with)."""
    defs = defs or load()
    dialect = session.get_bind().dialect.name
    t = ms.us(as_of)
    strings = tuple(dict.fromkeys([*strings, "state"] + (["department"] if filters.department else [])))
    f = _frame(fetch_columns(_candidates(start, end or as_of, as_of, filters, defs.lookback_days, strings),
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
               defs: Definitions | None = None, end: datetime | None = None, source: str = "summary") -> pd.DataFrame:
    """:func:`milestone_rows` with datetimes (what the per-incident views — drill-down, mix — use)."""
    f = milestone_rows(start, as_of, filters, session=session, defs=defs, end=end, source=source)
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
    cols = {c: (out[c].tolist() if out[c].dtype.kind in "iu"
                else [None if v != v else round(float(v), 4) for v in out[c].tolist()] if out[c].dtype.kind == "f"
                else [_clean(v) for v in out[c].tolist()]) for c in out.columns}
    keys = out.index.tolist()
    return [{name: k, **{c: cols[c][i] for c in out.columns}} for i, k in enumerate(keys)]


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


#: Above this many incidents with an event after ``as_of``, a trend folds its candidates instead of taking
#: those incidents out of the rollup again one by one (an ``as_of`` far in the past).
ROLLUP_MAX_LATE = 20_000


def _bucket_sql(col: Any, days: Sequence[int]) -> Any:
    """SQL: the period index of a local day number (edges ``days``): arithmetic for days and weeks, a CASE
    over the edges otherwise (months). Only equality of two buckets inside the range matters."""
    step = days[1] - days[0]
    if step in (1, 7) and all(b - a == step for a, b in zip(days, days[1:])):
        big = 1_000_000  # keeps the dividend positive: integer division truncates towards zero in SQL
        return (col - days[0] + big * step) // step - big  # ``//``: integer division on both backends
    return case(*[(col < d, i - 1) for i, d in enumerate(days)], else_=len(days) - 1)


def rollup_trend(edges: Sequence[datetime], as_of: datetime, filters: Filters, *, session: Session,
                 defs: Definitions) -> list[list[dict[str, Any]]] | None:
    """:func:`period_records` of the whole city (or a district / category class) from the ``analytics_daily``
    rollup — the same numbers as folding the candidates, at a cost bounded by days × districts × classes.

    The rollup holds the contributions of every incident's current summary row; the few incidents with an
    event after ``as_of`` are taken out again and their fold as of ``as_of`` put in (late callbacks too),
    so "as of" is exact. None when the rollup cannot answer: edges that are not local midnights of the zone
    it was built in, another filing limit, a grid / department / fine category filter, or too many late
    incidents (the caller folds)."""
    m = rollup.meta(session=session)
    if (m is None or m[1] != defs.filing_limit_minutes or filters.grid or filters.department
            or (filters.category and len(filters.category) > 3) or not set(defs.satisfied) <= set(rollup.LEVELS)):
        return None
    day = rollup.DayOf(m[0])
    e_us = [ms.us(x) for x in edges]
    days = [day(x) for x in e_us]
    if any(day(x - 1) != d - 1 for x, d in zip(e_us, days)):  # edges must be local midnights
        return None
    M, R = MilestoneRow, RollupRow
    t = ms.us(as_of)
    mconds: list[Any] = []
    rconds: list[Any] = []
    if filters.district is not None:
        mconds.append(M.district == filters.district)
        rconds.append(R.district == filters.district)
    if filters.category:
        mconds.append(M.category.startswith(filters.category, autoescape=True))
        rconds.append(R.large.startswith(filters.category, autoescape=True))
    # Late: an event after as_of. Only those reported before the range's end matter — the others' rows, now
    # and as of then, lie on days after it (and the fold's candidates are reported before it too).
    cap = min(e_us[-1], t + 1)  # the fold's candidates: reported before the range's end and by as_of
    late = list(session.scalars(select(M.incident_id).where(M.last_at > t, M.reported < e_us[-1], *mconds)
                                .limit(ROLLUP_MAX_LATE + 1)))
    if len(late) > ROLLUP_MAX_LATE:
        return None
    K = len(days) - 1
    cols = rollup.COLUMNS
    b1, b2 = _bucket_sql(R.day, days), _bucket_sql(R.day2, days)
    q = (select(b1.label("p"), *[func.sum(R.__table__.c[c]) for c in cols])
         .where(R.day >= days[0], R.day < days[-1], b2 == b1, *rconds).group_by(b1))
    sums = np.zeros((K, len(cols)), dtype=np.int64)
    for row in session.execute(q):
        if 0 <= int(row[0]) < K:
            sums[int(row[0])] += np.array([int(v or 0) for v in row[1:]], dtype=np.int64)
    prefix = int(session.scalar(select(func.sum(R.overdue_delta)).where(R.day < days[0], *rconds)) or 0)
    running = [s.value for s in RUNNING_STATES]
    now_count = int(session.scalar(select(func.count()).select_from(M).where(
        text(MILESTONES_OPEN), M.state.in_(running), M.deadline < t, (M.last_at + 0) <= t, M.reported < cap,
        *mconds)) or 0)
    if late:  # out: their current rows (and callbacks after as_of); in: their fold as of as_of
        deltas = rollup.row_deltas(ms.read_all(session=session, ids=late), session=session, sign=-1)
        dialect = session.get_bind().dialect.name
        folded: list[dict[str, Any]] = []
        for E, I in ms.sides(session=session):
            for k in range(0, len(late), 5000):
                folded += [dict(r._mapping) for r in session.execute(
                    ms.aggregate(E, I, dialect, ids=late[k:k + 5000], as_of=as_of))]
        rollup.row_deltas(folded, session=session, out=deltas)
        for _iid, _seq, at, dist, cat, level, reached in rollup.callback_rows(late, session=session):
            if at > t:
                rollup.callback_contribution(at, dist, cat, level, reached, day, deltas, sign=-1)
        now_count += sum(1 for r in folded if r["state"] in running and r["deadline"] is not None
                         and r["deadline"] < t)
        d = np.array(days)
        ix = {c: i for i, c in enumerate(cols)}
        for (d1, d2, _dist, _lg), v in deltas.items():
            p1, p2 = int(np.searchsorted(d, d1, "right")) - 1, int(np.searchsorted(d, d2, "right")) - 1
            if d1 < days[0]:
                prefix += v[ix["overdue_delta"]]
            elif p1 == p2 and 0 <= p1 < K:
                sums[p1] += np.array(v, dtype=np.int64)
    c = {name: sums[:, i] for i, name in enumerate(cols)}
    overdue = prefix + np.cumsum(c["overdue_delta"])
    overdue[np.array(e_us[1:]) >= t] = now_count  # a period ending at or after as_of: the state then
    data: dict[str, Any] = {k: c[k] for k in _COUNT_MEASURES if k != "overdue_open"}
    data["overdue_open"] = overdue
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, n, total in (("filing_hours", "filing_n", "filing_us"), ("handling_hours", "handling_n", "handling_us")):
            data[k] = np.where(c[n] > 0, (c[total] / 3.6e9) / np.maximum(c[n], 1), np.nan)
    data["callbacks"] = sum(c[x] for x in rollup.CALLBACKS)
    data["satisfied"] = sum((c[f"cb_{lv}"] for lv in defs.satisfied), np.zeros(K, np.int64))
    frame = pd.DataFrame({k: data[k] for k in (*_COUNT_MEASURES, *_MEAN_MEASURES, "callbacks", "satisfied")},
                         index=pd.Index([""] * K, name="__key"))
    rows = _records(_indicators(frame, defs), "all")
    return [[r] for r in rows]


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


def dashboard(start: datetime, end: datetime, freq: str, as_of: datetime, filters: Filters, tz: ZoneInfo, *,
              session: Session, defs: Definitions | None = None, last_year: bool = True,
              source: str = "summary") -> dict[str, Any]:
    """Everything the page draws for one set of filters, from one milestones query (plus last year's):
    the trend, the totals, the table by each group and the category mix of [start, end) as of ``as_of``."""
    defs = defs or load()
    edges = _edges(start, end, freq, tz)
    f = milestone_rows(edges[0], as_of, filters, session=session, defs=defs, end=edges[-1], source=source,
                       strings=["category", "grid", "department"])
    f["flags"] = _flags(f, defs)  # once for the six tables below
    cb = callbacks(edges[0], max(edges[-1], end), as_of, filters, session=session, defs=defs)
    out: dict[str, Any] = {"trend": _trend_rows(f, cb, edges, as_of, defs, tz)}
    # callbacks outside [start, end) fall outside its one period: not counted, but their groups get a row
    out["total"] = period_records(f, cb, [start, end], as_of, defs)[0][0]
    for by in GROUPS:
        out[by] = period_records(f, cb, [start, end], as_of, defs, by)[0]
    out["mix"] = _mix(f, start, end)
    out["last_year"] = []
    if last_year:
        ly = [_year_before(e.astimezone(tz)) for e in (start, end)]
        ly_as_of = min(as_of, ly[1].astimezone(timezone.utc))
        ly_edges = _edges(ly[0].astimezone(timezone.utc), ly[1].astimezone(timezone.utc), freq, tz)
        fast = (rollup_trend(ly_edges, ly_as_of, filters, session=session, defs=defs)
                if source == "summary" else None)
        if fast is not None:  # no rows when no incident can count then (as the fold below)
            M = MilestoneRow
            some = session.scalar(select(M.incident_id).where(
                *_where(ly_edges[0], ly_edges[-1], ly_as_of, filters, defs.lookback_days)).limit(1))
            out["last_year"] = [] if some is None else _rows_of_periods(fast, ly_edges, ly_as_of, tz)
        else:
            fl = compact_rows(ly_edges[0], ly_as_of, filters, session=session, defs=defs, end=ly_edges[-1],
                              source=source)
            if len(fl):
                cbl = callbacks(ly_edges[0], ly_edges[-1], ly_as_of, filters, session=session, defs=defs,
                                compact=True)
                out["last_year"] = _trend_rows(fl, cbl, ly_edges, ly_as_of, defs, tz)
    return out


def category_mix(start: datetime, end: datetime, as_of: datetime, filters: Filters, *, session: Session,
                 defs: Definitions | None = None) -> list[dict[str, Any]]:
    """Incidents reported in [start, end) (as of ``as_of``) per category, largest first."""
    return _mix(milestone_rows(start, as_of, filters, session=session, defs=defs, end=end, strings=["category"]),
                start, end)


def _phones(ids: Sequence[int], *, session: Session) -> dict[int, str]:
    """Reporter phones of a few incidents (live, then archive): not in the summary, since privacy
    erasure changes them."""
    out: dict[int, str] = {}
    for _E, I in ms.sides(session=session):
        out.update({int(i): p for i, p in session.execute(select(I.id, I.reporter_phone).where(I.id.in_(list(ids))))})
    return out


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
    f = f.sort_values("reported", ascending=False, kind="stable").head(limit)
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
                el = self.elapsed_of()  # fitted and scored in the same kind of time (shares must match)
                self._risk = (day, fit(now, session=s, elapsed=el), el)
            return breach_risk(now, session=s, codes=codes, model=self._risk[1], elapsed=self._risk[2])


def rows_of(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[list[Any]]:
    return [[r.get(c) for c in columns] for r in records]


__all__ = ["Analytics", "Filters", "GROUPS", "IMPLEMENTED_MEASURES", "callbacks", "category_mix", "dashboard", "drill",
           "indicator_table", "measure_masks", "milestones", "period_edges", "timeline", "trend"]
