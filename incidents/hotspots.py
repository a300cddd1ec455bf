"""Proactive discovery (主动发现): anomalous grid cells this week, and places where a category recurs.

Hotspot test (stated on the page): for each grid cell, k = incidents reported in the 7 days up to
``now``; λ = the cell's mean weekly count over the 8 weeks before that (floored at ``min_rate`` so a
cell with no history is not flagged on a single report). The cell is a hotspot when the Poisson upper
tail P(X ≥ k | λ) < ``alpha`` (0.01) and k ≥ ``min_count`` (3). With thousands of cells some flags are
expected by chance (about alpha × active cells); the p-value is shown so a leader can weigh each one.

Recurrence: N (default 3) incidents of one category within R metres (default 50) of one place within
T days (default 30). A place is a square of side R·√2 on one of four lattices shifted by half a side in
x and y: every point of a square lies within R of its centre, and any group of reports that fits in a
box of R/√2 (35 m for 50 m) falls whole into one square of one lattice, wherever it lies. Squares holding
at least N reports of one category are taken largest first; each report counts in one place only.

Why squares and not "neighbours of a seed": the seed rule needs every pair of reports within R, which in
a busy square is quadratic (a month of 10 M incidents: ~400 k reports, ~10⁸ pairs, 16 s); the squares
are a sort and a count (linear in reports), and the place they report is as tight or tighter.

Merged duplicates and rejected reports are not counted: they are reports, not problems.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, cast, func, select
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
    """A place: ``count`` reports of ``category`` around (lon, lat) between ``first`` and ``last``; ``codes``
    are all of them, or the latest few when the caller asked for examples (sorted either way)."""
    category: str
    codes: tuple[str, ...]
    lon: float
    lat: float
    first: datetime
    last: datetime
    radius_m: float
    days: int
    count: int

    def explain(self, lang: str = "zh") -> str:
        if lang == "en":
            return f"{self.count} incidents within {self.radius_m:.0f} m in {self.days} days"
        return f"{self.days} 天内 {self.radius_m:.0f} 米范围内 {self.count} 件"


def _metres(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local equirectangular metres: plenty accurate over a city for 50 m neighbourhoods."""
    lat0 = math.radians(float(np.mean(lat))) if len(lat) else 0.0
    return lon * 111_320.0 * math.cos(lat0), lat * 110_574.0


def clusters(lon: np.ndarray, lat: np.ndarray, radius_m: float, min_size: int,
             groups: np.ndarray | None = None, top: int | None = None) -> list[np.ndarray]:
    """Places (index arrays) of at least ``min_size`` points of one group (category) within ``radius_m``
    of a square's centre (the module's rule), largest first; each point in one place at most. ``top``: only
    the places that can be among the ``top`` largest (the greedy stops once no later square can beat the
    ``top``-th place found: a square never gives a place more than its own size)."""
    x, y = _metres(np.asarray(lon, float), np.asarray(lat, float))
    n = len(x)
    if n < min_size:
        return []
    g = np.zeros(n, np.int64) if groups is None else np.asarray(groups, np.int64)
    side = radius_m * math.sqrt(2.0)
    x0, y0 = float(x.min()), float(y.min())
    cells: list[tuple[int, int, np.ndarray]] = []  # (-size, order, members) of every square over the threshold
    for shift, (ox, oy) in enumerate(((0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.5, 0.5))):
        cx = np.floor((x - x0) / side + ox).astype(np.int64)
        cy = np.floor((y - y0) / side + oy).astype(np.int64)
        key = (g * (int(cx.max()) + 1) + cx) * (int(cy.max()) + 1) + cy  # one integer per (group, square)
        order = np.argsort(key, kind="stable")
        k = key[order]
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        sizes = np.diff(np.r_[starts, n])
        for a, size in zip(starts[sizes >= min_size].tolist(), sizes[sizes >= min_size].tolist()):
            cells.append((-size, len(cells), order[a:a + size]))
    cells.sort(key=lambda c: (c[0], c[1]))
    taken = np.zeros(n, bool)
    out: list[np.ndarray] = []
    best: list[int] = []  # minus the sizes of the places found, ascending (only with ``top``)
    for size, _i, members in cells:
        if top is not None and len(best) >= top and size > best[top - 1]:
            break  # every later square is smaller than the top-th place already found
        left = members[~taken[members]]
        if len(left) >= min_size:
            taken[left] = True
            out.append(np.sort(left))
            if top is not None:
                bisect.insort(best, -len(left))
    return out


def recurrences(now: datetime, *, session: Session, radius_m: float = 50.0, days: int = 30, min_size: int = 3,
                district: int | None = None, category: str | None = None, top: int | None = None,
                examples: int | None = None) -> list[Recurrence]:
    """Places where one category came back ``min_size`` times within ``radius_m`` in ``days`` days, largest
    first (``top``: the largest ``top`` only — what a page maps; the rest are never built; ``examples``: each
    place's codes are its latest ``examples`` reports only — what a page lists).

    Reads the window's reports as arrays of numbers (coordinates in 1e-7 degrees, ids) plus their category and
    report time (the window index holds both), then the codes of the members shown only: at 10 M incidents a
    month holds ~400 k reports, a Python object per cell was most of the cost, and the largest 200 places of
    a skewed history hold ~80 k of them."""
    from incidents.analytics import fetch_columns  # (analytics imports this module's functions lazily)

    I = IncidentRow
    q = (select(I.id, cast(func.round(I.lon * 1e7), BigInteger).label("lon"),
                cast(func.round(I.lat * 1e7), BigInteger).label("lat"), I.category, I.reported_at)
         .where(I.reported_at >= now - timedelta(days=days), I.reported_at <= now, I.state.not_in(NOT_PROBLEMS)))
    if district is not None:
        q = q.where(I.district == district)
    if category:
        q = q.where(I.category.startswith(category, autoescape=True))
    c = fetch_columns(q, ("id", "lon", "lat"), ("category", "reported_at"), session=session)
    lon, lat = c["lon"] / 1e7, c["lat"] / 1e7
    cat_codes, cats = pd.factorize(c["category"])
    places = clusters(lon, lat, radius_m, min_size, cat_codes, top)
    places.sort(key=len, reverse=True)  # stable: the greedy's order among equal sizes
    if top is not None and len(places) > top:  # (ties at the cut kept until the final order)
        places = [p for p in places if len(p) >= len(places[top - 1])]
    if not places:
        return []
    ids, at = c["id"].astype(np.int64), c["reported_at"]  # (as stored: text on SQLite, sorting as time)
    shown = [p if examples is None else  # the latest reports, the newer id first at equal times
             np.array(sorted(p.tolist(), key=lambda i: (at[i], ids[i]), reverse=True)[:examples]) for p in places]
    code_of = _codes(session, np.concatenate(shown), ids)
    out = []
    for p, show in zip(places, shown):
        span = at[p].tolist()
        out.append(Recurrence(str(cats[cat_codes[p[0]]]), tuple(sorted(code_of[i] for i in ids[show].tolist())),
                              float(lon[p].mean()), float(lat[p].mean()), _utc(min(span)), _utc(max(span)),
                              radius_m, days, len(p)))
    out.sort(key=lambda r: (-r.count, r.category, r.codes[0]))
    return out[:top] if top is not None else out


def _codes(session: Session, members: np.ndarray, ids: np.ndarray) -> dict[int, str]:
    """id → code of the window rows at positions ``members``, read by id (5,000 bound ids per query)."""
    from incidents.analytics import fetch_columns

    want = ids[members].tolist()
    I = IncidentRow
    out: dict[int, str] = {}
    for k in range(0, len(want), 5000):
        g = fetch_columns(select(I.id, I.code).where(I.id.in_(want[k:k + 5000])), ("id",), ("code",), session=session)
        out.update(zip(g["id"].astype(np.int64).tolist(), g["code"].tolist()))
    return out


def _utc(stored: Any) -> datetime:
    """A stored report time (SQLite's text, or the driver's datetime) as an aware UTC datetime."""
    at = stored if isinstance(stored, datetime) else datetime.fromisoformat(stored)
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


__all__ = ["Hotspot", "Recurrence", "clusters", "hotspots", "poisson_sf", "recurrences"]
