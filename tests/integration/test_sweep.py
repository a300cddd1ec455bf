"""The escalation sweep on a real store: steps at the right moments, once each, on both backends."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import factories as f
from dispatch.scheduler import LEASE_NAME, steps_of, sweep
from incidents.leases import acquire_lease
from incidents.model import Actor, Channel, Role
from incidents.records import EscalationClaimRow, EventRow

HANDLER = Actor("swj_handler1", Role.DEPT_HANDLER, "SWJ")


def urgent_water_cover(services, now, east_m=0.0):
    """Urgent 上水井盖 → SWJ, 2 natural hours: warn at +96 min, overdue at +2 h, leader at +4 h."""
    result = services.dispatch.intake(f.report(f.WATER_COVER, severity="urgent", east_m=east_m),
                                      Actor("operator", Role.OPERATOR), Channel.HOTLINE, now)
    assert result.waiting is None
    return result.incident


def test_steps_are_written_at_80_percent_at_the_deadline_and_at_twice_the_limit(db_services, clock):
    inc = urgent_water_cover(db_services, clock())
    t0 = clock()
    assert sweep(db_services, t0 + timedelta(minutes=95)).sent == []
    assert sweep(db_services, t0 + timedelta(minutes=96)).sent == [(inc.code, "warn")]
    assert sweep(db_services, t0 + timedelta(minutes=119)).sent == []
    assert sweep(db_services, t0 + timedelta(hours=2)).sent == [(inc.code, "overdue")]
    assert sweep(db_services, t0 + timedelta(hours=4)).sent == [(inc.code, "leader")]
    assert sweep(db_services, t0 + timedelta(hours=9)).sent == []
    timeline = db_services.incidents.timeline(inc.code)
    assert steps_of(timeline) == ["warn", "overdue", "leader"]
    escalations = [e for e in timeline if e.action == "escalate"]
    assert {e.actor for e in escalations} == {"system"}
    assert escalations[1].payload["notify"] == "dept_head"


def test_escalation_does_not_bump_the_version_so_the_handler_s_action_still_succeeds(services, clock):
    inc = urgent_water_cover(services, clock())
    sweep(services, clock() + timedelta(hours=3))
    after = services.incidents.get(inc.code)
    assert after.version == inc.version
    acked = services.incidents.act(inc.code, "acknowledge", HANDLER, inc.version, clock() + timedelta(hours=3))
    assert acked.state.value == "in_progress"


def test_a_late_sweep_sends_every_missed_step_in_order(services, clock):
    inc = urgent_water_cover(services, clock())
    assert sweep(services, clock() + timedelta(days=2)).sent == [(inc.code, s) for s in ("warn", "overdue", "leader")]


def test_resolved_incidents_are_not_escalated(services, clock):
    inc = urgent_water_cover(services, clock())
    v = services.incidents.act(inc.code, "acknowledge", HANDLER, inc.version, clock()).version
    services.incidents.act(inc.code, "resolve", HANDLER, v, clock(), payload={"note": "fixed"})
    assert sweep(services, clock() + timedelta(days=2)).sent == []


def test_escalation_events_are_published_for_the_handler_rooms(services, clock, published):
    urgent_water_cover(services, clock())
    published.clear()
    sweep(services, clock() + timedelta(minutes=100))
    assert [(m["action"], m["payload"]["step"], m["incident"]["department"]) for m in published] == [
        ("escalate", "warn", "SWJ")]


def test_a_redispatch_after_a_return_starts_a_fresh_round_of_steps(services, clock):
    inc = urgent_water_cover(services, clock())
    sweep(services, clock() + timedelta(minutes=100))  # warn
    clock.advance(minutes=100)
    back = services.incidents.act(inc.code, "return", HANDLER, inc.version, clock(), payload={"reason": "not ours"})
    services.dispatch.dispatch(inc.code, Actor("operator", Role.OPERATOR), back.version, clock(), department="SWJ")
    assert sweep(services, clock() + timedelta(minutes=97)).sent == [(inc.code, "warn")]
    assert steps_of(services.incidents.timeline(inc.code)) == ["warn", "warn"]


@pytest.mark.postgres
def test_two_schedulers_on_postgresql_send_each_step_exactly_once(pg_seeded_url, settings_factory, clock):
    import app

    # two whole service stacks on one store, as two app processes would have
    a = app.build_services(settings_factory(database_url=pg_seeded_url), clock=clock, publish=lambda m: None)
    b = app.build_services(settings_factory(database_url=pg_seeded_url), clock=clock, publish=lambda m: None)
    try:
        incidents = [urgent_water_cover(a, clock(), east_m=80.0 * k) for k in range(12)]
        results = []
        barrier = threading.Barrier(2)

        def run(services):
            barrier.wait()
            for minutes in (100, 130, 250):
                results.append(sweep(services, clock() + timedelta(minutes=minutes)))

        threads = [threading.Thread(target=run, args=(s,)) for s in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        sent = [x for r in results for x in r.sent]
        assert sorted(sent) == sorted((i.code, s) for i in incidents for s in ("warn", "overdue", "leader"))
        with a.db.read() as s:
            assert s.scalar(select(func.count()).select_from(EventRow).where(EventRow.action == "escalate")) == 36
            assert s.scalar(select(func.count()).select_from(EscalationClaimRow)) == 36
    finally:
        a.db.dispose()
        b.db.dispose()


def test_only_one_process_holds_the_escalation_lease(services, clock):
    assert acquire_lease(services.db, LEASE_NAME, "p1", clock())
    assert not acquire_lease(services.db, LEASE_NAME, "p2", clock())
    assert acquire_lease(services.db, LEASE_NAME, "p2", clock() + timedelta(minutes=5))
