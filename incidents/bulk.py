"""Bulk creation of many incidents in one transaction (CSV import): Core ``executemany``, not one ORM
add per row, yet every row is built by the same domain functions as a single create.

Incidents come from :func:`store.row_values` and their first events from :func:`changes.created_event`,
so a bulk-made incident is indistinguishable from one made by ``UnitOfWork.create`` and replays the same.
Codes are reserved with one counter bump for the whole batch; ids are reserved like the demo history
does (the sequence on PostgreSQL; after the max under SQLite's write lock).
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.orm import Session

from incidents import asof, milestones, rollup
from incidents.changes import created_event
from incidents.intake import Draft
from incidents.model import Actor, Incident, State
from incidents.records import CodeCounterRow, EventRow, IncidentRow, MilestoneRow
from incidents.store import row_values

_CHUNK = 5000


def reserve_codes(n: int, now: datetime, tz: ZoneInfo, *, session: Session) -> list[str]:
    """``n`` consecutive codes of the local day of ``now``, by one atomic upsert of the counter."""
    if n == 0:
        return []
    day = now.astimezone(tz).strftime("%Y%m%d")
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    last = session.execute(
        upsert(CodeCounterRow).values(day=day, last=n)
        .on_conflict_do_update(index_elements=[CodeCounterRow.day], set_={"last": CodeCounterRow.last + n})
        .returning(CodeCounterRow.last)
    ).scalar_one()
    if last > 99999:
        raise OverflowError(f"more than 99,999 incidents on {day}")
    return [f"{day}{k:05d}" for k in range(last - n + 1, last + 1)]


def _codes_by_report_day(drafts: Sequence[Draft], tz: ZoneInfo, *, session: Session) -> list[str]:
    """Codes on each incident's own report day (an import of past months must not take today's
    numbers, nor overflow one day's 99,999): one counter bump per day present in the batch."""
    days: dict[str, list[int]] = {}
    for k, d in enumerate(drafts):
        days.setdefault(d.reported_at.astimezone(tz).strftime("%Y%m%d"), []).append(k)
    codes = [""] * len(drafts)
    for positions in days.values():
        first = drafts[positions[0]].reported_at
        for k, code in zip(positions, reserve_codes(len(positions), first, tz, session=session)):
            codes[k] = code
    return codes


def reserve_ids(n: int, *, session: Session) -> list[int]:
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.execute(text(
            "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, :n)"
        ), {"n": n}).scalars())
    base = session.scalar(select(func.max(IncidentRow.id))) or 0
    return list(range(base + 1, base + n + 1))


def bulk_create(
    drafts: Sequence[Draft], actor: Actor, now: datetime, tz: ZoneInfo, *, session: Session,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Store every draft as a ``reported`` incident with its ``created`` event; returns the codes.

    Rows are still built by the domain (``row_values``, ``created_event``); what is skipped is
    SQLAlchemy's per-row parameter machinery: each column's bind processor (UTC datetimes, JSON) is
    looked up once and the tuples go to the DBAPI cursor's ``executemany`` on the session's own
    connection, inside the caller's transaction — the profile showed that machinery costing three times
    the driver's own insert time.
    """
    codes = _codes_by_report_day(drafts, tz, session=session)
    ids = reserve_ids(len(drafts), session=session)
    conn = session.connection()
    inc_writer = _RawInsert(IncidentRow.__table__, conn)
    ev_writer = _RawInsert(EventRow.__table__, conn, skip=("id",))
    ms_writer = _RawInsert(MilestoneRow.__table__, conn)  # the summary, in the same transaction
    for start in range(0, len(drafts), _CHUNK):
        incidents: list[dict] = []
        events: list[dict] = []
        summary: list[dict] = []
        for d, code, iid in zip(drafts[start:start + _CHUNK], codes[start:], ids[start:]):
            inc = Incident(
                id=iid, code=code, state=State.REPORTED, category=d.category, severity=d.severity,
                description=d.description, lon=d.lon, lat=d.lat, grid=d.grid, district=d.district,
                channel=d.channel, reported_at=d.reported_at, address=d.address,
                reporter_phone=d.reporter_phone, extra=d.extra, updated_at=now,
            )
            row = row_values(inc)
            row["id"] = iid
            incidents.append(row)
            e = created_event(inc, actor, now)
            events.append(dict(incident_id=iid, seq=e.seq, at=e.at, actor=e.actor, action=e.action,
                               from_state=e.from_state, to_state=e.to_state, department=e.department,
                               assignee=e.assignee, deadline=e.deadline, version=e.version, payload=e.payload))
            summary.append(milestones.created_row(inc, e))
        inc_writer.executemany(incidents)
        ev_writer.executemany(events)
        ms_writer.executemany(summary)
        deltas = rollup.row_deltas(summary, session=session)
        rollup.apply(deltas, session=session)  # and the daily rollup
        asof.follow(deltas, milestones.us(now), [], session=session)  # reported before a month start: its snapshot
        if progress:
            progress(min(start + _CHUNK, len(drafts)))
    return codes


class _RawInsert:
    """``INSERT INTO table`` through the DBAPI cursor of ``conn`` (so inside its transaction), with each
    column's SQLAlchemy bind processor applied exactly as a Core insert would apply it."""

    def __init__(self, table: Table, conn: Connection, skip: Sequence[str] = ()) -> None:
        dialect = conn.dialect
        self.columns = [c for c in table.columns if c.name not in skip]
        self.processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in self.columns]
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in self.columns)
        self.sql = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) " \
                   f"VALUES ({', '.join([mark] * len(self.columns))})"
        self.conn = conn

    def executemany(self, rows: Sequence[dict]) -> None:
        if not rows:
            return
        keyed = [(c.name, p) for c, p in zip(self.columns, self.processors)]
        plain = [name for name, p in keyed if p is None]
        if len(plain) == len(keyed):
            params = [tuple(r[name] for name in plain) for r in rows]
        else:
            params = [tuple(r[name] if p is None else p(r[name]) for name, p in keyed) for r in rows]
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, params)
        finally:
            cursor.close()
