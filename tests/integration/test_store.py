"""The incident store on SQLite and on PostgreSQL: round trip, optimistic lock, daily codes, versions.

``db_services`` (tests/conftest.py) runs each test on a copied SQLite template and on a PostgreSQL
clone; the SQLite-only tests at the end check WAL and IMMEDIATE write transactions.
"""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

import factories as f
from factories import T0
from incidents import store
from incidents.changes import decide
from incidents.events import NON_VERSIONING
from incidents.model import Channel, Role, Severity, State
from incidents.records import CodeCounterRow, EventRow, IncidentRow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _insert(services, inc=None, now=T0):
    inc = inc or f.incident(now, id=None, code="2026031000001")
    with services.db.write.begin() as s:
        return store.insert(inc, f.operator(), now, session=s)


def _file_new(services, now=T0, **raw):
    """A reported incident through the intake (category 20601 has no department, so it waits)."""
    return services.dispatch.intake(f.report(f.OTHER_EVENT, grid=services.grid, **raw), f.operator(),
                                    Channel.HOTLINE, now).incident


def test_inserted_incident_reads_back_equal(db_services):
    shanghai_time = datetime(2026, 3, 10, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    original = f.incident(T0, id=None, reported_at=shanghai_time, severity=Severity.URGENT,
                          extra={"sensor": "ws-17", "readings": [1.5, 2.25]}, lon=124.301234567891,
                          lat=43.199112345678, description="井盖缺失，有人跌落风险")
    stored, created = _insert(db_services, original)
    assert stored.id is not None and stored == original.evolve(id=stored.id)
    with db_services.db.read() as s:
        again = store.get(original.code, session=s)
        events = store.events_of(stored.id, session=s)
        assert store.get_by_id(stored.id, session=s) == again
    assert again == stored
    assert again.reported_at.tzinfo is not None  # aware UTC back from every backend
    assert events == [created]
    assert created.action == "created" and created.seq == 1 and created.version == 1


def test_unknown_code_is_not_found(db_services):
    with db_services.db.read() as s, pytest.raises(store.NotFoundError, match="2026031099999"):
        store.get("2026031099999", session=s)


def test_second_writer_with_the_same_version_gets_a_conflict_and_overwrites_nothing(db_services, clock):
    inc = _file_new(db_services)
    with db_services.db.read() as s:
        seen_by_a = store.get(inc.code, session=s)  # writer A loads version 1 ...
    # ... writer B files it meanwhile
    filed = db_services.incidents.act(inc.code, "file", f.operator(), 1, clock.advance(minutes=5))
    assert filed.version == 2
    # A still holds version 1 and rejects it: the UPDATE … WHERE version = 1 matches no row.
    with pytest.raises(store.ConflictError) as err, db_services.db.write.begin() as s:
        event = decide(seen_by_a, "reject", f.operator(), clock.now, seq=store.next_seq(inc.id, session=s))
        store.apply(seen_by_a, event, 1, session=s)
    assert err.value.expected == 1
    assert err.value.current == filed  # the caller gets the fresh incident to show
    assert db_services.incidents.get(inc.code) == filed
    assert [e.action for e in db_services.incidents.timeline(inc.code)] == ["created", "file"]


def test_service_refuses_a_stale_expected_version(db_services, clock, published):
    inc = _file_new(db_services)
    db_services.incidents.act(inc.code, "file", f.operator(), 1, clock.now)
    published.clear()
    with pytest.raises(store.ConflictError) as err:
        db_services.incidents.act(inc.code, "reject", f.operator(), 1, clock.now)
    assert err.value.current.state == State.ACCEPTED and err.value.current.version == 2
    assert published == []  # nothing committed, nothing published
    assert db_services.incidents.get(inc.code).state == State.ACCEPTED


def test_code_is_the_shanghai_date_and_a_five_digit_daily_sequence(db_services):
    evening_utc = datetime(2026, 3, 10, 17, 0, tzinfo=timezone.utc)  # 01:00 on the 11th in Shanghai
    first = _file_new(db_services, evening_utc)
    second = _file_new(db_services, evening_utc + timedelta(minutes=1), east_m=200)
    assert first.code == "2026031100001"
    assert second.code == "2026031100002"
    before_midnight = _file_new(db_services, datetime(2026, 3, 10, 15, 59, tzinfo=timezone.utc), east_m=400)
    assert before_midnight.code == "2026031000001"  # 23:59 on the 10th in Shanghai: a new day's sequence
    with db_services.db.read() as s:
        counters = dict(s.execute(select(CodeCounterRow.day, CodeCounterRow.last)).all())
    assert counters == {"20260311": 2, "20260310": 1}


def test_next_code_counts_up_within_one_transaction(db_services):
    with db_services.db.write.begin() as s:
        codes = [store.next_code(T0, SHANGHAI, session=s) for _ in range(3)]
    assert codes == ["2026031000001", "2026031000002", "2026031000003"]
    assert all(len(c) == 13 and c.isdigit() for c in codes)


#: Annotations written only on a resolved case (a verification task): tests/unit/test_verify_task.py shows
#: they keep the version there.
ON_RESOLVED_ONLY = {"verify_task_sent", "verify_task_answered"}


@pytest.mark.parametrize("action", sorted(NON_VERSIONING - {"escalate"} - ON_RESOLVED_ONLY))
def test_annotations_that_change_nothing_do_not_bump_the_version(db_services, clock, action):
    inc = _file_new(db_services)
    actor = {"alert_acknowledged": f.operator(), "instruction": f.leader()}.get(action, f.system())
    payload = {"relocate": {"grid": inc.grid, "district": inc.district, "from_grid": inc.grid}}.get(action, {"step": "warn"})
    after = db_services.incidents.act(inc.code, action, actor, 1, clock.advance(minutes=1), payload=payload)
    assert after.version == 1
    assert db_services.incidents.get(inc.code).version == 1
    # a handler who loaded version 1 before the sweep still succeeds
    filed = db_services.incidents.act(inc.code, "file", f.operator(), 1, clock.advance(minutes=1))
    assert filed.version == 2
    versions = [(e.action, e.version) for e in db_services.incidents.timeline(inc.code)]
    assert versions == [("created", 1), (action, 1), ("file", 2)]


def test_an_escalation_does_not_make_the_handler_conflict(db_services, clock):
    inc = _file_new(db_services)
    dispatched = db_services.dispatch.dispatch(inc.code, f.operator(), 1, clock.now, department="CGJ")
    v = dispatched.version
    db_services.incidents.act(inc.code, "escalate", f.system(), v, clock.advance(hours=5), payload={"step": "warn"})
    acked = db_services.incidents.act(inc.code, "acknowledge", f.ACTORS[Role.DEPT_HANDLER], v, clock.now)
    assert acked.version == v + 1


def test_a_person_s_annotation_bumps_the_version(db_services, clock):
    inc = _file_new(db_services)
    noted = db_services.incidents.act(inc.code, "note", f.operator(), 1, clock.now, payload={"text": "called back"})
    assert noted.version == 2 and noted.state == State.REPORTED


def test_refused_transition_writes_nothing(db_services, clock):
    from incidents.lifecycle import TransitionError

    inc = _file_new(db_services)
    with pytest.raises(TransitionError):
        db_services.incidents.act(inc.code, "verify_pass", f.verifier(), 1, clock.now)
    with db_services.db.read() as s:
        assert s.scalar(select(func.count()).select_from(EventRow).where(EventRow.incident_id == inc.id)) == 1
    assert db_services.incidents.get(inc.code) == inc


def test_nearby_open_finds_same_category_within_radius_and_window(db_services, clock):
    first = _file_new(db_services)
    with db_services.db.read() as s:
        def near(east_m, hours_later, category=f.OTHER_EVENT):
            lon, lat = f.point(f.CORE_CELL, east_m=east_m, grid=db_services.grid)
            return [i.code for i in store.nearby_open(category, lon, lat, T0 + timedelta(hours=hours_later), 50.0,
                                                      timedelta(hours=24), session=s)]

        assert near(30, 1) == [first.code]
        assert near(70, 1) == []
        assert near(30, 25) == []
        assert near(30, 1, category=f.WATER_COVER) == []


# -- SQLite specifics ------------------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(services):
    with services.db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_write_transactions_take_the_write_lock_at_begin(services):
    """IMMEDIATE: a writer that has only read so far already excludes other writers (no lock upgrade)."""
    path = services.settings.sqlite_path
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with services.db.write.begin() as s:
            s.execute(select(func.count()).select_from(IncidentRow)).scalar()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after the commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_sqlite_readers_do_not_wait_for_a_writer(services):
    with services.db.write.begin() as w:
        w.add(CodeCounterRow(day="20990101", last=7))
        w.flush()
        with services.db.read() as r:  # DEFERRED + WAL: reads the last committed state at once
            assert r.get(CodeCounterRow, "20990101") is None


def test_sqlite_second_writer_waits_for_the_first_then_succeeds(services):
    holding, release, second_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_writer() -> None:
        try:
            with services.db.write.begin() as s:
                s.add(CodeCounterRow(day="20990101", last=1))
                s.flush()
                holding.set()
                assert release.wait(2)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
            holding.set()

    def second_writer() -> None:
        try:
            with services.db.write.begin() as s:
                row = s.get(CodeCounterRow, "20990101")
                row.last += 1  # sees the first writer's committed row: it waited for it
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            second_done.set()

    t1 = threading.Thread(target=first_writer)
    t1.start()
    assert holding.wait(2)
    t2 = threading.Thread(target=second_writer)
    t2.start()
    assert not second_done.wait(0.2), "the second writer should wait for the first one's lock"
    release.set()
    assert second_done.wait(2)
    t1.join(2)
    t2.join(2)
    assert errors == []
    with services.db.read() as s:
        assert s.get(CodeCounterRow, "20990101").last == 2
