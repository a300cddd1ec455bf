"""The upkeep of the month-start snapshots (incidents/asof.py): build, in the background, the ones the views
still fold.

Why: the writes keep every snapshot from ``asof_since`` on, but two kinds are left to a build from the event
log — a month a rebuild or an out-of-order event made ``dirty``, and the older months the migration did not
build (it builds the latest 13; a big history on a slow disk would keep the upgrade waiting). Until built,
the monthly report of such a month is exact but folded: seconds at 10 M instead of a fraction. One month per
pass, dirty ones first, then the never built newest first; a pass holds the write lock while it folds that
month's late incidents (a few seconds at 10 M), so passes are spaced (``CITYOPS_ASOF_UPKEEP_S``) rather than
run back to back. Under a lease, so one process builds at a time.
"""
from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta
from typing import Any

from incidents import asof
from incidents.leases import run_leased

LEASE_NAME = "analytics-snapshots"
log = logging.getLogger("cityops.asof")


def month_name(dn: int) -> str:
    """A month start's local day number as ``YYYY-MM-DD``."""
    return (date(1970, 1, 1) + timedelta(days=dn)).isoformat()


def upkeep_pass(db: Any, batch: int | None = 1) -> dict[int, int]:
    """Build the first ``batch`` (None: all) of :func:`asof.pending`; returns {month: late incidents}."""
    with db.write.begin() as s:
        todo = asof.pending(session=s)
        todo = todo if batch is None else todo[:batch]
        return asof.build(todo, session=s) if todo else {}


def run_upkeep(services: Any, stop: threading.Event, every_s: float) -> None:
    """The background loop: one :func:`upkeep_pass` every ``every_s`` seconds under the lease."""

    def work(now: datetime) -> None:
        for dn, n in upkeep_pass(services.db).items():
            log.info("analytics snapshot of %s built (%d incidents with later events)", month_name(dn), n)

    run_leased(services.db, LEASE_NAME, stop, services.clock, work, every_s)


__all__ = ["LEASE_NAME", "month_name", "run_upkeep", "upkeep_pass"]
