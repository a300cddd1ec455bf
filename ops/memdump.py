"""Heap snapshots of a serving process on demand, for finding what grows during a soak.

With ``CITYOPS_TRACEMALLOC=1`` the serve command installs a SIGUSR1 handler: the first signal starts
:mod:`tracemalloc` (25 frames), and every signal writes a snapshot to ``$CITYOPS_TRACEMALLOC_DIR``
(default: the temp folder) as ``cityops-<pid>-<n>.tracemalloc``; compare two with :func:`top_growth`.
Tracing starts at the first signal, not at start-up, because tracing the imports made start-up miss a
90 s readiness deadline, and because what a warmed-up process allocates afterwards and keeps is exactly
the growth being looked for. Off by default: tracing costs a live process a good part of its speed.
"""
from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("cityops.ops")


def install_from_env(env: Any = os.environ) -> bool:
    """Start tracing and the SIGUSR1 handler when ``CITYOPS_TRACEMALLOC=1`` (main thread only)."""
    if env.get("CITYOPS_TRACEMALLOC") != "1":
        return False
    import tracemalloc

    folder = Path(env.get("CITYOPS_TRACEMALLOC_DIR") or tempfile.gettempdir())
    count = [0]

    def dump() -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start(25)
        count[0] += 1
        path = folder / f"cityops-{os.getpid()}-{count[0]}.tracemalloc"
        tracemalloc.take_snapshot().dump(str(path))
        log.info("tracemalloc snapshot written to %s", path)

    # The signal handler only starts a thread: a snapshot takes seconds and must not run inside the
    # interrupted frame (it may hold locks the snapshot needs).
    signal.signal(signal.SIGUSR1, lambda *_: threading.Thread(target=dump, daemon=True).start())
    return True


def top_growth(before: str | Path, after: str | Path, limit: int = 15, key: str = "traceback") -> list[str]:
    """The allocation sites that grew most between two snapshot files, one line each (with the
    innermost frames of our own code when ``key`` is ``traceback``)."""
    import tracemalloc

    filters = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")]
    a = tracemalloc.Snapshot.load(str(before)).filter_traces(filters)
    b = tracemalloc.Snapshot.load(str(after)).filter_traces(filters)
    out = []
    for stat in b.compare_to(a, key)[:limit]:
        frames = [f"{Path(f.filename).name}:{f.lineno}" for f in stat.traceback]
        out.append(f"{stat.size_diff / 1024:+9.0f} KiB {stat.count_diff:+8d} blocks  " + " < ".join(frames[-6:][::-1]))
    return out


__all__ = ["install_from_env", "top_growth"]
