"""Month-start snapshots of the rollups: the monthly report "as it stood" read, not recomputed.

Why: a view "as of" a past moment takes every incident with a later event out of the rollups and puts its
fold as of then back in (incidents/analytics.py). As of the end of last month that is ~24 k incidents at
10 M (~4 s: their rows, their events folded, their callbacks, their contributions) — on every load of the
monthly report, which is the "as of" leaders use most. The correction for a month start D does not change
once D has passed, except by the events committed after D; so it is kept, per local month start, as rows
added to the rollups' own keys, and maintained by those events in their own transactions.

What a snapshot holds, for the midnight D (local, the rollup's zone) starting a month, on the rows of the
days before D only (a row ``(day, day2)`` with ``max(day, day2) < D``; never the ``TOTAL_DAY`` rows):

* the rollup counts of (fold as of D − current) summed over the incidents with an event after D — what the
  views add to the rollups' sums to read them as they stood at D;
* ``late_n``: those incidents (reported before D), on their report day under their groups as they stood at D
  (the groups a view lists), and ``late_running``: those of them running with their deadline passed at D
  (the "overdue at the period's end" of a period ending at D, which the views count from the summary rows
  of every other incident).

How it is maintained (:func:`follow`, from every write that moves the rollups with an event time ``at``):
an event after D moves the rollups by δ, so the snapshot moves by −δ on the rows before D; the first event
after D of an incident (its previous ``last_at`` ≤ D) counts it in ``late_n``/``late_running`` with its
summary row before the event — which is its state at D. Only writes whose rows or previous event lie
before a month start later than them touch a snapshot (an event touching last month's days, or an
incident's first event of a new month): the rest cost one date comparison.

Which snapshots a view may read (:func:`ready`): a month start recorded ``ready`` (built by :func:`build`
from the event log, or first crossed by a followed write), or one at or after ``asof_since`` — the moment
from which every write is followed — that no write has crossed yet (nothing to correct). ``dirty``: a
rebuild of summary rows crossed it (:func:`invalidate`); views fold until :func:`build` redoes it.
Assumption, stated: an incident's events commit in time order (each ``at`` ≥ the row's ``last_at``); an
event before its incident's last one marks the months between dirty.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, inspect, select, text, update
from sqlalchemy.orm import Session

from incidents import rollup
from incidents import milestones as ms
from incidents.model import RUNNING_STATES
from incidents.records import AsofMonthRow, DailyAsofRow, GroupAsofRow, MilestoneRow, RollupMetaRow

LATE = ("late_n", "late_running")
SKEY = ("asof",) + rollup.KEY
SGKEY = ("asof",) + rollup.GKEY
SCOLUMNS = rollup.COLUMNS + LATE
SGCOLUMNS = rollup.GCOLUMNS + LATE
_RUNNING = frozenset(s.value for s in RUNNING_STATES)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_N, _NG = len(SCOLUMNS), len(SGCOLUMNS)
_LN, _LR = len(rollup.GCOLUMNS), len(rollup.GCOLUMNS) + 1  # late columns of a group row
_DLR = len(rollup.COLUMNS) + 1  # late_running of a daily row


def _month_us(tz: ZoneInfo, y: int, m: int) -> int:
    """Epoch µs of local midnight starting month ``m`` of year ``y`` (as analytics.local_start)."""
    return ms.us(datetime(y, m, 1, tzinfo=tz))  # type: ignore[return-value]


def day_date(dn: int) -> date:
    """The calendar date of a local day number (days since 1970-01-01, as the rollups key them)."""
    return date.fromordinal(dn + _EPOCH_ORDINAL)


def months_in(day: rollup.DayOf, lo_day: int, at: int) -> list[tuple[int, int]]:
    """(local day number, epoch µs) of the month starts on or after day ``lo_day`` and strictly before the
    moment ``at``, oldest first — usually none (a write within the month of every day it touches)."""
    d = day_date(day(at))
    y, m = d.year, d.month
    out = []
    while True:
        dn = date(y, m, 1).toordinal() - _EPOCH_ORDINAL
        if dn < lo_day:
            break
        u = _month_us(day.tz, y, m)
        if u < at:
            out.append((dn, u))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def month_start(t: int, day: rollup.DayOf) -> int | None:
    """The local day number of ``t`` when ``t`` is the local midnight starting a month, else None."""
    d = day_date(day(t))
    return d.toordinal() - _EPOCH_ORDINAL if d.day == 1 and _month_us(day.tz, d.year, d.month) == t else None


def has_tables(*, session: Session) -> bool:
    """Whether the snapshot tables exist (not before migration 0015); cached per engine."""
    key = rollup._bind_key(session)
    if not _TABLES.get(key):  # only "yes" is cached: the tables appear during migrations
        _TABLES[key] = inspect(session.connection()).has_table(AsofMonthRow.__tablename__)
    return _TABLES[key]


_TABLES: dict[tuple[int, str], bool] = {}


def forget_tables() -> None:
    """Drop the cache of :func:`has_tables` (migration 0015's downgrade drops the tables)."""
    _TABLES.clear()


def _since(session: Session) -> int | None:
    return session.scalar(select(RollupMetaRow.asof_since))


def ready(t: int, *, session: Session) -> int | None:
    """The month start's day number when the views may read its snapshot for "as of" ``t`` (µs): ``t`` is a
    local month start, and its snapshot is ready (see the module docstring); else None."""
    m = rollup.meta(session=session)
    if m is None or not rollup.has_groups(session=session) or not has_tables(session=session):
        return None
    dn = month_start(t, rollup.DayOf(m[0]))
    if dn is None:
        return None
    state = session.scalar(select(AsofMonthRow.state).where(AsofMonthRow.asof == dn))
    if state is not None:
        return dn if state == "ready" else None
    since = _since(session)
    return dn if since is not None and t >= since else None


# ---------------------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------------------

class Pending:
    """Snapshot rows to add, by :data:`SKEY` and :data:`SGKEY`."""

    __slots__ = ("daily", "groups")

    def __init__(self) -> None:
        self.daily: dict[tuple[Any, ...], list[int]] = {}
        self.groups: dict[tuple[Any, ...], list[int]] = {}


def _add(table: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], v: Sequence[int], n: int,
         sign: int) -> None:
    acc = table.get(key)
    if acc is None:
        acc = table[key] = [0] * n
    for i, x in enumerate(v):
        if x:
            acc[i] += sign * x


def _running_at(r: Mapping[str, Any], t: int) -> int:
    return int(r["state"] in _RUNNING and r["deadline"] is not None and r["deadline"] < t)


def _late_rows(out: Pending, dn: int, t: int, day: rollup.DayOf, rows: Iterable[Mapping[str, Any]]) -> None:
    """Count summary rows as they stood at month start ``dn`` (µs ``t``) among its late incidents."""
    for r in rows:
        if r["reported"] >= t:
            continue
        rd, run = day(r["reported"]), _running_at(r, t)
        _add(out.daily, (dn, rd, rd, r["district"], rollup.large(r["category"])),
             [0] * len(rollup.COLUMNS) + [1, run], _N, 1)
        for dim, key in rollup.group_keys(r["grid"], r["department"], r["category"]):
            _add(out.groups, (dn, dim, rd, rd, key, r["district"]), [0] * len(rollup.GCOLUMNS) + [1, run], _NG, 1)


def _moved(out: Pending, dn: int, deltas: rollup.Deltas, sign: int) -> None:
    """``sign`` × the rollup deltas on the rows before day ``dn``."""
    for k, v in deltas.daily.items():
        if max(k[0], k[1]) < dn:
            _add(out.daily, (dn, *k), v, _N, sign)
    for k, v in deltas.groups.items():
        if k[1] != rollup.TOTAL_DAY and max(k[1], k[2]) < dn:
            _add(out.groups, (dn, *k), v, _NG, sign)


def write(out: Pending, *, session: Session) -> None:
    """Add pending rows to the snapshot tables (upserts in key order, like the rollups)."""
    rollup._upsert(DailyAsofRow.__table__, SKEY, SCOLUMNS, out.daily, session)
    rollup._upsert(GroupAsofRow.__table__, SGKEY, SGCOLUMNS, out.groups, session)


def _lo_day(deltas: rollup.Deltas) -> int | None:
    days = [max(k[0], k[1]) for k in deltas.daily]
    days += [max(k[1], k[2]) for k in deltas.groups if k[1] != rollup.TOTAL_DAY]
    return min(days) + 1 if days else None


def follow(deltas: rollup.Deltas, at: int, before: Sequence[Mapping[str, Any]], *, session: Session) -> None:
    """Keep the month-start snapshots in step with a write at ``at`` (µs) that moves the rollups by
    ``deltas`` (already applied or about to be); ``before``: the summary rows of the incidents it touched
    as they were before it (none for new incidents). In the write's transaction."""
    m = rollup.meta(session=session)
    if m is None or not has_tables(session=session):
        return
    for r in before:
        if r["last_at"] > at:  # out of time order: the snapshots between can no longer be kept
            invalidate(at, r["last_at"], session=session)
    day = rollup.DayOf(m[0])
    lows = [d for d in [_lo_day(deltas), *(day(r["last_at"]) for r in before)] if d is not None]
    if not lows:
        return
    months = months_in(day, min(lows), at)
    if not months:
        return
    live = _followed(months, session)
    out = Pending()
    for dn, t in live:
        _moved(out, dn, deltas, -1)
        _late_rows(out, dn, t, day, [r for r in before if r["last_at"] <= t])
    write(out, session=session)


def _followed(months: Sequence[tuple[int, int]], session: Session) -> list[tuple[int, int]]:
    """The months among ``months`` whose snapshots writes keep: ready ones, and those at or after
    ``asof_since`` not yet recorded (recorded ready here). Locks the rows shared on PostgreSQL, so a
    :func:`build` (which locks the table) never misses a write nor sees it twice."""
    A = AsofMonthRow
    q = select(A.asof, A.state).where(A.asof.in_([dn for dn, _t in months]))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(read=True)
    states = dict(session.execute(q).all())
    since = _since(session)
    new = [dn for dn, t in months if dn not in states and since is not None and t >= since]
    if new:
        _insert_months(session, new, "ready")
        states.update({dn: "ready" for dn in new})
    return [(dn, t) for dn, t in months if states.get(dn) == "ready"]


def _insert_months(session: Session, days: Sequence[int], state: str) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as ins
    else:
        from sqlalchemy.dialects.sqlite import insert as ins  # type: ignore[assignment]
    session.execute(ins(AsofMonthRow).on_conflict_do_nothing(index_elements=["asof"]),
                    [{"asof": dn, "state": state} for dn in days])


def invalidate(lo: int, hi: int, *, session: Session) -> None:
    """Mark dirty every month start in (``lo``, ``hi``] (µs) — a rebuild or an out-of-order event moved
    incidents across them by rules :func:`follow` cannot replay; views fold those months until rebuilt."""
    m = rollup.meta(session=session)
    if m is None or not has_tables(session=session):
        return
    day = rollup.DayOf(m[0])
    months = [dn for dn, _t in months_in(day, day(lo), hi + 1) if _t > lo]
    if months:
        _insert_months(session, months, "dirty")
        session.execute(update(AsofMonthRow).where(AsofMonthRow.asof.in_(months)).values(state="dirty"))
        _clear(session, months)


def _clear(session: Session, months: Sequence[int]) -> None:
    for T in (DailyAsofRow, GroupAsofRow):
        session.execute(delete(T).where(T.asof.in_(list(months))))


# ---------------------------------------------------------------------------------------------------------
# Builds from the event log
# ---------------------------------------------------------------------------------------------------------

def late_fold(as_of: datetime, ids: Sequence[int], day: rollup.DayOf, *,
              session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]], rollup.Deltas]:
    """(summary rows now, their fold as of ``as_of``, the rollup deltas turning the first into the second —
    their callbacks after ``as_of`` taken out) of incidents ``ids``: what "as of" corrects."""
    if not ids:
        return [], [], rollup.Deltas()
    current = ms.read_all(session=session, ids=ids)
    dialect = session.get_bind().dialect.name
    folded: list[dict[str, Any]] = []
    for E, I in ms.sides(session=session):
        for k in range(0, len(ids), 5000):
            folded += [dict(r._mapping) for r in session.execute(
                ms.aggregate(E, I, dialect, ids=list(ids[k:k + 5000]), as_of=as_of))]
    # out: their current rows; in: their fold as of as_of (one pass)
    deltas = rollup.row_deltas(current + folded, session=session, sign=[-1] * len(current) + [1] * len(folded))
    t = ms.us(as_of)
    for _iid, _seq, at, dist, cat, grid, dept, level, reached in rollup.callback_rows(ids, session=session):
        if at > t:  # type: ignore[operator]
            rollup.callback_contribution(at, dist, cat, grid, dept, level, reached, day, deltas, sign=-1)
    return current, folded, deltas


def build(months: Iterable[int] | None = None, *, session: Session, recent: int | None = None) -> dict[int, int]:
    """(Re)build month-start snapshots from the event log — ``months`` (local day numbers of month starts),
    default the dirty ones and those before ``asof_since`` never built (``recent``: the latest of those) — and record them
    ready; returns {month: late incidents}. Locks the months table first (PostgreSQL: EXCLUSIVE, which the
    writes' shared row locks wait for; SQLite: the write lock), so no write commits between the fold and
    the record."""
    m = rollup.meta(session=session)
    if m is None or not has_tables(session=session):
        return {}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE analytics_asof_months IN EXCLUSIVE MODE"))
    day = rollup.DayOf(m[0])
    M = MilestoneRow
    span = _span(session)
    if span is None:
        return {}
    lo, newest = span
    if months is None:  # dirty ones, and those before the writes were followed that were never built
        todo = _unread(session, day, lo, newest)
        if recent is not None:
            todo = todo[len(todo) - recent:] if recent > 0 else []
    else:
        todo = [(dn, _month_start_us(dn, day.tz)) for dn in sorted(set(months))]
    if not todo:
        return {}
    _insert_months(session, [dn for dn, _t in todo], "dirty")  # the write lock, on SQLite
    _clear(session, [dn for dn, _t in todo])
    out: dict[int, int] = {}
    for dn, t in todo:
        # the (last_at, reported) index answers this alone: no row is read for an incident not late
        ids = sorted(session.scalars(select(M.incident_id).where(M.last_at > t, M.reported < t)))
        _current, folded, deltas = late_fold(_EPOCH + timedelta(microseconds=t), ids, day, session=session)
        pend = Pending()
        _moved(pend, dn, deltas, 1)
        _late_rows(pend, dn, t, day, folded)
        write(pend, session=session)
        out[dn] = len(ids)
    session.execute(update(AsofMonthRow).where(AsofMonthRow.asof.in_(list(out))).values(state="ready"))
    return out


def _span(session: Session) -> tuple[int, int] | None:
    """(first report, newest event) in µs, or None for an empty history (two queries: SQLite answers a lone
    min or max from an index, not both in one)."""
    lo = session.scalar(select(func.min(MilestoneRow.reported)))
    return None if lo is None else (lo, session.scalar(select(func.max(MilestoneRow.last_at))))


def _unread(session: Session, day: rollup.DayOf, lo: int, newest: int) -> list[tuple[int, int]]:
    """The month starts of the history, in time order, whose snapshot views cannot read: dirty ones, and
    those before ``asof_since`` never built."""
    since = _since(session)
    states = dict(session.execute(select(AsofMonthRow.asof, AsofMonthRow.state)).all())
    return [(dn, t) for dn, t in months_in(day, day(lo) + 1, int(newest) + 1)
            if states.get(dn) == "dirty" or (dn not in states and (since is None or t < since))]


def pending(*, session: Session) -> list[int]:
    """The month starts (local day numbers) whose views still fold, in the order the upkeep builds them:
    dirty ones first (a report that was fast until a rebuild), then the never built, newest first (the
    reports leaders open most)."""
    m = rollup.meta(session=session)
    if m is None or not has_tables(session=session):
        return []
    span = _span(session)
    if span is None:
        return []
    todo = [dn for dn, _t in reversed(_unread(session, rollup.DayOf(m[0]), *span))]
    dirty = set(session.scalars(select(AsofMonthRow.asof).where(AsofMonthRow.state == "dirty")))
    return [dn for dn in todo if dn in dirty] + [dn for dn in todo if dn not in dirty]


def late_count(dn: int, *, session: Session, limit: int | None = None) -> int:
    """How many incidents a build of month start ``dn`` folds (reported before it, an event after it); counts
    stop after ``limit`` + 1 — enough to tell a month too big for a background pass."""
    m = rollup.meta(session=session)
    if m is None:
        return 0
    t = _month_start_us(dn, rollup.DayOf(m[0]).tz)
    M = MilestoneRow
    q = select(M.incident_id).where(M.last_at > t, M.reported < t)
    if limit is not None:
        q = q.limit(limit + 1)
    return session.scalar(select(func.count()).select_from(q.subquery())) or 0


def _month_start_us(dn: int, tz: ZoneInfo) -> int:
    d = day_date(dn)
    if d.day != 1:
        raise ValueError(f"months: {d.isoformat()} is not the first day of a month")
    return _month_us(tz, d.year, d.month)


def reset(*, session: Session, build_now: bool = True, recent: int | None = None) -> dict[int, int]:
    """Start over (the rollups were rebuilt, or written around the writes — a migration, the benchmark's
    generator): every snapshot dropped, writes followed from after the newest event, and — ``build_now`` —
    every earlier month start built from the event log (``recent``: only the latest ``recent`` of them; the
    older ones fold until ``build()`` builds them)."""
    if rollup.meta(session=session) is None or not has_tables(session=session):
        return {}
    session.execute(delete(AsofMonthRow))
    _clear_all(session)
    newest = session.scalar(select(func.max(MilestoneRow.last_at)))
    session.execute(update(RollupMetaRow).values(asof_since=0 if newest is None else int(newest) + 1))
    return build(session=session, recent=recent) if build_now else {}


def _clear_all(session: Session) -> None:
    for T in (DailyAsofRow, GroupAsofRow):
        session.execute(delete(T))


__all__ = ["LATE", "Pending", "build", "day_date", "follow", "forget_tables", "has_tables", "invalidate", "late_fold", "month_start", "months_in",
           "late_count", "pending", "ready", "reset", "write"]
