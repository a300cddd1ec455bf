"""The transactional outbox: rows written with the dispatch, delivery at least once with idempotency
keys, exponential backoff on injected time, dead letters and their retry, the webhook's reply, the lease.

The department is a real HTTP server on 127.0.0.1 (``dept_servers.WebhookDepartment``) that verifies the
HMAC signature and deduplicates by key; the clock is the tests' settable clock (no sleeping for logic).
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

import factories as f
from dept_servers import SECRET, WebhookDepartment
from dispatch.outbox import connector_from, run_exchange
from incidents.model import Actor, Channel, Role, State
from incidents.records import OutboxRow

ADMIN = Actor("admin1", Role.ADMIN)


@pytest.fixture
def dept():
    server = WebhookDepartment().start()
    yield server
    server.stop()


def connect(services, url, secret=SECRET, department="SWJ"):
    services.exchange.configure(connector_from(department, "webhook", url, secret), ADMIN, services.clock(),
                                services.reference.get().departments)


def intake(services, category=f.WATER_COVER, **raw):
    report = f.report(category, grid=services.grid, **raw)
    return services.dispatch.intake(report, f.operator(), Channel.HOTLINE, services.clock()).incident


def outbox(services):
    with services.db.read() as s:
        return s.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()


def test_a_dispatch_to_a_connected_department_writes_its_message_in_the_same_transaction(services, dept):
    connect(services, dept.url)
    incident = intake(services)
    rows = outbox(services)
    assert [(r.key, r.department, r.kind, r.status) for r in rows] == [(f"{incident.code}-3", "SWJ", "webhook",
                                                                         "pending")]
    assert rows[0].payload["incident"]["code"] == incident.code and rows[0].payload["type"] == "dispatch"
    # a rollback takes the message back with the dispatch
    with pytest.raises(RuntimeError):
        with services.incidents.unit(services.clock()) as uow:
            draft = services.dispatch.parse(f.report(grid=services.grid, east_m=500), Channel.HOTLINE,
                                            services.clock())
            services.dispatch.intake_in(uow, draft, f.operator(), services.clock())
            raise RuntimeError("rolled back")
    assert len(outbox(services)) == 1


def test_a_department_working_in_our_workbench_gets_no_message(services):
    intake(services)
    services.exchange.configure(connector_from("SWJ", "none"), ADMIN, services.clock())
    intake(services, east_m=400)
    assert outbox(services) == []


def test_a_department_down_for_an_hour_loses_nothing_and_gets_each_message_once(services, dept, clock):
    connect(services, dept.url)
    dept.stop()
    codes = [intake(services, east_m=200 * n).code for n in range(6)]
    for _ in range(12):  # an hour of passes every 5 minutes while the department is down
        result = services.exchange.deliver_due(clock())
        assert result.delivered == []
        clock.advance(minutes=5)
    assert all(r.status == "pending" for r in outbox(services))
    dept.start()
    dept.fail_next = 1  # the first message arrives but its answer is lost: it must be sent again
    for _ in range(3):
        clock.advance(hours=1)
        services.exchange.deliver_due(clock())
    assert {r.status for r in outbox(services)} == {"delivered"}
    keys = {f"{c}-3" for c in codes}
    assert set(dept.received) == keys and sorted(m["key"] for m in dept.processed) == sorted(keys)
    assert len(dept.processed) == 6 and dept.bad_signatures == 0
    assert sum(dept.received.values()) == 7  # at least once on the wire, once after the key's dedup


def test_failures_back_off_exponentially_then_become_dead_letters_an_admin_retries(services, dept, clock):
    services.exchange.max_attempts = 4
    connect(services, dept.url)
    dept.stop()
    code = intake(services).code
    t0 = clock()
    waits = []
    for _ in range(4):
        services.exchange.deliver_due(clock())
        row = outbox(services)[0]
        if row.status == "dead":
            break
        waits.append((row.next_at - clock()).total_seconds())
        assert services.exchange.deliver_due(clock() + (row.next_at - clock()) / 2).failed == []  # not yet due
        clock.set(row.next_at)
    assert waits == [30.0, 60.0, 120.0]
    assert outbox(services)[0].status == "dead" and (clock() - t0).total_seconds() == 210
    dead = services.exchange.dead_letters()
    assert [(d["key"], d["attempts"]) for d in dead] == [(f"{code}-3", 4)] and "Error" in dead[0]["last_error"]
    dept.start()
    assert services.exchange.deliver_due(clock()).delivered == []  # dead letters wait for the admin
    assert services.exchange.retry([dead[0]["id"]], clock(), ADMIN) == 1
    assert services.exchange.deliver_due(clock()).delivered == [f"{code}-3"]
    assert services.exchange.dead_letters() == [] and dept.received == {f"{code}-3": 1}


def test_a_wrong_secret_is_refused_by_the_department_and_retried(services, dept, clock):
    connect(services, dept.url, secret="not-the-departments-secret")
    intake(services)
    result = services.exchange.deliver_due(clock())
    assert result.failed and dept.bad_signatures == 1 and dept.processed == []


def test_the_webhook_reply_brings_the_department_s_status_back_as_our_events(services, dept, clock):
    dept.reply = lambda message: {"action": "resolve", "note": "已修复", "photos": ["http://dept.example/p/1.jpg"]}
    connect(services, dept.url)
    code = intake(services).code
    result = services.exchange.deliver_due(clock())
    assert result.applied == [(code, "acknowledge"), (code, "resolve")]
    assert services.incidents.get(code).state == State.RESOLVED
    events = services.incidents.timeline(code)[-2:]
    assert [(e.action, e.actor, e.payload["via"]) for e in events] == [
        ("acknowledge", "webhook:SWJ", "webhook:SWJ"), ("resolve", "webhook:SWJ", "webhook:SWJ")]
    assert events[-1].payload["note"] == "已修复" and events[-1].payload["photos"] == ["http://dept.example/p/1.jpg"]


def test_the_worker_loop_delivers_under_its_lease_and_stops_promptly(services, dept):
    connect(services, dept.url)
    code = intake(services).code
    stop = threading.Event()
    worker = threading.Thread(target=run_exchange, args=(services, stop, 0.02), daemon=True)
    worker.start()
    deadline = time.monotonic() + 10
    while not dept.received and time.monotonic() < deadline:  # waiting for the thread, not for logic
        time.sleep(0.01)
    stop.set()
    worker.join(5)
    assert not worker.is_alive() and dept.received == {f"{code}-3": 1}
