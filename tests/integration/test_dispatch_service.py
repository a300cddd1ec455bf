"""Intake, auto-dispatch, manual dispatch and the live KPIs, through the real services on SQLite.

The clock stands at Tuesday 2026-03-10 10:00 Asia/Shanghai (02:00 UTC), a working day; expected
deadlines are worked out by hand from data/sla.csv and the 08:30-12:00, 13:30-17:30 working periods.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import factories as f
from incidents.intake import IntakeError
from incidents.kpi import snapshot
from incidents.model import Channel, State
from incidents.store import ConflictError

HOTLINE = Channel.HOTLINE


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def intake(services, category=f.WATER_COVER, cell=f.CORE_CELL, now=None, **raw):
    report = f.report(category, cell=cell, grid=services.grid, **raw)
    return services.dispatch.intake(report, f.operator(), HOTLINE, now or services.clock())


def actions(services, code):
    return [(e.action, e.actor) for e in services.incidents.timeline(code)]


# -- auto-dispatch ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        ("normal", utc(2026, 3, 12, 2, 0)),  # 2 working days: Thursday 10:00
        ("high", utc(2026, 3, 11, 2, 30)),  # 8 working hours: 6 h on Tuesday, 2 h from Wednesday 08:30
        ("urgent", utc(2026, 3, 10, 4, 0)),  # 2 natural hours
    ],
)
def test_unambiguous_category_is_filed_and_dispatched_with_its_sla_deadline(services, severity, due):
    result = intake(services, f.WATER_COVER, severity=severity)
    inc = result.incident
    assert result.waiting is None and result.duplicates == ()
    assert inc.state == State.DISPATCHED
    assert (inc.department, inc.assignee, inc.deadline) == ("SWJ", None, due)
    assert inc.version == 3
    assert actions(services, inc.code) == [("created", "op1"), ("file", "system"), ("dispatch", "system")]
    assert services.incidents.get(inc.code) == inc


def test_grid_category_goes_to_the_cell_s_grid_worker(services):
    result = intake(services, f.GARBAGE, f.CORE_CELL)
    inc = result.incident
    assert result.waiting is None
    assert inc.grid == f.CORE_CELL
    assert (inc.state, inc.department, inc.assignee) == (State.DISPATCHED, "GRID", f.CORE_WORKER)
    assert inc.deadline == utc(2026, 3, 11, 2, 0)  # 1 working day = 7.5 working hours


def test_grid_category_in_a_cell_without_a_worker_waits_as_ambiguous(services):
    result = intake(services, f.GARBAGE, f.RURAL_CELL)
    assert result.waiting == "ambiguous"
    assert result.incident.state == State.REPORTED
    assert (result.incident.department, result.incident.deadline) == (None, None)
    assert actions(services, result.incident.code) == [("created", "op1")]


def test_category_without_a_department_waits_as_ambiguous(services):
    result = intake(services, f.OTHER_EVENT)
    assert result.waiting == "ambiguous"
    assert result.incident.state == State.REPORTED


def test_second_report_nearby_within_a_day_waits_as_duplicate(services, clock):
    first = intake(services, f.WATER_COVER).incident
    clock.advance(hours=3)
    second = intake(services, f.WATER_COVER, east_m=30)
    assert second.waiting == "duplicate"
    assert [d.code for d in second.duplicates] == [first.code]
    assert second.incident.state == State.REPORTED
    assert second.incident.code != first.code


@pytest.mark.parametrize(
    ("category", "east_m", "hours_later"),
    [(f.GARBAGE, 30, 1), (f.WATER_COVER, 80, 1), (f.WATER_COVER, 30, 25)],
    ids=["other-category", "beyond-50m", "after-24h"],
)
def test_reports_not_close_enough_are_not_duplicates(services, clock, category, east_m, hours_later):
    intake(services, f.WATER_COVER)
    clock.advance(hours=hours_later)
    result = intake(services, category, east_m=east_m)
    assert result.waiting is None and result.duplicates == ()


def test_report_outside_the_city_is_refused_on_location_and_stores_nothing(services, published):
    lon, lat = f.OUTSIDE_CITY
    with pytest.raises(IntakeError) as err:
        intake(services, f.WATER_COVER, lon=lon, lat=lat)
    assert err.value.field == "location" and err.value.code == "outside_city"
    assert published == []
    assert services.incidents.list() == []


# -- publishing --------------------------------------------------------------------------------------


def test_committed_events_are_published_once_in_order(services, published):
    inc = intake(services, f.WATER_COVER).incident
    assert [m["action"] for m in published] == ["created", "file", "dispatch"]
    assert [m["seq"] for m in published] == [1, 2, 3]
    assert published[-1]["incident"]["code"] == inc.code
    assert published[-1]["incident"]["state"] == "dispatched"
    assert published[-1]["incident"]["deadline"] == inc.deadline.isoformat()


def test_failed_intake_rolls_back_and_publishes_nothing(services, published, monkeypatch):
    def broken_plan(incident, now):
        raise RuntimeError("rules table unreadable")

    monkeypatch.setattr(services.dispatch, "plan", broken_plan)
    with pytest.raises(RuntimeError):
        intake(services, f.WATER_COVER)
    assert published == []
    assert services.incidents.list() == []
    monkeypatch.undo()
    # the rolled-back transaction did not use up a code either
    assert intake(services, f.WATER_COVER).incident.code == "2026031000001"


def test_publishing_happens_after_the_commit(services, published):
    seen: list[str] = []

    def publish(messages):
        # The publish callable can already read what it is told about: the transaction is committed.
        for m in messages:
            seen.append(services.incidents.get(m["incident"]["code"]).state.value)
        published.extend(messages)

    services.incidents.publish = publish
    intake(services, f.WATER_COVER)
    assert seen == ["dispatched", "dispatched", "dispatched"]


# -- manual dispatch ---------------------------------------------------------------------------------


def test_operator_files_and_dispatches_a_waiting_incident(services, clock, published):
    waiting = intake(services, f.OTHER_EVENT).incident
    published.clear()
    operator = f.operator()
    inc = services.dispatch.dispatch(waiting.code, operator, waiting.version, clock.now, department="CGJ")
    assert (inc.state, inc.department, inc.assignee) == (State.DISPATCHED, "CGJ", None)
    assert inc.deadline == utc(2026, 3, 17, 2, 0)  # 5 working days: next Tuesday 10:00
    assert inc.version == 3
    assert actions(services, inc.code) == [("created", "op1"), ("file", "op1"), ("dispatch", "op1")]
    assert [m["action"] for m in published] == ["file", "dispatch"]


def test_operator_dispatch_to_the_grid_department_names_the_assignee(services, clock):
    waiting = intake(services, f.GARBAGE, f.RURAL_CELL).incident
    inc = services.dispatch.dispatch(waiting.code, f.operator(), 1, clock.now, department="GRID",
                                     assignee="gw_village_49")
    assert (inc.department, inc.assignee) == ("GRID", "gw_village_49")


def test_dispatch_with_a_stale_version_is_a_conflict(services, clock, published):
    waiting = intake(services, f.OTHER_EVENT).incident
    services.incidents.act(waiting.code, "note", f.operator(), 1, clock.now, payload={"text": "called"})
    published.clear()
    with pytest.raises(ConflictError) as err:
        services.dispatch.dispatch(waiting.code, f.operator(), 1, clock.now, department="CGJ")
    assert err.value.current.version == 2
    assert published == []
    assert services.incidents.get(waiting.code).state == State.REPORTED


def test_two_operators_dispatching_at_once_the_second_gets_a_conflict(services, clock):
    waiting = intake(services, f.OTHER_EVENT).incident
    services.dispatch.dispatch(waiting.code, f.operator(), 1, clock.now, department="CGJ")
    with pytest.raises(ConflictError) as err:  # not a "cannot dispatch a dispatched incident" table error
        services.dispatch.dispatch(waiting.code, f.operator(), 1, clock.now, department="SWJ")
    assert err.value.current.department == "CGJ"


def test_dispatch_to_an_unknown_department_is_refused(services, clock):
    waiting = intake(services, f.OTHER_EVENT).incident
    with pytest.raises(ValueError, match="NOPE"):
        services.dispatch.dispatch(waiting.code, f.operator(), 1, clock.now, department="NOPE")
    assert services.incidents.get(waiting.code).state == State.REPORTED


def test_dispatch_without_a_department_needs_one_when_the_rules_give_none(services, clock):
    waiting = intake(services, f.OTHER_EVENT).incident
    with pytest.raises(ValueError, match="department is required"):
        services.dispatch.dispatch(waiting.code, f.operator(), 1, clock.now)
    assert services.incidents.get(waiting.code).version == 1


# -- KPIs ---------------------------------------------------------------------------------------------


def _close(services, clock, code, minutes_between=30):
    handler = f.dept_handler("SWJ")
    inc = services.incidents.get(code)
    inc = services.incidents.act(code, "acknowledge", handler, inc.version, clock.advance(minutes=minutes_between))
    inc = services.incidents.act(code, "resolve", handler, inc.version, clock.advance(minutes=minutes_between))
    return services.incidents.act(code, "verify_pass", f.verifier(), inc.version, clock.advance(minutes=5))


def test_kpi_snapshot_counts_today_open_overdue_closed_and_on_time(services, clock):
    # yesterday 23:30 in Shanghai: open, but not today's intake
    intake(services, f.OTHER_EVENT, f.OTHER_CORE_CELL, reported_at="2026-03-09T15:30:00+00:00")
    a = intake(services, f.WATER_COVER, severity="urgent").incident  # due 04:00 UTC
    b = intake(services, f.WATER_COVER, f.OTHER_CORE_CELL, severity="urgent").incident
    intake(services, f.OTHER_EVENT)
    assert services.kpis() == {"intake_today": 3, "open": 4, "overdue": 0, "closed_today": 0, "ontime_rate": None}

    _close(services, clock, a.code)  # resolved at 03:00, before its 04:00 deadline
    clock.set(utc(2026, 3, 10, 5, 0))  # 13:00 Shanghai: b is past its deadline
    assert services.kpis() == {"intake_today": 3, "open": 3, "overdue": 1, "closed_today": 1, "ontime_rate": 1.0}

    _close(services, clock, b.code)  # resolved late
    assert services.kpis() == {"intake_today": 3, "open": 2, "overdue": 0, "closed_today": 2, "ontime_rate": 0.5}

    clock.set(utc(2026, 3, 10, 16, 0))  # midnight in Shanghai: a new day
    with services.db.read() as s:
        tomorrow = snapshot(clock.now, services.settings.tz, session=s)
    assert tomorrow == {"intake_today": 0, "open": 2, "overdue": 0, "closed_today": 0, "ontime_rate": None}


def test_overdue_is_computed_when_read(services, clock):
    inc = intake(services, f.WATER_COVER, severity="urgent").incident
    assert not inc.is_overdue(clock.now)
    assert services.kpis()["overdue"] == 0
    clock.set(inc.deadline + timedelta(seconds=1))
    assert services.kpis()["overdue"] == 1
    assert services.incidents.get(inc.code).is_overdue(clock.now)
    assert services.incidents.get(inc.code).version == inc.version  # nothing written to become overdue


def test_a_reference_edit_in_another_process_reaches_this_one(settings):
    """Two processes on one store: /admin in A changes a time limit; B's cache sees it on its next check."""
    import app as cityops_app

    a = cityops_app.build_services(settings)
    b = cityops_app.build_services(settings)
    ticks = iter(range(0, 1000, 10))
    b.reference._monotonic = lambda: float(next(ticks))  # each check 10 s after the last
    before = b.reference.get().sla.limit("10101", "normal")
    a.admin.set_sla("admin", f.T0, category="10101", severity="normal", limit=before.limit + 7, unit=before.unit)
    assert b.reference.get().sla.limit("10101", "normal").limit == before.limit + 7
    a.db.dispose()
    b.db.dispose()
