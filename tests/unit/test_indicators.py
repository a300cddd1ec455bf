"""Each standard indicator on a hand-built event log with a known answer, and "as of" stability."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from analytics_log import add_events, write_incident
from incidents import analytics
from incidents.analytics import Analytics, Filters
from incidents.indicators import load


def d(day: int, hour: float = 0.0) -> datetime:
    """Day ``day`` of the test week (0 = Monday 2 March 2026), ``hour`` UTC."""
    return datetime(2026, 3, 2, tzinfo=timezone.utc) + timedelta(days=day, hours=hour)


START, END, AS_OF = d(0), d(7), d(7)
OTHER = {"district": 220303, "grid": "220303002001001"}


def dl(at: datetime, **extra: Any) -> dict[str, Any]:
    return {"deadline": at, "department": "SWJ", **extra}


@pytest.fixture
def week(services: Any) -> Analytics:
    """Seven incidents A–G whose indicators for [d0, d7) are worked out by hand in the tests."""
    w = lambda *a: write_incident(services, *a[:2], **(a[2] if len(a) > 2 else {}))  # noqa: E731
    w("A", [(d(0, 8), "created", "reported", {}), (d(0, 8.5), "file", "accepted", {}),
            (d(0, 9), "dispatch", "dispatched", dl(d(1, 9))), (d(0, 10), "acknowledge", "in_progress", {}),
            (d(0, 20), "resolve", "resolved", {}), (d(1, 8), "verify_pass", "closed", {}),
            (d(2, 8), "callback", "closed", {"payload": {"reached": True, "satisfaction": "satisfied"}})])
    w("B", [(d(1, 8), "created", "reported", {}), (d(1, 10), "file", "accepted", {}),
            (d(1, 10 + 1 / 6), "dispatch", "dispatched", dl(d(2, 10))), (d(1, 11), "return", "accepted", {}),
            (d(1, 12), "dispatch", "dispatched", dl(d(3, 12))), (d(1, 13), "acknowledge", "in_progress", {}),
            (d(4, 12), "resolve", "resolved", {}), (d(4, 14), "verify_fail", "in_progress", {}),
            (d(4, 16), "resolve", "resolved", {}), (d(5, 8), "verify_pass", "closed", {}),
            (d(5, 10), "callback", "closed", {"payload": {"reached": True, "satisfaction": "dissatisfied"}})])
    w("C", [(d(2, 8), "created", "reported", {}), (d(2, 8 + 1 / 6), "file", "accepted", {}),
            (d(2, 8 + 2 / 6), "dispatch", "dispatched", dl(d(3, 8 + 2 / 6))),
            (d(2, 9), "acknowledge", "in_progress", {})])
    w("D", [(d(3, 8), "created", "reported", {}), (d(3, 9), "reject", "rejected", {})], OTHER)
    w("E", [(d(6, 8), "created", "reported", {}), (d(6, 8 + 1 / 12), "file", "accepted", {}),
            (d(6, 8 + 2 / 12), "dispatch", "dispatched", dl(d(8, 8)))], OTHER)
    w("F", [(d(-2, 8), "created", "reported", {}), (d(-2, 8.1), "file", "accepted", {}),
            (d(-2, 9), "dispatch", "dispatched", dl(d(-1, 8))), (d(-2, 10), "acknowledge", "in_progress", {}),
            (d(-1, 10), "resolve", "resolved", {}), (d(0, 9), "verify_pass", "closed", {})], OTHER)
    w("G", [(d(4, 8), "created", "reported", {}), (d(4, 8 + 1 / 6), "file", "accepted", {}),
            (d(4, 8 + 2 / 6), "dispatch", "dispatched", dl(d(5, 8))), (d(4, 9), "acknowledge", "in_progress", {})],
      OTHER)
    return Analytics(services.db, services.settings.tz)


EXPECTED = {
    "ontime_filing": (4, 5, 0.8), "accurate_dispatch": (4, 5, 0.8), "resolve_rate": (2, 4, 0.5),
    "ontime_resolve": (1, 4, 0.25), "close_rate": (3, 5, 0.6), "ontime_close": (1, 5, 0.2),
    "rework_rate": (1, 3, 0.3333), "satisfaction": (1, 2, 0.5),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_rate_indicator_matches_the_hand_count(week: Analytics, key: str) -> None:
    row = week.table(START, END, AS_OF)[0]
    ind = load().indicators[key]
    num, den, value = EXPECTED[key]
    assert (row[ind.numerator], row[ind.denominator], row[key]) == (num, den, value)


def test_mean_times_and_overdue_count_match_the_hand_count(week: Analytics) -> None:
    row = week.table(START, END, AS_OF)[0]
    assert row["avg_filing_hours"] == pytest.approx((0.5 + 2 + 1 / 6 + 1 / 12 + 1 / 6) / 5, abs=0.01)
    assert row["avg_handling_hours"] == pytest.approx((11 + 73 + 50 / 60) / 2, abs=0.01)
    assert row["overdue_open"] == 2  # C and G: in progress past their deadlines; E's runs to d8


def test_grouping_by_district_splits_the_counts(week: Analytics) -> None:
    rows = {r["district"]: r for r in week.table(START, END, AS_OF, by="district")}
    assert rows["220302"]["to_file"] == 3 and rows["220303"]["to_file"] == 2
    assert rows["220302"]["callbacks"] == 2 and rows["220303"]["callbacks"] == 0
    assert week.table(START, END, AS_OF, Filters(district=220303))[0]["closed"] == 1  # F


def test_later_events_do_not_change_a_past_period(services: Any, week: Analytics) -> None:
    before = week.table(START, END, AS_OF)
    add_events(services, "G", [(d(9), "resolve", "resolved", {}), (d(9, 2), "verify_pass", "closed", {})])
    add_events(services, "E", [(d(7, 1), "return", "accepted", {})])
    write_incident(services, "H", [(d(7, 5), "created", "reported", {}), (d(7, 6), "file", "accepted", {})])
    assert week.table(START, END, AS_OF) == before
    after = week.table(START, END, d(10))[0]
    # as of d10: E's return (after the period) now counts against its dispatch; at the period's end G was
    # still overdue, so the period-end count stays 2
    assert (after["dispatched_right"], after["overdue_open"]) == (3, 2)
    assert isinstance(after["overdue_open"], int)


def test_an_earlier_as_of_sees_only_the_events_before_it(week: Analytics) -> None:
    row = week.table(START, END, d(1, 9))[0]  # Tuesday 09:00: A closed, B filed late, nothing else yet
    assert (row["to_file"], row["filed_ontime"], row["closed"], row["callbacks"]) == (2, 1, 2, 0)


def test_drill_down_lists_exactly_the_counted_incidents(week: Analytics) -> None:
    codes = {r["code"] for r in week.drill(START, END, AS_OF, measure="to_close")}
    assert codes == {"A", "B", "C", "F", "G"}
    assert {r["code"] for r in week.drill(START, END, AS_OF, measure="satisfied")} == {"A"}
    assert [e["action"] for e in week.timeline("D")] == ["created", "reject"]


def test_daily_trend_sums_to_the_weekly_intake(week: Analytics, services: Any) -> None:
    rows = week.trend(START, END, "day", AS_OF)
    assert sum(r["to_file"] for r in rows) == 5  # local days; D was rejected, F reported before


def test_every_measure_named_in_the_definitions_is_implemented() -> None:
    defs = load()
    assert set(defs.measures) == analytics.IMPLEMENTED_MEASURES
    assert "按时立案数" in defs.formula("ontime_filing", "zh")


def test_the_wall_tiles_are_the_live_definitions_in_the_same_file() -> None:
    from incidents.kpi import KPI_KEYS
    from layouts.ids import KPI_KEYS as TILES

    assert KPI_KEYS == TILES == tuple(load().live)


def test_an_old_incident_closed_in_the_period_still_counts(services: Any) -> None:
    """Reported 60 days before the week (beyond the lookback) but closed in it: found by its events."""
    write_incident(services, "OLD", [(d(-60), "created", "reported", {}), (d(-60, 1), "file", "accepted", {}),
                                     (d(-60, 2), "dispatch", "dispatched", dl(d(-59))),
                                     (d(-60, 3), "acknowledge", "in_progress", {}),
                                     (d(2), "resolve", "resolved", {}), (d(3), "verify_pass", "closed", {})])
    row = Analytics(services.db, services.settings.tz).table(START, END, AS_OF)[0]
    assert (row["to_close"], row["closed"], row["closed_ontime"]) == (1, 1, 0)


def test_a_period_with_nothing_in_it_gives_a_row_of_zeros_not_an_error(services):
    """A trend over a stretch with no incidents and no callbacks yields empty periods, not IndexError."""
    from datetime import datetime, timezone

    from incidents import analytics

    with services.db.read() as s:
        rows = analytics.trend(datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2020, 1, 8, tzinfo=timezone.utc),
                               "day", datetime(2020, 2, 1, tzinfo=timezone.utc), analytics.Filters(),
                               services.settings.tz, session=s)
    assert [r["period"] for r in rows][:2] == ["2020-01-01", "2020-01-02"]
    for r in rows:  # nothing happened: counts are 0, rates and means undefined (None), never a fake 0 %
        numbers = {k: v for k, v in r.items() if k not in ("all", "period", "start", "end")}
        assert all(v in (0, None) for v in numbers.values()), numbers
        assert r["accurate_dispatch"] is None


def test_last_years_period_is_compared_with_its_settled_figures_as_known_at_as_of(services: Any) -> None:
    """同比: the dashed line is last year's same period as known at ``as_of`` — an incident dispatched in
    that period and returned after its end no longer counts as dispatched right the first time."""
    ly = d(0) - timedelta(days=364)  # Monday 3 March 2025, the same weekday
    write_incident(services, "LY", [(ly + timedelta(hours=8), "created", "reported", {}),
                                    (ly + timedelta(hours=9), "file", "accepted", {}),
                                    (ly + timedelta(hours=10), "dispatch", "dispatched", dl(ly + timedelta(days=9))),
                                    (ly + timedelta(days=8), "return", "accepted", {})])
    an = Analytics(services.db, services.settings.tz)
    data = an.dashboard(START, END, "week", AS_OF)
    ly0, ly1 = (analytics._year_before(x.astimezone(services.settings.tz)) for x in (START, END))
    known_now = an.trend(ly0, ly1, "week", AS_OF)
    as_it_stood = an.trend(ly0, ly1, "week", ly1)
    assert data["last_year"] == known_now
    assert sum(r["dispatched"] for r in known_now) == 1 and sum(r["dispatched_right"] for r in known_now) == 0
    assert sum(r["dispatched"] for r in as_it_stood) == 1 and sum(r["dispatched_right"] for r in as_it_stood) == 1
