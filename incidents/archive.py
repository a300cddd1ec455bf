"""Archive: finished incidents older than a cut-off, with their whole event trail.

Two ways, both here:

* :func:`move_finished` MOVES them, in batches (each batch one transaction: insert into
  ``incidents_archive``/``events_archive``, delete from the live tables), so the live tables stay small.
  Payloads move unchanged, so the attachments' references (photo URLs in ``resolve`` payloads) stay.
  Nothing is lost for history: the reads that need it go through :mod:`incidents.history` (live ∪
  archive), so search, exports and every indicator "as of" give the same answers after a move.
  Rows that only serve running work are dropped with the incident (idempotency keys, alarm links,
  escalation schedule and claims, delivered outbox messages); an incident with an outbox message still
  pending or dead waits for a later run. Optionally each moved batch is also written to a gzip file.
* :func:`export_archive` COPIES them to a gzip JSON-lines file — one incident per line, readable with
  ``zcat`` or :func:`read_archive` and replayable with ``incidents.changes.replay``.
"""
from __future__ import annotations

import gzip
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from incidents.model import FINAL_STATES
from incidents.records import (AlarmLinkRow, EscalationClaimRow, EscalationScheduleRow, EventArchiveRow, EventRow,
                               IdempotencyKeyRow, IncidentArchiveRow, IncidentRow, OutboxRow)

FORMAT = "cityops-archive/1"
_CHUNK = 500


def _value(v: Any) -> Any:
    return v.isoformat() if isinstance(v, datetime) else v


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: _value(getattr(obj, c.key)) for c in obj.__table__.columns}


def archivable(before: datetime) -> Any:
    """Finished (closed, rejected, merged) incidents whose last change is older than ``before``."""
    finished_at = func.coalesce(IncidentRow.closed_at, IncidentRow.updated_at, IncidentRow.reported_at)
    return IncidentRow.state.in_([s.value for s in FINAL_STATES]) & (finished_at < before)


def export_archive(path: Path, before: datetime, *, session: Session) -> int:
    """Write the archive to ``path`` (atomically: a temporary file renamed at the end); returns the count.
    The first line is a header naming the format and the cut-off."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    count = 0
    after = 0
    with gzip.open(tmp, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"format": FORMAT, "before": before.isoformat()}) + "\n")
        while True:
            chunk = session.scalars(select(IncidentRow).where(archivable(before), IncidentRow.id > after)
                                    .order_by(IncidentRow.id).limit(_CHUNK)).all()
            if not chunk:
                break
            ids = [r.id for r in chunk]
            events: dict[int, list[dict[str, Any]]] = {}
            for e in session.scalars(select(EventRow).where(EventRow.incident_id.in_(ids))
                                     .order_by(EventRow.incident_id, EventRow.seq)):
                events.setdefault(e.incident_id, []).append(_row(e))
            for r in chunk:
                out.write(json.dumps({"incident": _row(r), "events": events.get(r.id, [])}, ensure_ascii=False)
                          + "\n")
                count += 1
            after = ids[-1]
    os.replace(tmp, path)
    return count


def read_archive(path: Path) -> Iterator[dict[str, Any]]:
    """The archived incidents (``{"incident": …, "events": […]}``), header checked and skipped."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = json.loads(f.readline())
        if header.get("format") != FORMAT:
            raise ValueError(f"{path} is not a {FORMAT} file")
        for line in f:
            if line.strip():
                yield json.loads(line)


def movable_ids(before: datetime, limit: int, *, session: Session) -> list[int]:
    """The next batch of archivable incident ids, oldest id first, row-locked on PostgreSQL.

    Left out: incidents with an outbox message still pending or dead (their delivery is not settled),
    the live table's newest incident and the owner of its newest event — SQLite gives a new row
    ``max(id) + 1``, so moving the newest row would let a new incident (or event) reuse an archived id,
    and ids must stay unique across live ∪ archive."""
    top_incident = session.scalar(select(func.max(IncidentRow.id))) or 0
    top_event = session.scalar(select(func.max(EventRow.id)))
    unsettled = select(OutboxRow.incident_id).where(OutboxRow.status.in_(("pending", "dead")))
    q = (select(IncidentRow.id)
         .where(archivable(before), IncidentRow.id < top_incident, IncidentRow.id.not_in(unsettled))
         .order_by(IncidentRow.id).limit(limit).with_for_update())
    if top_event is not None:
        q = q.where(IncidentRow.id != select(EventRow.incident_id).where(EventRow.id == top_event).scalar_subquery())
    return list(session.scalars(q))


def _items(ids: list[int], *, session: Session) -> list[dict[str, Any]]:
    events: dict[int, list[dict[str, Any]]] = {}
    for e in session.scalars(select(EventRow).where(EventRow.incident_id.in_(ids))
                             .order_by(EventRow.incident_id, EventRow.seq)):
        events.setdefault(e.incident_id, []).append(_row(e))
    rows = session.scalars(select(IncidentRow).where(IncidentRow.id.in_(ids)).order_by(IncidentRow.id))
    return [{"incident": _row(r), "events": events.get(r.id, [])} for r in rows]


def move_batch(ids: list[int], *, session: Session, keep: bool = False) -> list[dict[str, Any]]:
    """Move incidents ``ids`` and their events to the archive tables (set-based INSERT … SELECT, then
    DELETE), in the caller's transaction. Returns the moved items when ``keep`` (for the gzip export)."""
    if not ids:
        return []
    items = _items(ids, session=session) if keep else []
    inc, ev = IncidentRow.__table__, EventRow.__table__
    inc_cols, ev_cols = [c.key for c in inc.columns], [c.key for c in ev.columns]
    session.execute(insert(IncidentArchiveRow.__table__)
                    .from_select(inc_cols, select(*inc.columns).where(inc.c.id.in_(ids))))
    session.execute(insert(EventArchiveRow.__table__)
                    .from_select(ev_cols, select(*ev.columns).where(ev.c.incident_id.in_(ids))))
    for table in (EventRow, IdempotencyKeyRow, AlarmLinkRow, EscalationClaimRow, EscalationScheduleRow, OutboxRow):
        session.execute(delete(table).where(table.incident_id.in_(ids)))
    session.execute(delete(IncidentRow).where(IncidentRow.id.in_(ids)))
    return items


def move_finished(db: Any, before: datetime, *, batch: int = 1000, export: Path | None = None) -> int:
    """Move every archivable incident finished before ``before``, ``batch`` per transaction; returns the
    count. With ``export``, the moved incidents are also written to a gzip JSON-lines file (the format of
    :func:`export_archive`), each batch after its commit, so the file never holds an incident still live."""
    moved = 0
    out = None
    tmp = None
    if export is not None:
        export = Path(export)
        tmp = export.with_name(export.name + ".part")
        out = gzip.open(tmp, "wt", encoding="utf-8")
        out.write(json.dumps({"format": FORMAT, "before": before.isoformat()}) + "\n")
    try:
        while True:
            with db.write.begin() as s:
                ids = movable_ids(before, batch, session=s)
                items = move_batch(ids, session=s, keep=out is not None)
            if not ids:
                break
            moved += len(ids)
            if out is not None:
                for item in items:
                    out.write(json.dumps(item, ensure_ascii=False) + "\n")
    finally:
        if out is not None:
            out.close()
    if export is not None and tmp is not None:
        os.replace(tmp, export)
    return moved


__all__ = ["FORMAT", "archivable", "export_archive", "move_batch", "move_finished", "movable_ids", "read_archive"]
