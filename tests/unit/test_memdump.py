"""ops/memdump.py: heap snapshots on SIGUSR1 behind CITYOPS_TRACEMALLOC=1, and their comparison."""
from __future__ import annotations

import signal
import tracemalloc

from ops.memdump import install_from_env, top_growth


def test_off_unless_asked() -> None:
    before = signal.getsignal(signal.SIGUSR1)
    assert install_from_env({}) is False
    assert signal.getsignal(signal.SIGUSR1) is before


def test_top_growth_names_the_site_that_grew(tmp_path) -> None:
    was_tracing = tracemalloc.is_tracing()
    tracemalloc.start(5)
    try:
        tracemalloc.take_snapshot().dump(str(tmp_path / "a"))
        kept = [bytearray(10_000) for _ in range(50)]  # ~500 KB allocated on this line
        tracemalloc.take_snapshot().dump(str(tmp_path / "b"))
    finally:
        if not was_tracing:
            tracemalloc.stop()
    lines = top_growth(tmp_path / "a", tmp_path / "b", limit=3)
    assert kept and any("test_memdump.py" in line for line in lines[:1]), lines
