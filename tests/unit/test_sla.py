"""Handling time limits: table completeness, natural hours for emergencies, deadlines (dispatch/sla.py)."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dispatch.calendar import WorkCalendar
from dispatch.sla import SEVERITIES, SlaLimit, SlaTable, deadline, warn_at
from incidents.taxonomy import Taxonomy

DATA = Path(__file__).resolve().parents[2] / "data"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.load(DATA / "calendar")
TABLE = SlaTable.load(DATA / "sla.csv")
TAXONOMY = Taxonomy.load(DATA / "taxonomy.csv")


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


# -- the data -------------------------------------------------------------------------------------


def test_every_category_has_a_limit_for_every_severity() -> None:
    assert TABLE.missing(c.code for c in TAXONOMY) == []


def test_sla_rows_name_only_known_categories() -> None:
    assert TABLE.categories() <= {c.code for c in TAXONOMY}
    assert len(TABLE) == 3 * len(TAXONOMY)


def test_urgent_emergencies_count_natural_hours() -> None:
    emergencies = TAXONOMY.in_large_class("204")  # 事件 04 突发事件
    assert emergencies
    for cat in emergencies:
        assert TABLE.limit(cat.code, "urgent").unit == "hours", cat.code


@pytest.mark.parametrize(
    ("code", "limit", "unit"),
    [
        ("20102", 1, "work_days"),  # 暴露垃圾
        ("20104", 5, "work_hours"),  # 道路不洁
        ("20103", 4, "work_days"),  # 积存垃圾渣土
        ("20105", 15, "work_days"),  # 水域不洁
        ("20101", 15, "work_days"),  # 私搭乱建
    ],
)
def test_normal_limits_follow_published_examples(code: str, limit: float, unit: str) -> None:
    assert TABLE.limit(code, "normal") == SlaLimit(limit, unit)  # type: ignore[arg-type]


def test_urgent_is_never_slower_than_normal_in_working_time() -> None:
    start = sh(2026, 3, 2, 9)
    for cat in TAXONOMY:
        due = {s: deadline(TABLE.limit(cat.code, s), start, CAL) for s in SEVERITIES}
        assert due["urgent"] <= due["high"] <= due["normal"], cat.code


def test_sla_csv_units_are_the_three_known_ones() -> None:
    with (DATA / "sla.csv").open(encoding="utf-8") as f:
        assert {row["unit"] for row in csv.DictReader(f)} <= {"work_hours", "work_days", "hours"}


# -- the table --------------------------------------------------------------------------------------


def test_missing_limit_raises_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="99999"):
        TABLE.limit("99999", "normal")
    with pytest.raises(KeyError, match="severity 'someday'"):
        TABLE.limit("20102", "someday")


def test_severity_enum_members_find_their_rows() -> None:
    import enum

    class Severity(str, enum.Enum):  # the shape of incidents.model.Severity
        URGENT = "urgent"

    assert TABLE.limit("20404", Severity.URGENT) == TABLE.limit("20404", "urgent")


def test_from_rows_rejects_bad_rows() -> None:
    good = {"category": "20102", "severity": "normal", "limit": "1", "unit": "work_days"}
    with pytest.raises(ValueError, match="duplicate"):
        SlaTable.from_rows([good, good])
    with pytest.raises(ValueError, match="unit"):
        SlaTable.from_rows([{**good, "unit": "fortnights"}])
    with pytest.raises(ValueError, match="severity"):
        SlaTable.from_rows([{**good, "severity": "whenever"}])
    with pytest.raises(ValueError, match="positive"):
        SlaTable.from_rows([{**good, "limit": "0"}])
    with pytest.raises(ValueError, match="number"):
        SlaTable.from_rows([{**good, "limit": "soon"}])


# -- deadlines ------------------------------------------------------------------------------------


def test_exposed_garbage_dispatched_monday_afternoon_is_due_tuesday_same_time() -> None:
    limit = TABLE.limit("20102", "normal")  # 1 working day
    assert deadline(limit, sh(2026, 3, 2, 15), CAL) == sh(2026, 3, 3, 15)


def test_dirty_road_dispatched_friday_afternoon_is_due_monday() -> None:
    limit = TABLE.limit("20104", "normal")  # 5 working hours
    # Friday 15:00: 2.5 h that day, 2.5 h on Monday from 08:30 → 11:00.
    assert deadline(limit, sh(2026, 3, 6, 15), CAL) == sh(2026, 3, 9, 11)


def test_work_days_deadline_skips_national_day() -> None:
    limit = SlaLimit(2, "work_days")
    assert deadline(limit, sh(2026, 9, 30, 10), CAL) == sh(2026, 10, 9, 10)


def test_urgent_fire_deadline_runs_through_the_night_and_holidays() -> None:
    limit = TABLE.limit("20404", "urgent")  # 火灾
    assert limit.is_natural_time
    start = sh(2026, 10, 1, 23, 30)  # a holiday night
    assert deadline(limit, start, CAL) == start + timedelta(hours=limit.limit)


def test_natural_hours_deadline_is_utc() -> None:
    due = deadline(SlaLimit(2, "hours"), sh(2026, 3, 7, 22), CAL)
    assert due.tzinfo is timezone.utc
    assert due == sh(2026, 3, 8, 0)


def test_warn_at_is_eighty_percent_in_working_time() -> None:
    # 1 working day = 7.5 h; 80 % = 6 h. Monday 15:00 → 2.5 h Monday + 3.5 h Tuesday morning = 12:00.
    assert warn_at(SlaLimit(1, "work_days"), sh(2026, 3, 2, 15), CAL) == sh(2026, 3, 3, 12)
    # 5 working hours: 80 % = 4 h; Monday 11:00 → 1 h to lunch, 3 h after it → 16:30.
    assert warn_at(SlaLimit(5, "work_hours"), sh(2026, 3, 2, 11), CAL) == sh(2026, 3, 2, 16, 30)
    # Natural hours: 80 % of 2 h = 96 min, at night too.
    assert warn_at(SlaLimit(2, "hours"), sh(2026, 3, 7, 22), CAL) == sh(2026, 3, 7, 23, 36)


def test_warn_at_never_passes_the_deadline() -> None:
    start = sh(2026, 9, 30, 16)
    for cat in TAXONOMY:
        for severity in SEVERITIES:
            limit = TABLE.limit(cat.code, severity)
            assert start <= warn_at(limit, start, CAL) <= deadline(limit, start, CAL)
    with pytest.raises(ValueError):
        warn_at(SlaLimit(1, "hours"), start, CAL, fraction=1.5)


def test_deadline_refuses_a_naive_start() -> None:
    for unit in ("hours", "work_hours", "work_days"):
        with pytest.raises(ValueError, match="timezone-aware"):
            deadline(SlaLimit(1, unit), datetime(2026, 3, 2, 9), CAL)  # type: ignore[arg-type]


def test_sla_limit_validates_itself() -> None:
    with pytest.raises(ValueError):
        SlaLimit(-1, "hours")
    with pytest.raises(ValueError):
        SlaLimit(1, "minutes")  # type: ignore[arg-type]
