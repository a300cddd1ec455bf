"""Proactive discovery (主动发现): anomalous grid cells this week, and places where a category recurs.

Hotspot test (stated on the page): for each grid cell, k = incidents reported in the 7 days up to
``now``; λ = the cell's mean weekly count over the 8 weeks before that (floored at ``min_rate`` so a
cell with no history is not flagged on a single report). The cell is a hotspot when the Poisson upper
tail P(X ≥ k | λ) < ``alpha`` (0.01) and k ≥ ``min_count`` (3). With thousands of cells some flags are
expected by chance (about alpha × active cells); the p-value is shown so a leader can weigh each one.

Recurrence: N (default 3) incidents of one category within R metres (default 50) of one another within
T days (default 30). Points are clustered greedily: the incident with the most same-category
neighbours within R seeds a cluster of itself and those neighbours, which are then removed.

Merged duplicates and rejected reports are not counted: they are reports, not problems.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incidents.records import IncidentRow

NOT_PROBLEMS = ("merged", "rejected")
HISTORY_WEEKS = 8


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(λ), summed in log space (no scipy needed, exact for the small k here)."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)
    cdf = term
    for i in range(1, k):
        term *= lam / i
        cdf += term
    return max(0.0, 1.0 - cdf)


@dataclass(frozen=True)
class Hotspot:
    grid: str
    district: int
    count: int
    expected: float
    p_value: float

    def explain(self, lang: str = "zh") -> str:
        if lang == "en":
            return f"{self.count} vs {self.expected:.1f} expected (p = {self.p_value:.2g})"
        return f"本周 {self.count} 件，预期 {self.expected:.1f} 件（p = {self.p_value:.2g}）"


def hotspots(now: datetime, *, session: Session, district: int | None = None, category: str | None = None,
             alpha: float = 0.01, min_count: int = 3, min_rate: float = 0.25) -> list[Hotspot]:
    """Grid cells whose count in the last 7 days is anomalous against their own trailing 8 weeks."""
    I = IncidentRow
    w0 = now - timedelta(days=7)
    h0 = w0 - timedelta(weeks=HISTORY_WEEKS)
    q = (select(I.grid, func.min(I.district), func.count().filter(I.reported_at >= w0),
                func.count().filter(I.reported_at < w0))
         .where(I.reported_at >= h0, I.reported_at < now, I.state.not_in(NOT_PROBLEMS))
         .group_by(I.grid))
    if district is not None:
        q = q.where(I.district == district)
    if category:
        q = q.where(I.category.startswith(category, autoescape=True))
    out = []
    for grid, dist, k, hist in session.execute(q):
        if k < min_count:
            continue
        lam = max(hist / HISTORY_WEEKS, min_rate)
        p = poisson_sf(int(k), lam)
        if p < alpha:
            out.append(Hotspot(grid, int(dist), int(k), round(hist / HISTORY_WEEKS, 2), p))
    out.sort(key=lambda h: (h.p_value, -h.count))
    return out


@dataclass(frozen=True)
class Recurrence:
    category: str
    codes: tuple[str, ...]
    lon: float
    lat: float
    first: datetime
    last: datetime
    radius_m: float
    days: int

    @property
    def count(self) -> int:
        return len(self.codes)

    def explain(self, lang: str = "zh") -> str:
        if lang == "en":
            return f"{self.count} incidents within {self.radius_m:.0f} m in {self.days} days"
        return f"{self.days} 天内 {self.radius_m:.0f} 米范围内 {self.count} 件"


def _metres(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local equirectangular metres: plenty accurate over a city for 50 m neighbourhoods."""
    lat0 = math.radians(float(np.mean(lat))) if len(lat) else 0.0
    return lon * 111_320.0 * math.cos(lat0), lat * 110_574.0


def clusters(lon: np.ndarray, lat: np.ndarray, radius_m: float, min_size: int) -> list[np.ndarray]:
    """Greedy clusters (index arrays) of at least ``min_size`` points within ``radius_m`` of a seed."""
    x, y = _metres(np.asarray(lon, float), np.asarray(lat, float))
    n = len(x)
    if n < min_size:
        return []
    cell = np.floor(x / radius_m).astype(np.int64), np.floor(y / radius_m).astype(np.int64)
    buckets: dict[tuple[int, int], list[int]] = {}
    for i, key in enumerate(zip(cell[0].tolist(), cell[1].tolist())):
        buckets.setdefault(key, []).append(i)
    neigh: list[np.ndarray] = []
    for i in range(n):
        cx, cy = int(cell[0][i]), int(cell[1][i])
        cand = [j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in buckets.get((cx + dx, cy + dy), ())]
        c = np.asarray(cand)
        neigh.append(c[(x[c] - x[i]) ** 2 + (y[c] - y[i]) ** 2 <= radius_m ** 2])
    taken = np.zeros(n, bool)
    out = []
    for i in sorted(range(n), key=lambda i: -len(neigh[i])):
        if taken[i]:
            continue
        members = neigh[i][~taken[neigh[i]]]
        if len(members) >= min_size:
            taken[members] = True
            out.append(members)
    return out


def recurrences(now: datetime, *, session: Session, radius_m: float = 50.0, days: int = 30, min_size: int = 3,
                district: int | None = None, category: str | None = None) -> list[Recurrence]:
    """Places where one category came back ``min_size`` times within ``radius_m`` in ``days`` days."""
    I = IncidentRow
    q = (select(I.category, I.code, I.lon, I.lat, I.reported_at)
         .where(I.reported_at >= now - timedelta(days=days), I.reported_at <= now, I.state.not_in(NOT_PROBLEMS))
         .order_by(I.category))
    if district is not None:
        q = q.where(I.district == district)
    if category:
        q = q.where(I.category.startswith(category, autoescape=True))
    by: dict[str, list[Any]] = {}
    for row in session.execute(q):
        by.setdefault(row[0], []).append(row)
    out = []
    for cat, rows in by.items():
        lon = np.array([r[2] for r in rows])
        lat = np.array([r[3] for r in rows])
        for members in clusters(lon, lat, radius_m, min_size):
            pick = [rows[int(j)] for j in members]
            out.append(Recurrence(cat, tuple(r[1] for r in pick), float(lon[members].mean()),
                                  float(lat[members].mean()), min(r[4] for r in pick), max(r[4] for r in pick),
                                  radius_m, days))
    out.sort(key=lambda r: (-r.count, r.category))
    return out


__all__ = ["Hotspot", "Recurrence", "clusters", "hotspots", "poisson_sf", "recurrences"]
