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

Rows are contributions of the *current* summary row (exact "as of" any T after the incident's last event);
views "as of" an earlier T take the few incidents with a later event out again and put their fold as of T
in (incidents/analytics.py), or fall back to the full fold when there are many. Local days are in the zone
recorded with the rollup (``analytics_rollup_meta``), with the filing limit the ``filed_ontime`` bits used;
a view in another zone or with another limit uses the full fold.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.orm import Session

from incidents.model import RUNNING_STATES
from incidents.records import EventArchiveRow, EventRow, MilestoneRow, RollupMetaRow, RollupRow

#: The additive columns, in table order.
MEASURES = ("to_file", "filed_ontime", "dispatched", "dispatched_right", "to_resolve", "resolved",
            "resolved_ontime", "to_close", "closed", "closed_ontime", "closed_in_period", "reworked",
            "overdue_delta", "filing_n", "filing_us", "handling_n", "handling_us")
#: Callback satisfaction levels with a column each (incidents.followup.SATISFACTION); any other level → other.
LEVELS = ("satisfied", "basically_satisfied", "dissatisfied")
CALLBACKS = tuple(f"cb_{lv}" for lv in LEVELS) + ("cb_other",)
COLUMNS = MEASURES + CALLBACKS
KEY = ("day", "day2", "district", "large")
_IX = {c: i for i, c in enumerate(COLUMNS)}
_RUNNING = frozenset(s.value for s in RUNNING_STATES)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_Q = 900_000_000  # µs in a quarter hour: zone offsets change only on quarter-hour UTC instants

Key = tuple[int, int, int, str]
Deltas = dict[Key, list[int]]


class DayOf:
    """Epoch µs → local day number (days since 1970-01-01 in ``tz``), cached per quarter hour."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._off: dict[int, int] = {}

    def __call__(self, t: int) -> int:
        q = t // _Q
        off = self._off.get(q)
        if off is None:
            at = datetime.fromtimestamp(q * _Q / 1e6, timezone.utc).astimezone(self.tz)
            off = self._off[q] = int(at.utcoffset().total_seconds() * 1_000_000)  # type: ignore[union-attr]
        return (t + off) // 86_400_000_000

    def of_date(self, d: date) -> int:
        return d.toordinal() - _EPOCH_ORDINAL


def large(category: str) -> str:
    """The rollup's category key: family digit + large class (``10101`` → ``101``)."""
    return (category or "")[:3]


def _add(out: Deltas, key: Key, col: str, value: int) -> None:
    if value:
        row = out.get(key)
        if row is None:
            row = out[key] = [0] * len(COLUMNS)
        row[_IX[col]] += value


def contributions(r: Mapping[str, Any], day: DayOf, limit_us: float, out: Deltas | None = None,
                  sign: int = 1) -> Deltas:
    """What one summary row adds to the rollup (``sign=-1``: takes it out) — the period rules of
    ``incidents.analytics.period_frame`` split per day (see the module docstring); ``out`` accumulates."""
    out = {} if out is None else out
    dist, lg = int(r["district"]), large(r["category"])

    def add(d: int, d2: int, col: str, v: int) -> None:
        _add(out, (d, d2, dist, lg), col, sign * v)

    R, F, DR, D = r["reported"], r["filed"], r["dropped"], r["dispatched"]
    DL, RES, RF, C, RO = r["deadline"], r["resolved"], r["resolved_first"], r["closed"], r["resolved_ontime"]
    dropped_first = DR is not None and (F is None or DR < F)
    ontime = int(RES is not None and RO == RES)
    dR = day(R)
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


def callback_contribution(at: int, district: int, category: str, level: str | None, reached: Any,
                          day: DayOf, out: Deltas, sign: int = 1) -> None:
    """A ``callback`` event's count, on its day (only those ``incidents.analytics.callbacks`` counts)."""
    if not isinstance(level, str) or not level or (reached is not None and reached is not True and reached != 1):
        return  # the same callbacks as the view's query: a level, and ``reached`` true or absent
    d = day(at)
    _add(out, (d, d, int(district), large(category)), f"cb_{level}" if level in LEVELS else "cb_other", sign)


# -------------------------------------------------------------------------------------------------
# Settings recorded with the rollup, and writing deltas
# -------------------------------------------------------------------------------------------------

_META: dict[Any, tuple[ZoneInfo, float] | None] = {}


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


def apply(deltas: Deltas, *, session: Session) -> None:
    """Add ``deltas`` to the rollup rows (upsert), in key order (so concurrent writers lock rows in the same
    order on PostgreSQL). Called in the event's transaction: the rollup commits or rolls back with it."""
    rows = [dict(zip(KEY, k), **dict(zip(COLUMNS, v))) for k, v in sorted(deltas.items()) if any(v)]
    if not rows:
        return
    T = RollupRow.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(T)
    stmt = stmt.on_conflict_do_update(index_elements=list(KEY),
                                      set_={c: T.c[c] + stmt.excluded[c] for c in COLUMNS})
    session.execute(stmt, rows)


def _bind_key(session: Session) -> tuple[int, str]:
    engine = getattr(session.get_bind(), "engine", session.get_bind())
    return id(engine), str(engine.url)


def _limit_us(minutes: float) -> float:
    return minutes * 60e6  # as incidents.analytics compares (float µs)


def row_deltas(rows: Iterable[Mapping[str, Any]], *, session: Session, sign: int = 1,
               out: Deltas | None = None) -> Deltas:
    """The contributions of summary rows with the rollup's own zone and limit (empty without a rollup)."""
    out = {} if out is None else out
    m = meta(session=session)
    if m is not None:
        day = DayOf(m[0])
        for r in rows:
            contributions(r, day, _limit_us(m[1]), out, sign)
    return out


def callback_rows(ids: Sequence[int] | None, *, session: Session) -> list[tuple[int, int, int, str, Any, Any]]:
    """(incident id, seq, at µs, …, level, reached) of the callback events of ``ids`` (all: None), live and
    archive, with district and category from the summary."""
    from incidents.milestones import epoch_us  # one converter for stored times

    dialect = session.get_bind().dialect.name
    out = []
    M = MilestoneRow
    for E in (EventRow, EventArchiveRow):
        q = (select(E.incident_id, E.seq, epoch_us(E.at, dialect), M.district, M.category,
                    E.payload["satisfaction"].as_string(), E.payload["reached"].as_boolean())
             .join(M, M.incident_id == E.incident_id).where(E.action == "callback"))
        if ids is not None:
            q = q.where(E.incident_id.in_(list(ids)))
        out += [tuple(r) for r in session.execute(q)]
    return out


def rebuild_all(*, session: Session, tz: ZoneInfo, filing_limit_minutes: float, chunk: int = 100_000) -> int:
    """(Re)write the whole rollup from the summary rows and the callback events, for ``tz`` and the limit
    (records both in ``analytics_rollup_meta``); returns the rows written. Migration 0013 backfills with it."""
    from incidents.milestones import COLUMNS as MS_COLUMNS

    session.execute(delete(RollupRow))
    session.execute(delete(RollupMetaRow))
    session.execute(insert(RollupMetaRow).values(id=1, tz=tz.key, filing_limit_minutes=filing_limit_minutes))
    _META[_bind_key(session)] = (tz, float(filing_limit_minutes))
    day, limit = DayOf(tz), _limit_us(filing_limit_minutes)
    acc: Deltas = {}
    M = MilestoneRow.__table__
    last = 0
    while True:
        rows = session.execute(select(*[M.c[c] for c in MS_COLUMNS]).where(M.c.incident_id > last)
                               .order_by(M.c.incident_id).limit(chunk)).mappings().all()
        if not rows:
            break
        for r in rows:
            contributions(r, day, limit, acc)
        last = rows[-1]["incident_id"]
    for _iid, _seq, at, dist, cat, level, reached in callback_rows(None, session=session):
        callback_contribution(at, dist, cat, level, reached, day, acc)
    return write_new(acc, session=session)


def write_new(acc: Deltas, *, session: Session) -> int:
    """Insert accumulated rows into an empty rollup (bulk paths: the rebuild, the benchmark's generator)."""
    rows = [dict(zip(KEY, k), **dict(zip(COLUMNS, v))) for k, v in sorted(acc.items()) if any(v)]
    for i in range(0, len(rows), 50_000):
        session.execute(insert(RollupRow.__table__), rows[i:i + 50_000])
    return len(rows)


__all__ = ["CALLBACKS", "COLUMNS", "DayOf", "KEY", "LEVELS", "MEASURES", "apply", "callback_contribution",
           "callback_rows", "contributions", "large", "meta", "rebuild_all", "row_deltas", "write_new"]
