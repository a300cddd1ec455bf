"""The ``analytics_daily`` rollup: each indicator measure as additive counts per local day, district and
large category class, maintained in the transaction of every event (with ``incident_milestones``).

Why: a trend over a year used to fetch every candidate incident's summary row (~550 k at 1 M incidents,
5.5 M at 10 M) into Python. The rollup's size is bounded by days × districts × classes (× a few pair
rows), whatever the volume, so a 12-month trend is one GROUP BY over a few tens of thousands of small rows.

How each measure of data/indicators.toml becomes additive over local days (a period is a run of days):

* one-milestone measures (to_file at reported, dispatched at the first dispatch, closed_in_period …) are a
  count on the milestone's day (``day2 = day``);
* the OR measures ("deadline in the period OR resolved/closed in it", and "resolved/closed before the
  period's end") are inclusion–exclusion: +1 on the deadline's day, +1 on the resolve's day, and a *pair
  row* ``(day = deadline's day, day2 = resolve's day)`` holding −1 that counts only when both days fall in
  the same period. A view keeps a row iff ``bucket(day2) = bucket(day)`` — always true for one-day rows;
* "overdue at the period's end" is a running sum: +1 on max(dispatch, deadline)'s day, −1 on
  max(that, first resolve)'s day; a period's value is the sum of every earlier day (``overdue_delta``);
* means keep their count and their sum in integer µs (exact, any order); callbacks count per level.

The same per-day counts go to ``analytics_group_daily`` once per group the incident is in — its grid, its
department (the one it stands with; a callback's: the callback event's) and its category (5 digits) — with
the district, plus ``reported`` (the category mix) and, per group, a :data:`TOTAL_DAY` row holding the sum of
``overdue_delta`` over all days (overdue at a past period's end = that total − the days after it, so a recent
period reads only recent rows). :func:`contributions` computes an incident's per-day counts once and fans
them out to every key (:class:`Deltas`), so both tables follow the same rules by construction.

Rows are contributions of the *current* summary row (exact "as of" any T after the incident's last event);
views "as of" an earlier T take the few incidents with a later event out again and put their fold as of T
in (incidents/analytics.py), or fall back to the full fold when there are many. Local days are in the zone
recorded with the rollup (``analytics_rollup_meta``), with the filing limit the ``filed_ontime`` bits used;
a view in another zone or with another limit uses the full fold.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.orm import Session

from incidents.model import RUNNING_STATES
from incidents.records import EventArchiveRow, EventRow, GroupRollupRow, MilestoneRow, RollupMetaRow, RollupRow

#: The additive columns, in table order.
MEASURES = ("to_file", "filed_ontime", "dispatched", "dispatched_right", "to_resolve", "resolved",
            "resolved_ontime", "to_close", "closed", "closed_ontime", "closed_in_period", "reworked",
            "overdue_delta", "filing_n", "filing_us", "handling_n", "handling_us")
#: Callback satisfaction levels with a column each (incidents.followup.SATISFACTION); any other level → other.
LEVELS = ("satisfied", "basically_satisfied", "dissatisfied")
CALLBACKS = tuple(f"cb_{lv}" for lv in LEVELS) + ("cb_other",)
COLUMNS = MEASURES + CALLBACKS
KEY = ("day", "day2", "district", "large")
#: The group table's columns (the same counts and ``reported``) and key, in primary-key order (the upsert's
#: lock order; ``dim, day`` first so a period's rows are one index range).
GCOLUMNS = COLUMNS + ("reported",)
GKEY = ("dim", "day", "day2", "key", "district")
#: The group dimensions of ``analytics_group_daily`` (districts: every row has one).
DIMS = ("grid", "department", "category")
#: ``day = day2`` of the rows holding a group's ``overdue_delta`` summed over all days (before any real day).
TOTAL_DAY = -1_000_000
_IX = {c: i for i, c in enumerate(GCOLUMNS)}  # COLUMNS are its first columns
_N = len(COLUMNS)
_OVERDUE = _IX["overdue_delta"]
_RUNNING = frozenset(s.value for s in RUNNING_STATES)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_Q = 900_000_000  # µs in a quarter hour: zone offsets change only on quarter-hour UTC instants
_DAY_US = 86_400_000_000

Key = tuple[int, int, int, str]
GKey = tuple[str, int, int, str, int]
DayDeltas = dict[tuple[int, int], list[int]]


class Deltas:
    """Additions pending for both tables: ``daily`` by :data:`KEY` (:data:`COLUMNS`), ``groups`` by
    :data:`GKEY` (:data:`GCOLUMNS`). Filled by :func:`contributions` / :func:`callback_contribution`,
    written by :func:`apply` (or :func:`write_new`)."""

    __slots__ = ("daily", "groups")

    def __init__(self) -> None:
        self.daily: dict[Key, list[int]] = {}
        self.groups: dict[GKey, list[int]] = {}


class DayOf:
    """Epoch µs → local day number (days since 1970-01-01 in ``tz``), cached per quarter hour."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._off: dict[int, int] = {}

    def __call__(self, t: int) -> int:
        return (t + self.offset(t // _Q)) // _DAY_US

    def offset(self, q: int) -> int:
        """The zone's UTC offset in µs during quarter hour ``q`` (epoch µs // :data:`_Q`)."""
        off = self._off.get(q)
        if off is None:
            at = datetime.fromtimestamp(q * _Q / 1e6, timezone.utc).astimezone(self.tz)
            off = self._off[q] = int(at.utcoffset().total_seconds() * 1_000_000)  # type: ignore[union-attr]
        return off

    def of_date(self, d: date) -> int:
        return d.toordinal() - _EPOCH_ORDINAL


def large(category: str) -> str:
    """The rollup's category key: family digit + large class (``10101`` → ``101``)."""
    return (category or "")[:3]


def group_keys(grid: str | None, department: str | None, category: str | None) -> tuple[tuple[str, str], ...]:
    """(dim, key) of each group an incident (or a callback) counts in; a missing value is the key ``""``,
    as the fold's group tables show it."""
    return (("grid", grid or ""), ("department", department or ""), ("category", category or ""))


def _acc(table: dict[Any, list[int]], key: Any, v: Sequence[int], n: int) -> None:
    row = table.get(key)
    if row is None:
        table[key] = list(v[:n])
    else:
        for i in range(n):
            row[i] += v[i]


def _fan(out: Deltas, dd: DayDeltas, district: int, category: str, grid: str | None,
         department: str | None) -> None:
    """Add per-day counts to every key they belong to: the district × class row of ``analytics_daily`` and
    one row per group of ``analytics_group_daily`` (with the all-days overdue total)."""
    lg = large(category)
    keys = group_keys(grid, department, category)
    for (d, d2), v in dd.items():
        if any(v[:_N]):
            _acc(out.daily, (d, d2, district, lg), v, _N)
        for dim, key in keys:
            _acc(out.groups, (dim, d, d2, key, district), v, len(GCOLUMNS))
            if v[_OVERDUE]:
                total = out.groups.setdefault((dim, TOTAL_DAY, TOTAL_DAY, key, district), [0] * len(GCOLUMNS))
                total[_OVERDUE] += v[_OVERDUE]


def contributions(r: Mapping[str, Any], day: DayOf, limit_us: float, out: Deltas | None = None,
                  sign: int = 1) -> Deltas:
    """What one summary row adds to both tables (``sign=-1``: takes it out) — the period rules of
    ``incidents.analytics.period_frame`` split per day (see the module docstring); ``out`` accumulates."""
    out = Deltas() if out is None else out
    _fan(out, day_deltas(r, day, limit_us, sign), int(r["district"]), r["category"], r["grid"], r["department"])
    return out


def day_deltas(r: Mapping[str, Any], day: DayOf, limit_us: float, sign: int = 1) -> DayDeltas:
    """One summary row's counts per (day, day2), :data:`GCOLUMNS` each — before they go to any key."""
    out: DayDeltas = {}

    def add(d: int, d2: int, col: str, v: int) -> None:
        if v:
            row = out.get((d, d2))
            if row is None:
                row = out[(d, d2)] = [0] * len(GCOLUMNS)
            row[_IX[col]] += sign * v

    R, F, DR, D = r["reported"], r["filed"], r["dropped"], r["dispatched"]
    DL, RES, RF, C, RO = r["deadline"], r["resolved"], r["resolved_first"], r["closed"], r["resolved_ontime"]
    dropped_first = DR is not None and (F is None or DR < F)
    ontime = int(RES is not None and RO == RES)
    dR = day(R)
    add(dR, dR, "reported", 1)
    if not dropped_first:
        add(dR, dR, "to_file", 1)
        add(dR, dR, "filed_ontime", int(F is not None and F - R <= limit_us))
    if F is not None:
        dF = day(F)
        add(dF, dF, "filing_n", 1)
        add(dF, dF, "filing_us", F - R)
    if C is not None:
        dC = day(C)
        add(dC, dC, "closed_in_period", 1)
        add(dC, dC, "reworked", int(r["reworks"] > 0))
    if D is None:
        return out
    dD = day(D)
    add(dD, dD, "dispatched", 1)
    add(dD, dD, "dispatched_right", int(r["returns"] == 0 and r["reassigns"] == 0))
    dDL = None if DL is None else day(DL)
    for T, due, done, done_on in ((RES, "to_resolve", "resolved", "resolved_ontime"),
                                  (C, "to_close", "closed", "closed_ontime")):
        if dDL is not None:
            add(dDL, dDL, due, 1)
        if T is None:
            continue
        dT = day(T)
        add(dT, dT, due, 1)
        add(dT, dT, done, 1)
        add(dT, dT, done_on, ontime)
        if dDL is None:
            continue
        before = int(dT < dDL)  # done before the deadline's day: counts as done in the deadline's period too
        add(dDL, dDL, done, before)
        add(dDL, dDL, done_on, before * ontime)
        # …unless both days share a period: then the incident is due once and done once there
        add(dDL, dT, due, -1)
        add(dDL, dT, done, -before)
        add(dDL, dT, done_on, -before * ontime)
    if RF is not None:
        dRF = day(RF)
        add(dRF, dRF, "handling_n", 1)
        add(dRF, dRF, "handling_us", RF - D)
    if dDL is not None and not dropped_first:  # overdue from max(dispatch, deadline) until the first resolve
        s = max(dD, dDL)
        e = None if RF is None else max(s, day(RF))
        if e != s:
            add(s, s, "overdue_delta", 1)
            if e is not None:
                add(e, e, "overdue_delta", -1)
    return out


#: Above this many rows :func:`row_deltas` computes contributions with :func:`contributions_many`.
MANY = 64


def _days(day: DayOf, t: np.ndarray) -> np.ndarray:
    """:class:`DayOf` of an array of epoch µs (float, NaN → any day: masked by the caller), one zone offset
    looked up per distinct quarter hour."""
    ti = np.nan_to_num(t).astype(np.int64)
    q, inv = np.unique(ti // _Q, return_inverse=True)
    off = np.array([day.offset(int(x)) for x in q], dtype=np.int64)
    return (ti + off[inv.reshape(-1)]) // _DAY_US


def contributions_many(rows: Sequence[Mapping[str, Any]], day: DayOf, limit_us: float, out: Deltas | None = None,
                       sign: int | Sequence[int] = 1) -> Deltas:
    """:func:`contributions` of many summary rows at once, with numpy — the same rules, the same sums (a test
    compares the two on random rows); ``sign`` one for all rows or one per row (a correction takes rows out
    and puts others in, in one pass). Why: correcting a view "as of" the end of a past month touches the
    ~24 k incidents still open then at 10 M (~30 µs each one by one), and rebuilds touch every row."""
    out = Deltas() if out is None else out
    n = len(rows)
    if n == 0:
        return out

    def col(name: str) -> np.ndarray:
        return np.array([np.nan if r[name] is None else r[name] for r in rows], dtype=np.float64)

    R, F, DR, D = col("reported"), col("filed"), col("dropped"), col("dispatched")
    DL, RES, RF, C, RO = col("deadline"), col("resolved"), col("resolved_first"), col("closed"), col("resolved_ontime")
    returns, reassigns, reworks = (np.array([r[c] for r in rows], dtype=np.int64)
                                   for c in ("returns", "reassigns", "reworks"))
    has = {k: ~np.isnan(v) for k, v in (("F", F), ("DR", DR), ("D", D), ("DL", DL), ("RES", RES), ("RF", RF),
                                          ("C", C))}
    dR, dF, dD, dDL, dRES, dRF, dC = np.split(_days(day, np.concatenate([R, F, D, DL, RES, RF, C])), 7)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]] = []  # (mask, day, day2, column, value)
    one = np.ones(n, np.int64)

    def add(mask: np.ndarray, d: np.ndarray, d2: np.ndarray, name: str, v: np.ndarray) -> None:
        parts.append((mask, d, d2, _IX[name], v))

    dropped_first = has["DR"] & (~has["F"] | (DR < F))
    ontime = (has["RES"] & (RO == RES)).astype(np.int64)
    every = np.ones(n, bool)
    add(every, dR, dR, "reported", one)
    add(~dropped_first, dR, dR, "to_file", one)
    add(~dropped_first, dR, dR, "filed_ontime", (has["F"] & (F - R <= limit_us)).astype(np.int64))
    gap = np.nan_to_num(F - R).astype(np.int64)
    add(has["F"], dF, dF, "filing_n", one)
    add(has["F"], dF, dF, "filing_us", gap)
    add(has["C"], dC, dC, "closed_in_period", one)
    add(has["C"], dC, dC, "reworked", (reworks > 0).astype(np.int64))
    disp = has["D"]  # nothing below counts an incident never dispatched
    add(disp, dD, dD, "dispatched", one)
    add(disp, dD, dD, "dispatched_right", ((returns == 0) & (reassigns == 0)).astype(np.int64))
    hdl = disp & has["DL"]
    for dT, hT, due, done, done_on in ((dRES, has["RES"], "to_resolve", "resolved", "resolved_ontime"),
                                       (dC, has["C"], "to_close", "closed", "closed_ontime")):
        add(hdl, dDL, dDL, due, one)
        t_ = disp & hT
        add(t_, dT, dT, due, one)
        add(t_, dT, dT, done, one)
        add(t_, dT, dT, done_on, ontime)
        both = t_ & hdl
        before = (dT < dDL).astype(np.int64)
        add(both, dDL, dDL, done, before)
        add(both, dDL, dDL, done_on, before * ontime)
        add(both, dDL, dT, due, -one)
        add(both, dDL, dT, done, -before)
        add(both, dDL, dT, done_on, -before * ontime)
    hrf = disp & has["RF"]
    add(hrf, dRF, dRF, "handling_n", one)
    add(hrf, dRF, dRF, "handling_us", np.nan_to_num(RF - D).astype(np.int64))
    ov = hdl & ~dropped_first  # overdue from max(dispatch, deadline) until the first resolve
    s0 = np.maximum(dD, dDL)
    e0 = np.maximum(s0, dRF)
    ov &= ~has["RF"] | (e0 != s0)
    add(ov, s0, s0, "overdue_delta", one)
    add(ov & has["RF"], e0, e0, "overdue_delta", -one)
    idx = np.concatenate([np.flatnonzero(m) for m, *_ in parts])
    d1 = np.concatenate([d[m] for m, d, *_ in parts])
    d2 = np.concatenate([x[m] for m, _d, x, *_ in parts])
    cix = np.concatenate([np.full(int(m.sum()), c, np.int64) for m, _d, _x, c, _v in parts])
    val = np.concatenate([v[m] for m, _d, _x, _c, v in parts]) * np.broadcast_to(np.asarray(sign, np.int64), (n,))[idx]
    keep = val != 0
    idx, d1, d2, cix, val = idx[keep], d1[keep], d2[keep], cix[keep], val[keep]
    dist = np.array([int(r["district"]) for r in rows], np.int64)[idx]
    cat = [r["category"] or "" for r in rows]
    keys = {"large": [large(c) for c in cat], "grid": [r["grid"] or "" for r in rows],
            "department": [r["department"] or "" for r in rows], "category": cat}
    daily = cix < _N
    _sum_into(out.daily, d1[daily], d2[daily], dist[daily], keys["large"], idx[daily], cix[daily], val[daily], _N,
              lambda d, d2_, ds, k: (d, d2_, ds, k))
    ov = cix == _OVERDUE
    total = np.full(int(ov.sum()), TOTAL_DAY, np.int64)
    for dim in DIMS:
        make = lambda d, d2_, ds, k, dim=dim: (dim, d, d2_, k, ds)  # noqa: E731
        _sum_into(out.groups, d1, d2, dist, keys[dim], idx, cix, val, len(GCOLUMNS), make)
        _sum_into(out.groups, total, total, dist[ov], keys[dim], idx[ov], cix[ov], val[ov], len(GCOLUMNS), make)
    return out


def _sum_into(table: dict[Any, list[int]], d: np.ndarray, d2: np.ndarray, dist: np.ndarray, names: Sequence[str],
              idx: np.ndarray, c: np.ndarray, v: np.ndarray, width: int, make: Callable[..., Any]) -> None:
    """Add values ``v`` (column ``c``) to ``table``'s rows keyed ``make(day, day2, district, names[idx])``:
    summed per key in numpy first, so Python touches each key once, not each value."""
    if len(v) == 0:
        return
    kc, kn = pd.factorize(np.asarray(names, dtype=object))
    k = kc[idx]
    parts = [pd.factorize(x) for x in (d, d2, dist)]
    code = np.zeros(len(v), np.int64)
    for codes, uniq in (*parts, (k, kn)):
        code = code * (len(uniq) + 1) + codes
    first, inv = np.unique(code, return_index=True, return_inverse=True)[1:]
    sums = np.zeros((len(first), width), np.int64)
    np.add.at(sums, (inv.reshape(-1), c), v)
    for i, row_sum in zip(first.tolist(), sums.tolist()):
        key = make(int(d[i]), int(d2[i]), int(dist[i]), kn[k[i]])
        row = table.get(key)
        if row is None:
            table[key] = row_sum
        else:
            for j, x in enumerate(row_sum):
                row[j] += x


def callback_contribution(at: int, district: int, category: str, grid: str | None, department: str | None,
                          level: str | None, reached: Any, day: DayOf, out: Deltas, sign: int = 1) -> None:
    """A ``callback`` event's count, on its day (only those ``incidents.analytics.callbacks`` counts);
    ``department``: the callback event's (as the view groups and filters callbacks)."""
    if not isinstance(level, str) or not level or (reached is not None and reached is not True and reached != 1):
        return  # the same callbacks as the view's query: a level, and ``reached`` true or absent
    d = day(at)
    v = [0] * len(GCOLUMNS)
    v[_IX[f"cb_{level}" if level in LEVELS else "cb_other"]] = sign
    _fan(out, {(d, d): v}, int(district), category, grid, department)


# -------------------------------------------------------------------------------------------------
# Settings recorded with the rollup, and writing deltas
# -------------------------------------------------------------------------------------------------

_META: dict[Any, tuple[ZoneInfo, float] | None] = {}
_GROUPS: dict[Any, bool] = {}


def meta(*, session: Session) -> tuple[ZoneInfo, float] | None:
    """(zone, filing limit in minutes) the rollup was built with; cached per engine (they change only by
    :func:`rebuild_all`, which updates the cache). None: no rollup (a database before migration 0013)."""
    key = _bind_key(session)
    if key not in _META:
        row = None
        if inspect(session.connection()).has_table(RollupMetaRow.__tablename__):  # not during migration 0012
            row = session.execute(select(RollupMetaRow.tz, RollupMetaRow.filing_limit_minutes)).first()
        _META[key] = None if row is None else (ZoneInfo(row[0]), float(row[1]))
    return _META[key]


def has_groups(*, session: Session) -> bool:
    """Whether ``analytics_group_daily`` exists (not before migration 0014, e.g. while 0013 backfills);
    cached per engine, refreshed by :func:`rebuild_all` (which migration 0014 calls)."""
    key = _bind_key(session)
    if key not in _GROUPS:
        _GROUPS[key] = inspect(session.connection()).has_table(GroupRollupRow.__tablename__)
    return _GROUPS[key]


def apply(deltas: Deltas, *, session: Session) -> None:
    """Add ``deltas`` to the rows of both tables (upserts), each in key order and ``analytics_daily`` first
    (so concurrent writers lock rows in the same order on PostgreSQL). Called in the event's transaction:
    the rollup commits or rolls back with it."""
    _upsert(RollupRow.__table__, KEY, COLUMNS, deltas.daily, session)
    if deltas.groups and has_groups(session=session):
        _upsert(GroupRollupRow.__table__, GKEY, GCOLUMNS, deltas.groups, session)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert_stmt(T: Any, key: Sequence[str], columns: Sequence[str], dialect: str) -> Any:
    """The "add to the row" upsert of table ``T``, built once per table and dialect: building its ~20
    ``SET c = c + excluded.c`` expressions anew took ~60 % of the rollup's cost per event."""
    stmt = _UPSERTS.get((T.name, dialect))
    if stmt is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        ins = upsert(T)
        stmt = _UPSERTS[(T.name, dialect)] = ins.on_conflict_do_update(
            index_elements=list(key), set_={c: T.c[c] + ins.excluded[c] for c in columns})
    return stmt


def _upsert(T: Any, key: Sequence[str], columns: Sequence[str], acc: Mapping[Any, list[int]],
            session: Session) -> None:
    rows = [dict(zip(key, k), **dict(zip(columns, v))) for k, v in sorted(acc.items()) if any(v)]
    if rows:
        session.execute(_upsert_stmt(T, key, columns, session.get_bind().dialect.name), rows)


def _bind_key(session: Session) -> tuple[int, str]:
    engine = getattr(session.get_bind(), "engine", session.get_bind())
    return id(engine), str(engine.url)


def _limit_us(minutes: float) -> float:
    return minutes * 60e6  # as incidents.analytics compares (float µs)


def row_deltas(rows: Iterable[Mapping[str, Any]], *, session: Session, sign: int | Sequence[int] = 1,
               out: Deltas | None = None) -> Deltas:
    """The contributions of summary rows with the rollup's own zone and limit (empty without a rollup);
    ``sign``: one for all rows or one per row. Many rows at once go through :func:`contributions_many`."""
    out = Deltas() if out is None else out
    m = meta(session=session)
    if m is not None:
        day = DayOf(m[0])
        rows = list(rows)
        if len(rows) > MANY:
            return contributions_many(rows, day, _limit_us(m[1]), out, sign)
        signs = [sign] * len(rows) if isinstance(sign, int) else list(sign)
        for r, sg in zip(rows, signs):
            contributions(r, day, _limit_us(m[1]), out, sg)
    return out


def callback_rows(ids: Sequence[int] | None, *, session: Session) -> list[tuple[Any, ...]]:
    """(incident id, seq, at µs, district, category, grid, department, level, reached) of the callback
    events of ``ids`` (all: None), live and archive: district, category and grid from the summary, the
    department the event's own."""
    from incidents.milestones import epoch_us  # one converter for stored times

    dialect = session.get_bind().dialect.name
    out = []
    M = MilestoneRow
    for E in (EventRow, EventArchiveRow):
        q = (select(E.incident_id, E.seq, epoch_us(E.at, dialect), M.district, M.category, M.grid, E.department,
                    E.payload["satisfaction"].as_string(), E.payload["reached"].as_boolean())
             .join(M, M.incident_id == E.incident_id).where(E.action == "callback"))
        if ids is not None:
            q = q.where(E.incident_id.in_(list(ids)))
        out += [tuple(r) for r in session.execute(q)]
    return out


def rebuild_all(*, session: Session, tz: ZoneInfo, filing_limit_minutes: float, chunk: int = 100_000) -> int:
    """(Re)write the whole rollup — ``analytics_daily`` and, once migration 0014 made it,
    ``analytics_group_daily`` — from the summary rows and the callback events, for ``tz`` and the limit
    (records both in ``analytics_rollup_meta``); returns the rows written. Migrations 0013 and 0014 backfill
    with it."""
    from incidents.milestones import COLUMNS as MS_COLUMNS

    key = _bind_key(session)
    _GROUPS[key] = inspect(session.connection()).has_table(GroupRollupRow.__tablename__)
    session.execute(delete(RollupRow))
    if _GROUPS[key]:
        session.execute(delete(GroupRollupRow))
    session.execute(delete(RollupMetaRow))
    session.execute(insert(RollupMetaRow).values(id=1, tz=tz.key, filing_limit_minutes=filing_limit_minutes))
    _META[_bind_key(session)] = (tz, float(filing_limit_minutes))
    day, limit = DayOf(tz), _limit_us(filing_limit_minutes)
    acc = Deltas()
    M = MilestoneRow.__table__
    last = 0
    while True:
        rows = session.execute(select(*[M.c[c] for c in MS_COLUMNS]).where(M.c.incident_id > last)
                               .order_by(M.c.incident_id).limit(chunk)).mappings().all()
        if not rows:
            break
        contributions_many(rows, day, limit, acc)
        last = rows[-1]["incident_id"]
    for _iid, _seq, at, dist, cat, grid, dept, level, reached in callback_rows(None, session=session):
        callback_contribution(at, dist, cat, grid, dept, level, reached, day, acc)
    written = write_new(acc, session=session)
    from incidents import asof  # (it builds on this module)

    asof.reset(session=session)  # the month-start snapshots, in the new zone and limit
    return written


def write_new(acc: Deltas, *, session: Session) -> int:
    """Insert accumulated rows into empty tables (bulk paths: the rebuild, the benchmark's generator)."""
    written = 0
    tables = [(RollupRow.__table__, KEY, COLUMNS, acc.daily)]
    if has_groups(session=session):
        tables.append((GroupRollupRow.__table__, GKEY, GCOLUMNS, acc.groups))
    for T, key, columns, rows in tables:
        for part in new_rows(rows, 50_000):
            session.execute(insert(T), [dict(zip(key + columns, r)) for r in part])
            written += len(part)
    return written


def new_rows(acc: Mapping[Any, list[int]], chunk: int) -> Iterable[list[tuple[Any, ...]]]:
    """Accumulated rows as (key…, counts…) tuples in key order, all-zero rows left out, ``chunk`` at a time."""
    part: list[tuple[Any, ...]] = []
    for k, v in sorted(acc.items()):
        if any(v):
            part.append((*k, *v))
            if len(part) == chunk:
                yield part
                part = []
    if part:
        yield part


__all__ = ["CALLBACKS", "COLUMNS", "DIMS", "DayOf", "Deltas", "GCOLUMNS", "GKEY", "KEY", "LEVELS", "MEASURES",
           "TOTAL_DAY", "apply", "callback_contribution", "callback_rows", "contributions", "contributions_many", "day_deltas",
           "group_keys", "has_groups", "large", "meta", "new_rows", "rebuild_all", "row_deltas", "write_new"]
