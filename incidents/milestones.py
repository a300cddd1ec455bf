"""The ``incident_milestones`` summary: one row per incident, its milestones folded from all its events.

Why: every indicator view used to re-aggregate the event log (6.4 M rows at 1 M incidents) for its
candidates; reading one summary row per incident instead is what keeps the views under a second. The
row is written in the SAME transaction as every event (:func:`record_created` from ``store.insert``,
:func:`record_event` from ``store.apply``; bulk paths call :func:`created_rows` or :func:`rebuild`), so
it can never be behind the events it summarises, on any backend or process.

The fold rules are exactly those of the event aggregate (:func:`aggregate`, also used to backfill, to
rebuild, and to fold "as of" a moment before an incident's last event): first ``file`` (filed), first
``reject``/``merge`` (dropped), first ``dispatch``, first and last ``resolve``, the last ``resolve`` that
was at or before the deadline it carried (resolved_ontime), last ``verify_pass`` (closed), counts of
``return``/``reassign``/``verify_fail``, and state/department/deadline of the event with the highest seq.
``last_at`` is the latest event time: the row is exact "as of" any T >= last_at.

Times are UTC epoch microseconds (see :class:`incidents.records.MilestoneRow`).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import BigInteger, Integer, String, and_, case, cast, delete, extract, func, insert, literal, select, \
    type_coerce, update
from sqlalchemy.orm import Session

from incidents import asof, rollup
from incidents.events import Event
from incidents.model import Incident
from incidents.records import EventArchiveRow, EventRow, IncidentArchiveRow, IncidentRow, MilestoneRow

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: The milestone columns (epoch µs or NULL), in the order views use them.
TIMES = ("filed", "dropped", "dispatched", "resolved_first", "resolved", "resolved_ontime", "closed")
COUNTS = ("returns", "reassigns", "reworks")
#: Every column of a summary row, in table order.
COLUMNS = ("incident_id", "code", "category", "district", "grid", "reported", "state", "department", "deadline",
           *TIMES, *COUNTS, "last_at", "last_seq")
_T = MilestoneRow.__table__


def us(dt: datetime | None) -> int | None:
    """Aware datetime → UTC epoch microseconds (exact integer arithmetic, no float)."""
    if dt is None:
        return None
    delta = dt.astimezone(timezone.utc) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def epoch_us(col: Any, dialect: str) -> Any:
    """SQL: a stored UTC datetime column → epoch microseconds, exactly, on each backend.

    SQLite stores SQLAlchemy's ``YYYY-MM-DD HH:MM:SS.ffffff`` text (whole seconds by ``strftime('%s')``,
    the fraction read as digits, so no float rounding); PostgreSQL's ``EXTRACT(EPOCH …)`` is numeric (exact)."""
    if dialect == "sqlite":
        t = type_coerce(col, String)
        secs = cast(func.strftime("%s", func.substr(t, 1, 19)), BigInteger)
        frac = cast(func.substr(func.substr(t, 21).op("||")(literal("000000")), 1, 6), BigInteger)
        return secs * 1_000_000 + frac
    return cast(extract("epoch", col) * 1_000_000, BigInteger)


def aggregate(events: Any, incidents: Any, dialect: str, *, ids: Any = None, as_of: datetime | None = None) -> Any:
    """The fold of ``events`` per incident as a SELECT of :data:`COLUMNS` (times in epoch µs).

    ``events``/``incidents`` are the live or the archive tables (or aliases); ``ids`` an optional
    restriction (a list or a subquery of incident ids); ``as_of``: only events at or before it."""
    E, I = events, incidents
    at = E.at  # min/max on the stored values (text on SQLite sorts as time), converted once per incident
    conds = []
    if ids is not None:
        conds.append(E.incident_id.in_(ids))
    if as_of is not None:
        conds.append(E.at <= as_of)
    agg = (
        select(
            E.incident_id.label("iid"), func.max(E.seq).label("last_seq"), func.max(at).label("last_at"),
            func.min(case((E.action == "file", at))).label("filed"),
            func.min(case((E.action.in_(("reject", "merge")), at))).label("dropped"),
            func.min(case((E.action == "dispatch", at))).label("dispatched"),
            func.min(case((E.action == "resolve", at))).label("resolved_first"),
            func.max(case((E.action == "resolve", at))).label("resolved"),
            func.max(case((and_(E.action == "resolve", E.deadline.is_not(None), E.at <= E.deadline), at)))
            .label("resolved_ontime"),
            func.max(case((E.action == "verify_pass", at))).label("closed"),
            func.sum(case((E.action == "return", 1), else_=0)).label("returns"),
            func.sum(case((E.action == "reassign", 1), else_=0)).label("reassigns"),
            func.sum(case((E.action == "verify_fail", 1), else_=0)).label("reworks"),
        )
        .where(*conds)
        .group_by(E.incident_id)
        .subquery()
    )
    L = E.__table__.alias() if hasattr(E, "__table__") else E.alias()
    return (select(agg.c.iid.label("incident_id"), I.code, I.category, I.district, I.grid,
                   epoch_us(I.reported_at, dialect).label("reported"), L.c.to_state.label("state"),
                   L.c.department, epoch_us(L.c.deadline, dialect).label("deadline"),
                   *[epoch_us(agg.c[c], dialect).label(c) for c in TIMES],
                   *[cast(agg.c[c], Integer).label(c) for c in COUNTS],
                   epoch_us(agg.c.last_at, dialect).label("last_at"), agg.c.last_seq)
            .join(I, I.id == agg.c.iid)
            .join(L, and_(L.c.incident_id == agg.c.iid, L.c.seq == agg.c.last_seq)))


def sides(*, session: Session) -> list[tuple[Any, Any]]:
    """(events, incidents) tables to read: the live pair, plus the archive pair when anything was archived.
    Each side is queried on its own and the results concatenated — a UNION ALL subquery made the
    SQLite plans 3–4× slower (no index use through the union)."""
    out: list[tuple[Any, Any]] = [(EventRow, IncidentRow)]
    if session.scalar(select(IncidentArchiveRow.id).limit(1)) is not None:
        out.append((EventArchiveRow, IncidentArchiveRow))
    return out


def rebuild(*, session: Session, ids: Sequence[int] | None = None, chunk: int = 50_000) -> int:
    """(Re)write the summary rows of ``ids`` (default: every incident, live and archived) from their events,
    in the caller's transaction; returns the rows written. Set-based (INSERT … SELECT), in id ranges."""
    dialect = session.get_bind().dialect.name
    written = 0
    if ids is not None:
        ids = sorted(set(ids))
        for k in range(0, len(ids), 5000):
            part = ids[k:k + 5000]
            old = _rows(session, part)
            session.execute(delete(MilestoneRow).where(MilestoneRow.incident_id.in_(part)))
            for E, I in sides(session=session):
                written += session.execute(insert(_T).from_select(list(COLUMNS), aggregate(
                    E, I, dialect, ids=part))).rowcount or 0
            _rollup_moved(session, part, old)
        return written
    session.execute(delete(MilestoneRow))
    for E, I in sides(session=session):
        top = session.scalar(select(func.max(I.id))) or 0
        for lo in range(0, top + 1, chunk):
            rng = select(I.id).where(I.id > lo, I.id <= lo + chunk).scalar_subquery()
            written += session.execute(insert(_T).from_select(list(COLUMNS), aggregate(
                E, I, dialect, ids=rng))).rowcount or 0
    m = rollup.meta(session=session)
    if m is not None:  # the daily rollup, rebuilt whole with the zone and limit it was built with
        rollup.rebuild_all(session=session, tz=m[0], filing_limit_minutes=m[1])
    return written


def _rollup_moved(session: Session, ids: Sequence[int], old: list[dict[str, Any]]) -> None:
    """After rewriting the summary rows of ``ids``: their rollup contributions move from ``old`` to the new
    rows, and the callbacks not yet counted (seq after the old row's ``last_seq``) are added."""
    m = rollup.meta(session=session)
    if m is None:
        return
    deltas = rollup.row_deltas(old, session=session, sign=-1)
    now = _rows(session, ids)
    rollup.row_deltas(now, session=session, out=deltas)
    seen = {r["incident_id"]: r["last_seq"] for r in old}
    day = rollup.DayOf(m[0])
    for iid, seq, at, dist, cat, grid, dept, level, reached in rollup.callback_rows(ids, session=session):
        if seq > seen.get(iid, 0):
            rollup.callback_contribution(at, dist, cat, grid, dept, level, reached, day, deltas)
    rollup.apply(deltas, session=session)
    both = old + now
    if both:  # the snapshots of the months these incidents spanned (before or after) are redone by asof.build
        asof.invalidate(min(r["reported"] for r in both), max(r["last_at"] for r in both), session=session)


def created_row(incident: Incident, event: Event) -> dict[str, Any]:
    """The summary row of a just-created incident (its ``created`` event only)."""
    return {"incident_id": incident.id, "code": incident.code, "category": incident.category,
            "district": incident.district, "grid": incident.grid, "reported": us(incident.reported_at),
            "state": event.to_state, "department": event.department, "deadline": us(event.deadline),
            **{c: None for c in TIMES}, **{c: 0 for c in COUNTS}, "last_at": us(event.at), "last_seq": event.seq}


def record_created(incident: Incident, event: Event, *, session: Session) -> None:
    """Insert the summary row of a new incident (called by ``store.insert`` in its transaction)."""
    row = created_row(incident, event)
    session.execute(insert(_T).values(**row))
    deltas = rollup.row_deltas([row], session=session)
    rollup.apply(deltas, session=session)  # the daily rollup, same transaction
    asof.follow(deltas, row["last_at"], [], session=session)  # reported before a month start it follows


def created_rows(rows: Iterable[dict[str, Any]], *, session: Session) -> None:
    """Insert many summary rows (bulk import), one ``executemany``."""
    rows = list(rows)
    if rows:
        session.execute(insert(_T), rows)
        for at in sorted({r["last_at"] for r in rows}):  # one created event each (bulk: one moment)
            deltas = rollup.row_deltas([r for r in rows if r["last_at"] == at], session=session)
            rollup.apply(deltas, session=session)
            asof.follow(deltas, at, [], session=session)


def _earliest(col: Any, at: int) -> Any:
    return case((col.is_(None) | (col > at), at), else_=col)


def _latest(col: Any, at: int) -> Any:
    return case((col.is_(None) | (col < at), at), else_=col)


def record_event(event: Event, *, session: Session) -> None:
    """Fold one new event into its incident's summary row — one UPDATE (called by ``store.apply`` in the
    event's transaction, so the row commits or rolls back with the event) — and move the row's
    contributions in the daily rollup: one primary-key read of the row before, the row after computed here
    by the same rules, and an upsert of the changed days only when a milestone or the deadline moved."""
    M = MilestoneRow
    at = us(event.at)
    assert at is not None
    values: dict[str, Any] = {"state": event.to_state, "department": event.department,
                              "deadline": us(event.deadline), "last_seq": event.seq, "last_at": _latest(M.last_at, at)}
    a = event.action
    if a == "file":
        values["filed"] = _earliest(M.filed, at)
    elif a in ("reject", "merge"):
        values["dropped"] = _earliest(M.dropped, at)
    elif a == "dispatch":
        values["dispatched"] = _earliest(M.dispatched, at)
    elif a == "return":
        values["returns"] = M.returns + 1
    elif a == "reassign":
        values["reassigns"] = M.reassigns + 1
    elif a == "verify_fail":
        values["reworks"] = M.reworks + 1
    elif a == "resolve":
        values["resolved_first"] = _earliest(M.resolved_first, at)
        values["resolved"] = _latest(M.resolved, at)
        if event.deadline is not None and event.at <= event.deadline:
            values["resolved_ontime"] = _latest(M.resolved_ontime, at)
    elif a == "verify_pass":
        values["closed"] = _latest(M.closed, at)
    old = _rows(session, [event.incident_id])
    done = session.execute(update(M).where(M.incident_id == event.incident_id).values(**values))
    if done.rowcount != 1:  # an incident written before the summary existed and never backfilled: rebuild it
        rebuild(session=session, ids=[event.incident_id])
        return
    deltas = rollup.Deltas()
    new = _folded_in(old[0], event, at)
    if any(new[c] != old[0][c] for c in _ROLLUP_FIELDS):  # a note, an escalation step…: nothing moves
        rollup.row_deltas(old, session=session, sign=-1, out=deltas)
        rollup.row_deltas([new], session=session, out=deltas)
    m = rollup.meta(session=session)
    if a == "callback" and m is not None:
        p = event.payload or {}
        rollup.callback_contribution(at, new["district"], new["category"], new["grid"], event.department,
                                     p.get("satisfaction"), p.get("reached"), rollup.DayOf(m[0]), deltas)
    rollup.apply(deltas, session=session)
    asof.follow(deltas, at, old, session=session)  # the month-start snapshots, when it crosses one


#: The summary fields the rollup's contributions read (besides the incident's fixed ones); the department
#: keys the group rollup's department rows.
_ROLLUP_FIELDS = ("deadline", "department", *TIMES, *COUNTS)


def _folded_in(row: dict[str, Any], event: Event, at: int) -> dict[str, Any]:
    """The summary row after ``event``, computed as :func:`record_event`'s UPDATE computes it in SQL."""
    new = dict(row, deadline=us(event.deadline), department=event.department, state=event.to_state)

    def earliest(c: str) -> None:
        new[c] = at if new[c] is None or new[c] > at else new[c]

    def latest(c: str) -> None:
        new[c] = at if new[c] is None or new[c] < at else new[c]

    a = event.action
    if a == "file":
        earliest("filed")
    elif a in ("reject", "merge"):
        earliest("dropped")
    elif a == "dispatch":
        earliest("dispatched")
    elif a in ("return", "reassign", "verify_fail"):
        c = {"return": "returns", "reassign": "reassigns", "verify_fail": "reworks"}[a]
        new[c] += 1
    elif a == "resolve":
        earliest("resolved_first")
        latest("resolved")
        if event.deadline is not None and event.at <= event.deadline:
            latest("resolved_ontime")
    elif a == "verify_pass":
        latest("closed")
    return new


def _rows(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Stored summary rows of ``ids`` (all columns)."""
    return [dict(r) for r in session.execute(select(*[_T.c[c] for c in COLUMNS])
                                             .where(_T.c.incident_id.in_(list(ids)))).mappings()]


def read_all(*, session: Session, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Stored summary rows as dicts (tests compare them with :func:`aggregate`)."""
    q = select(*[_T.c[c] for c in COLUMNS]).order_by(_T.c.incident_id)
    if ids is not None:
        q = q.where(_T.c.incident_id.in_(list(ids)))
    return [dict(r._mapping) for r in session.execute(q)]


def folded(*, session: Session, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Every incident's row folded from its events now (live and archive), ordered by id."""
    dialect = session.get_bind().dialect.name
    out: list[dict[str, Any]] = []
    for E, I in sides(session=session):
        out += [dict(r._mapping) for r in session.execute(aggregate(E, I, dialect, as_of=as_of))]
    return sorted(out, key=lambda r: r["incident_id"])


__all__ = ["COLUMNS", "COUNTS", "TIMES", "aggregate", "created_row", "created_rows", "epoch_us", "folded", "read_all",
           "rebuild", "record_created", "record_event", "sides", "us"]
