"""Hotspots, recurrence and breach risk on planted patterns (hand-written incidents and events)."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from analytics_log import write_incident
from incidents.analytics import Analytics, Filters
from incidents.hotspots import clusters, poisson_sf

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
HOT, CALM = "220302001001001", "220303002001001"


def plant(services: Any, code: str, at: datetime, *, grid: str = HOT, category: str = "10101",
          lon: float = 124.30123, lat: float = 43.1991) -> None:
    write_incident(services, code, [(at, "created", "reported", {})], grid=grid, district=int(grid[:6]),
                   category=category, lon=lon, lat=lat)


def test_poisson_tail_matches_known_values() -> None:
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - 0.1353352832, abs=1e-9)
    assert poisson_sf(8, 1.0) == pytest.approx(1.0249e-5, rel=1e-3)


def test_a_cell_far_above_its_own_history_is_a_hotspot_and_a_busy_usual_cell_is_not(services: Any) -> None:
    n = 0
    for week in range(1, 9):  # the 8 weeks before this one: HOT 1 a week, CALM 4 a week
        base = NOW - timedelta(days=7 * week + 2)
        plant(services, f"H{n}", base); n += 1
        for k in range(4):
            plant(services, f"C{n}", base + timedelta(hours=k), grid=CALM); n += 1
    for k in range(8):  # this week: HOT 8 (vs 1 expected), CALM 5 (vs 4 expected)
        plant(services, f"H{n}", NOW - timedelta(days=1, hours=k)); n += 1
    for k in range(5):
        plant(services, f"C{n}", NOW - timedelta(days=2, hours=k), grid=CALM); n += 1
    found = Analytics(services.db, services.settings.tz).hotspots(NOW)
    assert [h.grid for h in found] == [HOT]
    assert found[0].explain("en").startswith("8 vs 1.0 expected")
    assert Analytics(services.db, services.settings.tz).hotspots(NOW, Filters(district=220303)) == []


def test_one_category_coming_back_at_one_place_is_a_recurrence(db_services: Any) -> None:
    services = db_services
    lon, lat = 124.30123, 43.1991
    for k in range(4):  # 4 water covers within ~20 m over 10 days
        plant(services, f"R{k}", NOW - timedelta(days=2 * k + 1), lon=lon + 0.0001 * (k % 2), lat=lat + 0.0001 * (k // 2))
    for k in range(2):  # only 2 at another place
        plant(services, f"S{k}", NOW - timedelta(days=k + 1), lon=lon + 0.01, lat=lat)
    for k in range(3):  # 3 of another category, 500 m apart
        plant(services, f"T{k}", NOW - timedelta(days=k + 1), category="10102", lon=lon + 0.006 * k, lat=lat)
    plant(services, "OLD", NOW - timedelta(days=45), lon=lon, lat=lat)  # outside the 30 days
    found = Analytics(services.db, services.settings.tz).recurrences(NOW)
    assert Analytics(services.db, services.settings.tz).recurrences(NOW, top=1) == found
    assert len(found) == 1
    assert sorted(found[0].codes) == ["R0", "R1", "R2", "R3"] and found[0].category == "10101"
    assert "4" in found[0].explain("en")
    assert found[0].count == 4 and found[0].last - found[0].first == timedelta(days=6)
    (shown,) = Analytics(services.db, services.settings.tz).recurrences(NOW, examples=2)  # what the page lists
    assert shown.codes == ("R0", "R1") and shown.count == 4  # the latest two, the place whole
    assert (shown.first, shown.last, shown.lon, shown.lat) == (found[0].first, found[0].last, found[0].lon, found[0].lat)


def test_places_are_taken_largest_first_one_category_each() -> None:
    m = 1 / 111_320 / math.cos(math.radians(43.0))  # one metre of longitude at 43° N
    lon = [124.0 + k * 3 * m for k in range(5)]  # 5 within 12 m
    lon += [124.003 + k * 3 * m for k in range(3)]  # 3 within 6 m, ~250 m east
    lon += [124.0 + m, 124.0 + 2 * m, 124.0 + 4 * m]  # 3 on the first spot, another category
    lon += [124.006, 124.009]  # alone
    cats = [0] * 8 + [1] * 3 + [0] * 2
    groups = clusters(lon, [43.0] * len(lon), radius_m=50, min_size=3, groups=cats)
    assert [g.tolist() for g in groups] == [[0, 1, 2, 3, 4], [5, 6, 7], [8, 9, 10]]


def test_any_tight_group_is_found_whole_and_every_place_lies_within_the_radius_of_its_square() -> None:
    """Wherever a group of reports falls against the lattices, a group inside a box of R/√2 is one place;
    and no place is wider than its square (side R·√2: every member within R of the centre)."""
    rng = np.random.default_rng(5)
    radius = 50.0
    box = radius / math.sqrt(2)
    x0, y0 = 124.3, 43.2
    mx, my = 1 / (111_320 * math.cos(math.radians(y0))), 1 / 110_574
    for trial in range(200):
        size = int(rng.integers(3, 9))
        cx, cy = rng.uniform(0, 5000, 2)  # anywhere against the lattices
        px = cx + rng.uniform(0, box * 0.999, size)
        py = cy + rng.uniform(0, box * 0.999, size)
        noise_x, noise_y = rng.uniform(0, 5000, 40), rng.uniform(0, 5000, 40)
        far = np.hypot(noise_x - cx, noise_y - cy) > 4 * radius  # other reports, not sharing the group's squares
        x, y = np.r_[px, noise_x[far]], np.r_[py, noise_y[far]]
        places = clusters(x0 + x * mx, y0 + y * my, radius, 3)
        assert any(set(range(size)) <= set(p.tolist()) for p in places), trial
        for p in places:
            assert np.ptp(x[p]) <= radius * math.sqrt(2) + 0.01 and np.ptp(y[p]) <= radius * math.sqrt(2) + 0.01
            assert np.hypot(x[p] - x[p].min() - np.ptp(x[p]) / 2, y[p] - y[p].min() - np.ptp(y[p]) / 2).max() <= radius + 0.01


def test_the_largest_places_alone_are_those_of_the_whole_run() -> None:
    """``top``: the greedy stops early, yet the largest places (ties at the cut included) are those every
    place's run finds, member for member — on dense random reports of three categories."""
    rng = np.random.default_rng(11)
    m = 1 / 111_320 / math.cos(math.radians(43.0))
    n = 6000
    spots = rng.uniform(0, 3000, (40, 2))
    pick = rng.zipf(1.5, n) % 40  # some spots far busier than others
    x = spots[pick, 0] + rng.normal(0, 30, n)
    y = spots[pick, 1] + rng.normal(0, 30, n)
    cats = rng.integers(0, 3, n)
    tight = rng.uniform(5000, 9000, (60, 2))  # and 60 places of exactly 4 and 5 (ties at any cut there)
    per = np.r_[np.full(30, 4), np.full(30, 5)]
    x = np.r_[x, np.repeat(tight[:, 0], per) + rng.uniform(0, 10, per.sum())]
    y = np.r_[y, np.repeat(tight[:, 1], per) + rng.uniform(0, 10, per.sum())]
    cats = np.r_[cats, np.zeros(per.sum(), np.int64)]
    full = clusters(124.0 + x * m, 43.0 + y / 110_574, 50, 3, cats)
    assert len(full) > 60
    sizes = sorted((len(p) for p in full), reverse=True)
    for top in (1, 5, 30, sizes.index(5) + 3, sizes.index(4) + 3):
        some = clusters(124.0 + x * m, 43.0 + y / 110_574, 50, 3, cats, top)
        assert len(some) < len(full)
        cut = sizes[top - 1]
        assert sorted(p.tolist() for p in some if len(p) >= cut) == sorted(p.tolist() for p in full if len(p) >= cut)


def test_breach_risk_is_the_empirical_tail_of_the_time_share_used(services: Any) -> None:
    """100 resolved SWJ water covers: 80 used 1%…80% of their time, 20 finished at 120% (late)."""
    limit = timedelta(hours=10)
    for k in range(100):
        share = (k + 1) / 100 if k < 80 else 1.2
        start = NOW - timedelta(days=20, hours=k)
        write_incident(services, f"P{k}", [
            (start - timedelta(minutes=5), "created", "reported", {}),
            (start, "dispatch", "dispatched", {"department": "SWJ", "deadline": start + limit}),
            (start + limit * share, "resolve", "resolved", {})])
    fresh, half, late = NOW - timedelta(hours=1), NOW - timedelta(hours=5), NOW - timedelta(hours=11)
    for code, start in (("NEW", NOW - timedelta(seconds=1)), ("HALF", half), ("LATE", late), ("ONE", fresh)):
        write_incident(services, code, [(start - timedelta(minutes=5), "created", "reported", {}),
                                        (start, "dispatch", "dispatched", {"department": "SWJ",
                                                                            "deadline": start + limit})])
    risk = Analytics(services.db, services.settings.tz).breach_risk(NOW)
    assert risk["NEW"] == pytest.approx(0.2, abs=0.01)  # 20 of 100 were late
    assert risk["HALF"] == pytest.approx(20 / 50)  # past 50 %: 30 on-time and 20 late remain
    assert risk["LATE"] == 1.0  # already past the deadline
    assert set(risk) == {"NEW", "HALF", "LATE", "ONE"}
