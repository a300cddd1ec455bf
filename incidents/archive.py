"""Archive: finished incidents older than a date, with their whole event trail, to a gzip JSON-lines
file — one incident per line, readable with ``zcat`` or :func:`read_archive` and replayable with
``incidents.changes.replay`` (the events carry everything).

The export copies; it does not delete. Indicators "as of" any moment are computed from the event table,
so removing rows would change history; a purge is a separate, deliberate step not offered here.
"""
from __future__ import annotations

import gzip
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incidents.model import FINAL_STATES
from incidents.records import EventRow, IncidentRow

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


__all__ = ["FORMAT", "archivable", "export_archive", "read_archive"]
