"""The ``analytics_daily`` rollup (incidents/rollup.py): trends summed from it equal the fold of the candidates'
summary rows and of their events — on a seeded walk through the real services (SQLite and PostgreSQL), on a
hand-built log with an "as of" in the past and after later events, and after a whole rebuild."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from incidents import analytics, milestones, rollup
from incidents.analytics import Filters
from incidents.records import RollupRow
from tests.integration.test_milestones_summary import walk


def _diff(fast: list[dict[str, Any]], slow: list[dict[str, Any]]) -> list[tuple[int, str, Any, Any]]:
    """(period, key, fast, slow) of every difference (hours to the 4 places the views round to, ±1 unit:
    the rollup sums integer µs, the fold sums float hours)."""
    assert len(fast) == len(slow)
    out = []
    for k, (a, b) in enumerate(zip(fast, slow)):
        assert a.keys() == b.keys()
        for key in a:
            x, y = a[key], b[key]
            if isinstance(x, float) and isinstance(y, float) and key.endswith("hours") and abs(x - y) <= 1.5e-4:
                continue
            if x != y:
                out.append((k, key, x, y))
    return out


def _stored(session: Any) -> dict[tuple, list[int]]:
    rows = session.execute(select(RollupRow)).scalars().all()
    out = {}
    for r in rows:
        v = [getattr(r, c) for c in rollup.COLUMNS]
        if any(v):
            out[(r.day, r.day2, r.district, r.large)] = v
    return out


def test_the_maintained_rollup_equals_a_rebuild_and_its_trends_equal_the_fold(db_services: Any) -> None:
    services = db_services
    moments = walk(services)
    tz = services.settings.tz
    with services.db.read() as s:
        maintained = _stored(s)
    with services.db.write.begin() as s:
        m = rollup.meta(session=s)
        assert m is not None and m[0].key == tz.key
        rollup.rebuild_all(session=s, tz=m[0], filing_limit_minutes=m[1])
    with services.db.read() as s:
        assert _stored(s) == maintained  # every write path (unit, group commit, bulk, archive) kept it exact
    start, end = moments[20], moments[-1] + timedelta(days=1)
    with services.db.read() as s:
        for as_of in (moments[60], moments[150], moments[-30], moments[-1], moments[-1] + timedelta(days=3)):
            for freq in ("day", "week", "month"):
                for filters in (Filters(), Filters(district=220302), Filters(category="101")):
                    fast = analytics.trend(start, end, freq, as_of, filters, tz, session=s)
                    fold = analytics.trend(start, end, freq, as_of, filters, tz, session=s, source="fold")
                    events = analytics.trend(start, end, freq, as_of, filters, tz, session=s, source="events")
                    assert analytics.rollup_trend(analytics._edges(start, end, freq, tz), as_of, filters,
                                                  session=s, defs=analytics.load()) is not None
                    assert _diff(fast, fold) == [], (as_of, freq, filters)
                    assert _diff(fast, events) == [], (as_of, freq, filters)
    # an archive move keeps summary rows (and so the rollup); a rebuild reads archived callbacks too
    from incidents.archive import move_finished

    assert move_finished(services.db, moments[-1] + timedelta(days=400), batch=7) > 5
    with services.db.write.begin() as s:
        rollup.rebuild_all(session=s, tz=tz, filing_limit_minutes=analytics.load().filing_limit_minutes)
    with services.db.read() as s:
        assert _stored(s) == maintained
        for freq in ("day", "month"):
            assert _diff(analytics.trend(start, end, freq, moments[-1], Filters(), tz, session=s),
                         analytics.trend(start, end, freq, moments[-1], Filters(), tz, session=s, source="events")) == []


# -------------------------------------------------------------------------------------------------
# A hand-built log around a month's end (local days in Asia/Shanghai), then later events
# -------------------------------------------------------------------------------------------------

def u(month: int, day: int, hour: float = 0.0) -> datetime:
    """A UTC moment in 2026 (local = UTC+8, so hour 20 is already the next local day)."""
    return datetime(2026, month, day, tzinfo=timezone.utc) + timedelta(hours=hour)


OTHER = {"district": 220303, "grid": "220303002001001", "category": "20101"}


def dl(at: datetime, **extra: Any) -> dict[str, Any]:
    return {"deadline": at, "department": "SWJ", **extra}


def _hand_log(services: Any) -> None:
    from analytics_log import write_incident

    w = write_incident
    # resolved before its deadline, the two in different months (a pair row that never shares a month)
    w(services, "P", [(u(2, 26, 2), "created", "reported", {}), (u(2, 26, 2.5), "file", "accepted", {}),
                      (u(2, 26, 3), "dispatch", "dispatched", dl(u(3, 2, 3))), (u(2, 26, 4), "acknowledge", "in_progress", {}),
                      (u(2, 27, 1), "resolve", "resolved", {}), (u(2, 27, 5), "verify_pass", "closed", {})])
    # resolved and closed after its deadline's day, same month, different weeks
    w(services, "Q", [(u(2, 20, 1), "created", "reported", {}), (u(2, 20, 3), "file", "accepted", {}),
                      (u(2, 20, 4), "dispatch", "dispatched", dl(u(2, 21, 4))),
                      (u(2, 20, 5), "acknowledge", "in_progress", {}), (u(2, 23, 1), "resolve", "resolved", {}),
                      (u(2, 24, 1), "verify_pass", "closed", {}),
                      (u(2, 24, 3), "callback", "closed", {"payload": {"reached": True, "satisfaction": "satisfied"}}),
                      (u(2, 24, 4), "callback", "closed", {"payload": {"reached": False}})], **OTHER)
    # reworked: on time first, late the second time; a callback
    w(services, "R", [(u(2, 27, 1), "created", "reported", {}), (u(2, 27, 1.2), "file", "accepted", {}),
                      (u(2, 27, 1.5), "dispatch", "dispatched", dl(u(2, 28, 20))),
                      (u(2, 27, 2), "acknowledge", "in_progress", {}), (u(2, 27, 10), "resolve", "resolved", {}),
                      (u(2, 28, 1), "verify_fail", "in_progress", {}), (u(3, 1, 1), "resolve", "resolved", {}),
                      (u(3, 1, 6), "verify_pass", "closed", {}),
                      (u(3, 2, 1), "callback", "closed", {"payload": {"reached": True, "satisfaction": "dissatisfied"}})])
    # returned and dispatched again, never resolved: overdue across periods
    w(services, "S", [(u(2, 10, 1), "created", "reported", {}), (u(2, 10, 2), "file", "accepted", {}),
                      (u(2, 10, 3), "dispatch", "dispatched", dl(u(2, 11, 3))), (u(2, 10, 4), "return", "accepted", {}),
                      (u(2, 10, 5), "dispatch", "dispatched", dl(u(2, 12, 5))),
                      (u(2, 10, 6), "acknowledge", "in_progress", {})])
    # rejected before filing
    w(services, "T", [(u(2, 25, 1), "created", "reported", {}), (u(2, 25, 2), "reject", "rejected", {})], **OTHER)
    # same-day deadline and resolve; reassigned (not dispatched right)
    w(services, "V", [(u(3, 3, 0), "created", "reported", {}), (u(3, 3, 0.5), "file", "accepted", {}),
                      (u(3, 3, 1), "dispatch", "dispatched", dl(u(3, 3, 9))), (u(3, 3, 1.5), "reassign", "dispatched", {}),
                      (u(3, 3, 2), "acknowledge", "in_progress", {}), (u(3, 3, 6), "resolve", "resolved", {})], **OTHER)
    # open, deadline ahead
    w(services, "W", [(u(3, 4, 0), "created", "reported", {}), (u(3, 4, 0.5), "file", "accepted", {}),
                      (u(3, 4, 1), "dispatch", "dispatched", dl(u(3, 6, 1)))])


def _later(services: Any) -> None:
    """Work after the past "as of": S resolved at last, R reopened and closed again, W extended and resolved,
    a callback on P, a new incident."""
    from analytics_log import add_events, write_incident

    add_events(services, "S", [(u(3, 5, 1), "resolve", "resolved", {}), (u(3, 5, 2), "verify_pass", "closed", {})])
    add_events(services, "R", [(u(3, 5, 3), "reopen", "accepted", {}),
                               (u(3, 5, 4), "dispatch", "dispatched", dl(u(3, 6, 4))),
                               (u(3, 5, 5), "acknowledge", "in_progress", {}), (u(3, 5, 6), "resolve", "resolved", {}),
                               (u(3, 5, 7), "verify_pass", "closed", {})])
    add_events(services, "W", [(u(3, 5, 8), "extension_approve", "dispatched", dl(u(3, 8, 1))),
                               (u(3, 5, 9), "acknowledge", "in_progress", {}), (u(3, 5, 10), "resolve", "resolved", {})])
    add_events(services, "P", [(u(3, 5, 11), "callback", "closed",
                                {"payload": {"reached": True, "satisfaction": "basically_satisfied"}})])
    write_incident(services, "X", [(u(3, 5, 12), "created", "reported", {}), (u(3, 5, 13), "file", "accepted", {})])


FILTERS = (Filters(), Filters(district=220303), Filters(category="101"), Filters(category="2"))


def _all_trends(services: Any, as_of: datetime) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Every trend from the rollup, each checked against the fold of the summary and of the events."""
    tz = services.settings.tz
    start, end = u(2, 1), u(3, 7)
    out = {}
    with services.db.read() as s:
        for freq in ("day", "week", "month"):
            assert analytics.rollup_trend(analytics._edges(start, end, freq, tz), as_of, Filters(), session=s,
                                          defs=analytics.load()) is not None  # the fast path answers
            for k, filters in enumerate(FILTERS):
                fast = analytics.trend(start, end, freq, as_of, filters, tz, session=s)
                for source in ("fold", "events"):
                    slow = analytics.trend(start, end, freq, as_of, filters, tz, session=s, source=source)
                    assert _diff(fast, slow) == [], (as_of, freq, filters, source)
                out[(freq, k)] = fast
    return out


def test_hand_built_trends_from_the_rollup_equal_the_fold_before_and_after_later_events(services: Any) -> None:
    _hand_log(services)
    past, now = u(3, 2, 12), u(3, 5)
    before = {as_of: _all_trends(services, as_of) for as_of in (u(2, 27, 3), past, now)}
    month = before[now][("month", 0)]
    assert [r["to_file"] for r in month] == [4, 2]  # P Q R S (T rejected) | V W
    assert sum(r["callbacks"] for r in month) == 2 and month[0]["overdue_open"] == 1  # S
    _later(services)
    for as_of in (u(2, 27, 3), past, now):  # the past as it stood then, whatever was recorded since
        assert _all_trends(services, as_of) == before[as_of]
    after = _all_trends(services, u(3, 6, 12))  # and the later work counted from then on
    assert after[("month", 0)][1]["callbacks"] == 2 and after[("month", 0)][1]["to_file"] == 3


def test_filters_the_rollup_cannot_answer_fall_back_to_the_fold(services: Any) -> None:
    _hand_log(services)
    tz = services.settings.tz
    edges = analytics._edges(u(2, 1), u(3, 7), "week", tz)
    with services.db.read() as s:
        for filters in (Filters(department="SWJ"), Filters(grid="220303002001001"), Filters(category="10101")):
            assert analytics.rollup_trend(edges, u(3, 5), filters, session=s, defs=analytics.load()) is None
            assert (analytics.trend(u(2, 1), u(3, 7), "week", u(3, 5), filters, tz, session=s)
                    == analytics.trend(u(2, 1), u(3, 7), "week", u(3, 5), filters, tz, session=s, source="fold"))
        from zoneinfo import ZoneInfo

        paris = analytics._edges(u(2, 1), u(3, 7), "week", ZoneInfo("Europe/Paris"))
        assert analytics.rollup_trend(paris, u(3, 5), Filters(), session=s,
                                      defs=analytics.load()) is None  # periods of another zone than it was built in
        for by in (None, "district"):  # an indicator table is one period: from the rollup when by is None
            assert _diff(analytics.indicator_table(u(2, 1, -8), u(3, 1, -8), u(3, 5), Filters(), session=s, by=by),
                         analytics.indicator_table(u(2, 1, -8), u(3, 1, -8), u(3, 5), Filters(), session=s, by=by,
                                                   source="events")) == []
        assert analytics.rollup_trend([u(2, 1, -8), u(3, 1, -8)], u(3, 5), Filters(), session=s,
                                      defs=analytics.load()) is not None
        assert analytics.rollup_trend([u(2, 1, -7), u(3, 1, -8)], u(3, 5), Filters(), session=s,
                                      defs=analytics.load()) is None  # not a local midnight


def benchmark_module(name: str) -> Any:
    """benchmarks/analytics.py loaded as a module (it is a script, not a package member)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "analytics.py"
    spec = importlib.util.spec_from_file_location(name, path)
    bench = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(bench)
    return bench


def rebuild(services: Any) -> None:
    """Rewrite the rollups from the summary rows, in the zone and limit they were built with."""
    with services.db.write.begin() as s:
        m = rollup.meta(session=s)
        rollup.rebuild_all(session=s, tz=m[0], filing_limit_minutes=m[1])


def test_trends_on_the_benchmarks_generated_history_equal_the_fold(services: Any) -> None:
    """The benchmark's vectorised generator fills the rollup itself: a year of months and a month of days from
    it equal the fold, and the rollup equals a rebuild from the generated summary rows and callbacks."""
    bench = benchmark_module("bench_analytics_rollup")
    bench.generate(services, 3000, seed=11)
    tz = services.settings.tz
    with services.db.read() as s:
        generated = _stored(s)
    rebuild(services)
    with services.db.read() as s:
        assert _stored(s) == generated
    now = bench.NOW
    month_end = datetime(2026, 3, 1, tzinfo=tz).astimezone(timezone.utc)
    with services.db.read() as s:
        for start, freq, as_of in ((datetime(2025, 3, 1, tzinfo=tz), "month", now),
                                   (datetime(2026, 2, 1, tzinfo=tz), "day", now),
                                   (datetime(2025, 3, 1, tzinfo=tz), "week", now - timedelta(days=20))):
            for filters in (Filters(), Filters(district=220302)):
                fast = analytics.trend(start.astimezone(timezone.utc), month_end, freq, as_of, filters, tz, session=s)
                fold = analytics.trend(start.astimezone(timezone.utc), month_end, freq, as_of, filters, tz, session=s,
                                       source="fold")
                assert len(fast) > 3 and _diff(fast, fold) == [], (freq, as_of, filters)
