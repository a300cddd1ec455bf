"""Raw reports for benchmarks: water-cover reports (routed to SWJ) on a 200 × 200 lattice 60 m apart
around the core, so none is a likely duplicate (50 m) of another."""
from __future__ import annotations

import math
from typing import Any

CELL = "220302001001001"


def report(grid: Any, k: int) -> dict[str, Any]:
    c = grid.cell(CELL)
    east, north = 60.0 * (k % 200 - 100), 60.0 * (k // 200 % 200 - 100)
    lat = c.lat + north / 111_320.0
    lon = c.lon + east / (111_320.0 * math.cos(math.radians(c.lat)))
    return {"category": "10101", "severity": "normal", "description": f"benchmark {k}", "lon": lon, "lat": lat,
            "address": "benchmark", "reporter_phone": "13800138000"}
