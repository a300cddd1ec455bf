"""Escalation steps (督办) as pure rules, with injected time and the real working-time calendar."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dispatch.calendar import WorkCalendar
from dispatch.escalation import NOTIFY, STEPS, schedule
from dispatch.sla import SlaLimit

ROOT = Path(__file__).resolve().parents[2]
CAL = WorkCalendar.load(ROOT / "data" / "calendar")
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # Tue 10:00 Asia/Shanghai


def test_natural_hours_limit_warns_at_80_percent_flags_at_deadline_and_calls_the_leader_at_twice():
    limit = SlaLimit(10, "hours")
    s = schedule(limit, T0, T0 + timedelta(hours=10), CAL)
    assert (s.warn_at, s.overdue_at, s.leader_at) == (T0 + timedelta(hours=8), T0 + timedelta(hours=10),
                                                      T0 + timedelta(hours=20))


@pytest.mark.parametrize("hours_after, due", [
    (7.9, []), (8, ["warn"]), (9.99, ["warn"]), (10, ["warn", "overdue"]), (19.9, ["warn", "overdue"]),
    (20, ["warn", "overdue", "leader"]),
])
def test_steps_due_at_a_moment_are_every_unsent_one_in_order(hours_after, due):
    s = schedule(SlaLimit(10, "hours"), T0, T0 + timedelta(hours=10), CAL)
    assert s.due(T0 + timedelta(hours=hours_after)) == due


def test_a_sent_step_is_never_due_again_and_next_at_moves_on():
    s = schedule(SlaLimit(10, "hours"), T0, T0 + timedelta(hours=10), CAL)
    late = T0 + timedelta(days=5)
    assert s.due(late, sent={"warn", "overdue"}) == ["leader"]
    assert s.next_at() == s.warn_at
    assert s.next_at({"warn"}) == s.overdue_at
    assert s.next_at(set(STEPS)) is None


def test_working_hours_warning_never_falls_outside_working_time():
    # 8 working hours from Tue 10:00: warn after 6.4 working hours (Tue 17:04 local), due Wed 10:30.
    limit = SlaLimit(8, "work_hours")
    due = CAL.add_work_hours(T0, 8)
    s = schedule(limit, T0, due, CAL)
    assert CAL.is_working_time(s.warn_at)
    assert CAL.work_seconds_between(T0, s.warn_at) == pytest.approx(0.8 * 8 * 3600)
    assert CAL.work_seconds_between(due, s.leader_at) == pytest.approx(8 * 3600)


def test_extension_moves_the_overdue_and_leader_steps_but_not_the_warning():
    limit = SlaLimit(10, "hours")
    extended = T0 + timedelta(hours=30)
    s = schedule(limit, T0, extended, CAL)
    assert s.warn_at == T0 + timedelta(hours=8)
    assert s.overdue_at == extended and s.leader_at == extended + timedelta(hours=10)


def test_every_step_names_who_is_notified():
    assert set(NOTIFY) == set(STEPS) and NOTIFY["overdue"] == "dept_head" and NOTIFY["leader"] == "leader"
