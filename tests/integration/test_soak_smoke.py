"""CI runs the soak for 60 s (``benchmarks/soak.py --smoke``: two app processes, Redis, 20 wall
sockets, 50 API creates/s) and checks only errors and missed pushes; memory growth is for the long run."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.redis


def test_soak_smoke_has_no_errors_and_no_missed_pushes(redis_url):
    run = subprocess.run([sys.executable, "benchmarks/soak.py", "--smoke", "--redis-url", redis_url], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "errors: 0" in run.stdout and "missed pushes: 0 of" in run.stdout, run.stdout
