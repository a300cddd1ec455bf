"""Named lease rows: exactly one process at a time runs a background job (the simulator, the sweep).

Moved here from ``data/demo.py`` so the escalation scheduler (``dispatch/scheduler.py``) uses the same
implementation. A lease is a row ``(name, holder, expires_at)``; holders renew it well before it expires,
and a crashed holder's lease simply runs out.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from incidents.records import LeaseRow

LEASE_TTL = timedelta(seconds=30)
log = logging.getLogger("cityops.leases")


def lease_holder() -> str:
    """hostname:pid:random — unique per run, readable in the table."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def acquire_lease(db: Any, name: str, holder: str, now: datetime, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the lease ``name`` until ``now + ttl``; ``False`` while another holder's is live.

    One conditional UPDATE (expired, or already mine) does it atomically on every backend; when the row
    does not exist yet, an INSERT inside a savepoint — a concurrent insert loses on the primary key.
    """
    until = now + ttl
    with db.write.begin() as s:
        taken = s.execute(
            update(LeaseRow).where(LeaseRow.name == name, or_(LeaseRow.expires_at < now, LeaseRow.holder == holder))
            .values(holder=holder, expires_at=until).execution_options(synchronize_session=False)
        ).rowcount
        if taken == 1:
            return True
        if s.scalar(select(LeaseRow.name).where(LeaseRow.name == name)) is not None:
            return False
        try:
            with s.begin_nested():
                s.execute(insert(LeaseRow.__table__).values(name=name, holder=holder, expires_at=until))
        except IntegrityError:
            return False
        return True


def release_lease(db: Any, name: str, holder: str) -> None:
    """Give the lease up (on a clean stop) so another process may take it at once."""
    with db.write.begin() as s:
        s.execute(update(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder)
                  .values(expires_at=datetime(2000, 1, 1, tzinfo=timezone.utc))
                  .execution_options(synchronize_session=False))


__all__ = ["LEASE_TTL", "acquire_lease", "lease_holder", "release_lease"]


def run_leased(
    db: Any, name: str, stop: threading.Event, clock: Callable[[], datetime],
    work: Callable[[datetime], float | None], every_s: float,
) -> None:
    """The loop every background job shares: take or renew the lease ``name``, run ``work(now)`` while
    holding it, wait (``work``'s answer in seconds, else ``every_s``), stop promptly when ``stop`` is set,
    and give the lease back on the way out. One bad pass is logged, never the end of the loop."""
    holder = lease_holder()
    holding = False
    while not stop.is_set():
        wait = every_s
        try:
            now = clock()
            got = acquire_lease(db, name, holder, now)
            if got != holding:
                log.info("%s: %s %s the lease", name, holder, "holds" if got else "lost")
                holding = got
            if got:
                wait = work(now) or every_s
        except Exception:  # noqa: BLE001 - the job must outlive one bad pass
            log.exception("%s pass failed; continuing", name)
        stop.wait(wait)
    if holding:
        try:
            release_lease(db, name, holder)
        except Exception:  # noqa: BLE001
            log.exception("%s: could not release the lease", name)
