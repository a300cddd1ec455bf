"""The upkeep of the month-start snapshots (incidents/asof.py): build, in the background, the ones the views
still fold.

Why: the writes keep every snapshot from ``asof_since`` on, but two kinds are left to a build from the event
log — a month a rebuild or an out-of-order event made ``dirty``, and the older months the migration did not
build (it builds the latest 13; a big history on a slow disk would keep the upgrade waiting). Until built,
the monthly report of such a month is exact but folded: seconds at 10 M instead of a fraction. One month per
pass, dirty ones first, then the never built newest first; a pass holds the write lock while it folds that
month's late incidents, so passes are spaced (``CITYOPS_ASOF_UPKEEP_S``) rather than run back to back, and a
month with more than ``CITYOPS_ASOF_UPKEEP_MAX_LATE`` of them is left to the CLI. Under a lease, so one
process builds at a time.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from incidents import asof
from incidents.leases import run_leased

LEASE_NAME = "analytics-snapshots"
log = logging.getLogger("cityops.asof")


def month_name(dn: int) -> str:
    """A month start's local day number as ``YYYY-MM-DD``."""
    return asof.day_date(dn).isoformat()


def upkeep_pass(db: Any, batch: int | None = 1, max_late: int | None = None,
                left: set[int] | None = None) -> dict[int, int]:
    """Build the first ``batch`` (None: all) of :func:`asof.pending` — of those with at most ``max_late``
    incidents to fold, when given (counted before the write lock is taken, and only until the batch is
    full); returns {month: late incidents}. ``left`` collects the months found too big and spares them a
    count in later passes: a month's count only grows (events come after it, never before).

    Why the bound: a build holds the write lock while it folds; on SQLite a writer waits at most its busy
    timeout (30 s) and then fails, so the background pass never takes on a month whose fold could last that
    long (a recent month of a 10 M history on a cold disk); such a month waits for the CLI, run in a quiet hour."""
    left = set() if left is None else left
    todo: list[int] = []
    with db.read() as s:
        for dn in asof.pending(session=s):
            if batch is not None and len(todo) >= batch:
                break
            if dn in left:
                continue
            if max_late is not None and asof.late_count(dn, session=s, limit=max_late) > max_late:
                left.add(dn)
                continue
            todo.append(dn)
    if not todo:
        return {}
    with db.write.begin() as s:  # (built again even if another process did meanwhile: the same rows)
        return asof.build(todo, session=s)


def run_upkeep(services: Any, stop: threading.Event, every_s: float) -> None:
    """The background loop: one :func:`upkeep_pass` every ``every_s`` seconds under the lease, bounded by
    ``CITYOPS_ASOF_UPKEEP_MAX_LATE``; a month left for the CLI is logged once."""
    max_late = services.settings.asof_upkeep_max_late
    left: set[int] = set()

    def work(now: datetime) -> None:
        told = set(left)
        for dn, n in upkeep_pass(services.db, max_late=max_late, left=left).items():
            log.info("analytics snapshot of %s built (%d incidents with later events)", month_name(dn), n)
        for dn in sorted(left - told):
            log.warning("analytics snapshot of %s left to `python app.py analytics-snapshots` (more than %d "
                        "incidents to fold under the write lock)", month_name(dn), max_late)

    run_leased(services.db, LEASE_NAME, stop, services.clock, work, every_s)


__all__ = ["LEASE_NAME", "month_name", "run_upkeep", "upkeep_pass"]
