"""Group commit: concurrent writes queued to one writer thread and committed together.

Why: on SQLite every write transaction takes the database's single write lock, and a commit costs a WAL
append plus lock hand-over between threads (with ``busy_timeout`` sleeps when they collide). Request
threads instead hand their write — a function of a :class:`UnitOfWork` — to one writer, which runs all
queued writes in ONE transaction, each inside its own SAVEPOINT (so one refused write rolls back alone),
commits once, and only then answers each request: an acknowledged write is in a committed transaction,
exactly as durable as one written alone. Reads a write makes (idempotency keys, duplicates, the code
counter) run inside that same transaction, so they see the writes queued before them, in order.

On PostgreSQL the same code runs unchanged (SAVEPOINTs are native); a unique violation from another
process inside one write rolls back only that write's savepoint.
"""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Callable, TypeVar

from incidents.service import IncidentService, UnitOfWork

T = TypeVar("T")
log = logging.getLogger(__name__)

_Job = tuple[datetime, Callable[[UnitOfWork], Any], "Future[Any]"]


class GroupCommitter:
    """One writer thread for ``incidents``' database; :meth:`run` blocks until the commit holding the work."""

    def __init__(self, incidents: IncidentService, max_batch: int = 200) -> None:
        self.incidents = incidents
        self.max_batch = max(1, max_batch)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        #: transactions committed and writes in them (the benchmark reports the mean group size)
        self.commits = 0
        self.writes = 0

    def run(self, now: datetime, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in the next group transaction; return its value (or raise its error) after commit."""
        future: Future[T] = Future()
        self._ensure_thread()
        self._queue.put((now, work, future))
        return future.result()

    def close(self) -> None:
        """Stop the writer after the writes already queued."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Job]) -> None:
        results: list[tuple[Future[Any], Any, BaseException | None]] = []
        messages: list[dict[str, Any]] = []
        try:
            with self.incidents.db.write.begin() as session:
                for now, work, future in batch:
                    uow = UnitOfWork(session, now, self.incidents.tz, hooks=self.incidents.hooks)
                    try:
                        with session.begin_nested():
                            value = work(uow)
                    except Exception as exc:  # this write alone is rolled back to its savepoint
                        results.append((future, None, exc))
                        continue
                    results.append((future, value, None))
                    messages.extend(uow.messages)
        except Exception as exc:  # the commit (or BEGIN) failed: no write of the batch is durable
            log.warning("group commit of %d writes failed: %s", len(batch), exc)
            for _, _, future in batch:
                future.set_exception(exc)
            return
        self.commits += 1
        self.writes += len(batch)
        if messages:
            try:
                self.incidents.publish(messages)
            except Exception:  # a push failure must not turn committed writes into errors
                log.exception("publishing a group commit's events failed")
        for future, value, error in results:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
