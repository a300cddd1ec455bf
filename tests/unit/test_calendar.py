"""Working-time arithmetic: periods, nights, weekends, holidays, make-up days (dispatch/calendar.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.calendar import DEFAULT_PERIODS, WorkCalendar, read_calendar_rows

DATA = Path(__file__).resolve().parents[2] / "data"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.load(DATA / "calendar")


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


# -- the data -------------------------------------------------------------------------------------


def test_every_year_file_loads_and_names_its_source() -> None:
    for year in (2025, 2026, 2027):
        path = DATA / "calendar" / f"{year}.csv"
        head = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
        assert any(line.startswith("# source:") for line in head), path
        rows = read_calendar_rows(path)
        assert rows and all(r["date"].startswith(str(year)) for r in rows)
        assert {r["kind"] for r in rows} == {"holiday", "workday"}


def test_2027_is_marked_provisional() -> None:
    text = (DATA / "calendar" / "2027.csv").read_text(encoding="utf-8")
    assert "# provisional" in text


def test_make_up_workdays_are_weekend_days_and_never_holidays() -> None:
    assert CAL.workdays and all(d.weekday() >= 5 for d in CAL.workdays)
    assert not CAL.workdays & CAL.holidays


@pytest.mark.parametrize(
    ("day", "worked"),
    [
        (date(2026, 3, 2), True),  # an ordinary Monday
        (date(2026, 3, 7), False),  # an ordinary Saturday
        (date(2026, 10, 1), False),  # 国庆节
        (date(2026, 10, 7), False),  # last day of 国庆节 (a Wednesday)
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # 调休 Saturday
        (date(2026, 10, 11), False),  # the Sunday after it is an ordinary Sunday
        (date(2026, 2, 14), True),  # 春节调休 Saturday
        (date(2026, 2, 23), False),  # 春节 Monday
        (date(2025, 1, 26), True),  # 2025 春节调休 Sunday
        (date(2025, 10, 8), False),  # 2025 国庆节、中秋节 eighth day
        (date(2030, 10, 1), True),  # a year with no data falls back to Monday–Friday
    ],
)
def test_is_workday_follows_the_state_council_arrangement(day: date, worked: bool) -> None:
    assert CAL.is_workday(day) is worked


def test_holiday_names_are_kept_for_display() -> None:
    assert CAL.name_of(date(2026, 10, 1)) == "国庆节"
    assert CAL.name_of(date(2026, 3, 2)) is None


# -- adding working hours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (sh(2026, 3, 2, 9), 2, sh(2026, 3, 2, 11)),  # inside the morning
        (sh(2026, 3, 2, 9), 3, sh(2026, 3, 2, 12)),  # ends exactly at lunch: 12:00, not 13:30
        (sh(2026, 3, 2, 11), 2, sh(2026, 3, 2, 14, 30)),  # across the lunch break
        (sh(2026, 3, 2, 16, 30), 2, sh(2026, 3, 3, 9, 30)),  # across the night
        (sh(2026, 3, 6, 16, 30), 2, sh(2026, 3, 9, 9, 30)),  # Friday → Monday across the weekend
        (sh(2026, 3, 2, 8, 30), 7.5, sh(2026, 3, 2, 17, 30)),  # a whole working day in hours
        (sh(2026, 3, 2, 9), 7.5, sh(2026, 3, 3, 9)),  # ...or the same clock time next day
        (sh(2026, 3, 2, 8, 30), 15, sh(2026, 3, 3, 17, 30)),
    ],
)
def test_add_work_hours_counts_only_working_periods(start: datetime, hours: float, due: datetime) -> None:
    assert CAL.add_work_hours(start, hours) == due


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (sh(2026, 3, 2, 7), sh(2026, 3, 2, 9, 30)),  # before opening
        (sh(2026, 3, 2, 12, 30), sh(2026, 3, 2, 14, 30)),  # during lunch
        (sh(2026, 3, 2, 20), sh(2026, 3, 3, 9, 30)),  # in the evening
        (sh(2026, 3, 7, 10), sh(2026, 3, 9, 9, 30)),  # on a Saturday
    ],
)
def test_start_outside_working_hours_counts_from_the_next_period(start: datetime, due: datetime) -> None:
    assert CAL.add_work_hours(start, 1) == due


def test_national_day_2026_holiday_is_skipped() -> None:
    # Wed 30 Sep 16:30 + 2 h: one hour that day, then 1–7 Oct are off, Thursday 8 Oct resumes.
    assert CAL.add_work_hours(sh(2026, 9, 30, 16, 30), 2) == sh(2026, 10, 8, 9, 30)


def test_make_up_saturday_after_national_day_is_worked() -> None:
    # Fri 9 Oct 2026 17:00 + 1 h ends on the 调休 Saturday 10 Oct, not on Monday.
    assert CAL.add_work_hours(sh(2026, 10, 9, 17), 1) == sh(2026, 10, 10, 9)


def test_make_up_sunday_before_national_day_is_worked() -> None:
    # Fri 18 Sep 2026 17:00 + 1 h: Saturday 19 Sep is off, Sunday 20 Sep is a make-up workday.
    assert CAL.add_work_hours(sh(2026, 9, 18, 17), 1) == sh(2026, 9, 20, 9)


def test_spring_festival_2026_pushes_a_deadline_past_nine_days_off() -> None:
    # Friday 13 Feb 17:00 + 1 h: Saturday 14 Feb is a make-up day → ends there at 09:00.
    assert CAL.add_work_hours(sh(2026, 2, 13, 17), 1) == sh(2026, 2, 14, 9)
    # From the make-up Saturday's close, 15–23 Feb are off: Tuesday 24 Feb.
    assert CAL.add_work_hours(sh(2026, 2, 14, 17, 30), 1) == sh(2026, 2, 24, 9, 30)


def test_zero_hours_returns_the_start() -> None:
    start = sh(2026, 3, 7, 10)
    assert CAL.add_work_hours(start, 0) == start


def test_results_are_utc_and_utc_input_is_accepted() -> None:
    start_utc = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
    due = CAL.add_work_hours(start_utc, 2)
    assert due.tzinfo is timezone.utc
    assert due == sh(2026, 3, 2, 11)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add_work_hours(sh(2026, 3, 2, 9), -1)
    with pytest.raises(ValueError):
        CAL.add_work_days(sh(2026, 3, 2, 9), -1)


# -- adding working days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (sh(2026, 3, 2, 15), 1, sh(2026, 3, 3, 15)),  # same clock time the next working day
        (sh(2026, 3, 6, 15), 1, sh(2026, 3, 9, 15)),  # Friday → Monday
        (sh(2026, 3, 6, 17, 45), 1, sh(2026, 3, 9, 17, 30)),  # after hours: one full Monday
        (sh(2026, 3, 2, 10), 0.5, sh(2026, 3, 2, 15, 15)),  # half a day = 3.75 working hours
        (sh(2026, 9, 30, 10), 1, sh(2026, 10, 8, 10)),  # across 国庆 2026
        (sh(2026, 3, 2, 8, 30), 5, sh(2026, 3, 6, 17, 30)),  # a working week
    ],
)
def test_add_work_days_is_days_times_the_working_day_length(start: datetime, days: float, due: datetime) -> None:
    assert CAL.add_work_days(start, days) == due


def test_working_day_length_follows_configured_periods() -> None:
    assert CAL.day_hours == pytest.approx(7.5)
    nine_to_five = WorkCalendar(periods=((time(9), time(17)),))
    assert nine_to_five.day_hours == pytest.approx(8)
    assert nine_to_five.add_work_days(sh(2026, 3, 2, 9), 1) == sh(2026, 3, 2, 17)


# -- measuring ------------------------------------------------------------------------------------


def test_work_seconds_between_skips_nights_weekends_and_lunch() -> None:
    assert CAL.work_seconds_between(sh(2026, 3, 6, 16, 30), sh(2026, 3, 9, 9, 30)) == 2 * 3600
    assert CAL.work_seconds_between(sh(2026, 3, 2, 11), sh(2026, 3, 2, 14)) == 1.5 * 3600
    assert CAL.work_seconds_between(sh(2026, 10, 1, 9), sh(2026, 10, 7, 17)) == 0


def test_work_seconds_between_is_negative_when_reversed() -> None:
    a, b = sh(2026, 3, 2, 9), sh(2026, 3, 2, 10)
    assert CAL.work_seconds_between(b, a) == -3600


def test_is_working_time() -> None:
    assert CAL.is_working_time(sh(2026, 3, 2, 9))
    assert not CAL.is_working_time(sh(2026, 3, 2, 12, 30))
    assert not CAL.is_working_time(sh(2026, 3, 2, 17, 30))  # the end is not inside
    assert not CAL.is_working_time(sh(2026, 10, 1, 10))


# -- refusals -------------------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 2, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_work_hours(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_work_days(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.work_seconds_between(naive, sh(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.is_working_time(naive)


def test_from_rows_rejects_bad_data() -> None:
    with pytest.raises(ValueError, match="not a weekend"):
        WorkCalendar.from_rows([{"date": "2026-03-02", "kind": "workday", "name": "x"}])
    with pytest.raises(ValueError, match="kind"):
        WorkCalendar.from_rows([{"date": "2026-03-02", "kind": "vacation", "name": "x"}])
    with pytest.raises(ValueError, match="bad date"):
        WorkCalendar.from_rows([{"date": "2026-13-02", "kind": "holiday", "name": "x"}])
    with pytest.raises(ValueError, match="both"):
        WorkCalendar.from_rows(
            [{"date": "2026-03-07", "kind": "holiday"}, {"date": "2026-03-07", "kind": "workday"}]
        )


def test_overlapping_periods_are_refused() -> None:
    with pytest.raises(ValueError):
        WorkCalendar(periods=((time(8), time(12)), (time(11), time(17))))
    with pytest.raises(ValueError):
        WorkCalendar(periods=((time(12), time(8)),))


def test_from_rows_accepts_a_zone_name_and_custom_periods() -> None:
    cal = WorkCalendar.from_rows([], periods=DEFAULT_PERIODS, tz="Asia/Shanghai")
    assert cal.tz == SHANGHAI and not cal.holidays


# -- properties -----------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([timezone.utc, SHANGHAI]),
)
hours = st.floats(min_value=0, max_value=300, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(start=starts, h=hours)
def test_adding_hours_then_measuring_gives_the_hours_back(start: datetime, h: float) -> None:
    due = CAL.add_work_hours(start, h)
    assert abs(CAL.work_seconds_between(start, due) - h * 3600) <= 1
    if h > 0:
        assert CAL.is_workday(due.astimezone(SHANGHAI).date())


@settings(max_examples=200, deadline=None)
@given(start=starts, h1=hours, h2=hours)
def test_add_work_hours_is_monotonic(start: datetime, h1: float, h2: float) -> None:
    lo, hi = sorted((h1, h2))
    assert CAL.add_work_hours(start, lo) <= CAL.add_work_hours(start, hi)
    assert CAL.add_work_hours(start, hi) >= start


@settings(max_examples=100, deadline=None)
@given(start=starts, days=st.integers(min_value=0, max_value=30))
def test_add_work_days_equals_hours_of_full_days(start: datetime, days: int) -> None:
    assert CAL.add_work_days(start, days) == CAL.add_work_hours(start, days * 7.5)
    assert CAL.add_work_days(start, days) - start >= timedelta(0)
