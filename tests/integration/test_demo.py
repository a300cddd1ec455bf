"""The demo city (data/demo.py): users, a month of history through the real rules, the lease, the simulator."""
from __future__ import annotations

import random
import re
import shutil
import threading
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

import app
from auth.users import authenticate
from data import demo
from incidents import store
from incidents.changes import replay
from incidents.events import Event
from incidents.model import Actor, Channel, Incident, Role, State
from incidents.records import CodeCounterRow, EventRow, IncidentRow, LeaseRow, UserRow
from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# A Wednesday, 16:00 in Siping: a working afternoon, so today has intake, closures and open work.
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


def make_services(url: str, publish: Any = None, months: int = 1) -> Any:
    """Real services on ``url`` at the fixed clock; settings pinned (no .env), a month of history."""
    settings = Settings(_env_file=None, database_url=url, demo=False, history_months=months,  # type: ignore[call-arg]
                        timezone="Asia/Shanghai", data_dir=ROOT / "data", simulator_rate=1.0,
                        duplicate_radius_m=50.0, duplicate_window_h=24.0)
    return app.build_services(settings, clock=lambda: NOW, publish=publish)


def copy_of(template_db: Path, folder: Path, name: str) -> str:
    """A fresh database: a copy of conftest's migrated, seeded template."""
    path = folder / name
    shutil.copyfile(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Iterator[Any]:
    """One demo city per module: users and one month of history, as ``ensure_demo`` makes them."""
    services = make_services(copy_of(template_db, tmp_path_factory.mktemp("city"), "demo.db"))
    services.report = demo.ensure_demo(services)  # type: ignore[attr-defined]
    yield services
    services.db.dispose()


@pytest.fixture()
def fresh(tmp_path: Path, template_db: Path) -> Iterator[Any]:
    """A city with no demo data; what the services publish lands in ``fresh.published``."""
    published: list[dict] = []
    services = make_services(copy_of(template_db, tmp_path, "fresh.db"), publish=published.extend)
    services.published = published  # type: ignore[attr-defined]
    yield services
    services.db.dispose()


def all_incidents(services: Any) -> list[Incident]:
    with services.db.read() as s:
        return [store.to_incident(r) for r in s.scalars(select(IncidentRow).order_by(IncidentRow.id))]


def events_by_incident(services: Any) -> dict[int, list[Event]]:
    out = defaultdict(list)
    with services.db.read() as s:
        for r in s.scalars(select(EventRow).order_by(EventRow.incident_id, EventRow.seq)):
            out[r.incident_id].append(store.to_event(r))
    return out


def fingerprint(i: Incident) -> tuple:
    return (i.code, i.state, i.category, i.severity, i.grid, i.lon, i.lat, i.deadline, i.version, i.closed_at)


# -- users ------------------------------------------------------------------------------------------


def test_demo_users_cover_every_role_and_log_in_with_the_demo_password(city: Any) -> None:
    ref = city.reference.get()
    with city.db.read() as s:
        rows = {r.username: r for r in s.scalars(select(UserRow))}
        assert {r.role for r in rows.values()} == {r.value for r in Role if r != Role.SYSTEM}
        for username in ("operator", "operator2", "verifier", "leader", "leader_tiexi", "admin", "wall",
                         "swj_head", "swj_handler1", "cgj_handler2", next(iter(ref.rules.grid_workers.values()))):
            user = authenticate(username, demo.DEMO_PASSWORD, session=s)
            assert user is not None, username
        assert authenticate("operator", "wrong-password", session=s) is None
    assert rows["leader_tiexi"].district == 220302 and rows["leader"].district is None
    for code, dept in ref.departments.items():
        if dept.kind == "grid":
            assert f"{code.lower()}_head" not in rows
            continue
        assert rows[f"{code.lower()}_head"].role == "dept_head" and rows[f"{code.lower()}_head"].department == code
        assert rows[f"{code.lower()}_handler1"].role == "dept_handler"
    for worker in ref.rules.grid_workers.values():
        assert rows[worker].role == "grid_worker" and rows[worker].department == "GRID"
    # All demo users share one hash (hashed once, not per user).
    assert len({r.password_hash for r in rows.values()}) == 1
    assert {u[0] for u in demo.DEMO_USERS} <= set(rows)


def test_ensure_demo_is_idempotent(city: Any) -> None:
    assert city.report["users_created"] > 100 and city.report["history"]["incidents"] > 2000
    with city.db.read() as s:
        users = s.scalar(select(func.count()).select_from(UserRow))
        incidents = s.scalar(select(func.count()).select_from(IncidentRow))
    again = demo.ensure_demo(city)
    assert again["users_created"] == 0 and "history" not in again
    # Even asked directly, the "first start only" history refuses a city that has incidents.
    assert demo.generate_history(city, months=1, only_if_empty=True) == {"skipped": True, "reason": "incidents exist"}
    with city.db.read() as s:
        assert s.scalar(select(func.count()).select_from(UserRow)) == users
        assert s.scalar(select(func.count()).select_from(IncidentRow)) == incidents


# -- history ----------------------------------------------------------------------------------------


def test_history_is_reproducible_for_a_seed(city: Any, tmp_path: Path, template_db: Path) -> None:
    other = make_services(copy_of(template_db, tmp_path, "again.db"))
    try:
        result = demo.generate_history(other, months=1, now=NOW, seed=demo.SEED)
        first = city.report["history"]
        keys = ("incidents", "events", "states")
        assert {k: result[k] for k in keys} == {k: first[k] for k in keys}
        assert [fingerprint(i) for i in all_incidents(other)] == [fingerprint(i) for i in all_incidents(city)]
    finally:
        other.db.dispose()


def test_history_codes_are_unique_daily_sequences_that_next_code_continues(city: Any) -> None:
    tz = city.settings.tz
    incidents = all_incidents(city)
    codes = [i.code for i in incidents]
    assert len(codes) == len(set(codes))
    per_day: dict[str, list[int]] = defaultdict(list)
    for i in incidents:
        assert re.fullmatch(r"\d{8}\d{5}", i.code)
        assert i.code[:8] == i.reported_at.astimezone(tz).strftime("%Y%m%d")
        per_day[i.code[:8]].append(int(i.code[8:]))
    assert 25 <= len(per_day) <= 32
    with city.db.write() as s:
        counters = dict(s.execute(select(CodeCounterRow.day, CodeCounterRow.last)).all())
        for day, seqs in per_day.items():
            assert sorted(seqs) == list(range(1, len(seqs) + 1))
            assert counters[day] == len(seqs)
        today = NOW.astimezone(tz).strftime("%Y%m%d")
        assert store.next_code(NOW, tz, session=s) == f"{today}{counters[today] + 1:05d}"
        s.rollback()
    # Codes follow report time within a day.
    by_code = sorted(incidents, key=lambda i: i.code)
    assert [i.reported_at for i in by_code] == sorted(i.reported_at for i in incidents)


def test_every_history_row_is_the_replay_of_its_events(city: Any) -> None:
    incidents = all_incidents(city)
    events = events_by_incident(city)
    sample = random.Random(1).sample(incidents, 400)
    for incident in sample:
        assert replay(events[incident.id]) == incident, incident.code


def test_history_events_are_in_time_order_none_after_now_and_close_only_by_verify_pass(city: Any) -> None:
    incidents = {i.id: i for i in all_incidents(city)}
    for iid, evs in events_by_incident(city).items():
        assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
        assert evs[0].action == "created" and evs[0].at == incidents[iid].reported_at
        times = [e.at for e in evs]
        assert times == sorted(times) and times[-1] <= NOW
        for a, b in zip(evs, evs[1:]):
            assert b.from_state == a.to_state  # each event starts where the previous one left it
        closing = [e for e in evs if e.to_state == State.CLOSED.value and e.from_state != State.CLOSED.value]
        assert all(e.action == "verify_pass" and e.actor == "verifier" for e in closing)
        if incidents[iid].state == State.CLOSED:
            assert closing and incidents[iid].closed_at == closing[-1].at
            assert any(e.action == "resolve" for e in evs)


def test_history_has_the_mix_of_a_real_city(city: Any) -> None:
    incidents = all_incidents(city)
    n = len(incidents)
    assert 80 * 28 <= n <= 120 * 31
    states = {s: sum(1 for i in incidents if i.state == s) for s in State}
    assert states[State.CLOSED] > 0.85 * n
    assert 0.01 < states[State.REJECTED] / n < 0.06 and states[State.MERGED] > 0
    assert states[State.IN_PROGRESS] + states[State.DISPATCHED] + states[State.RESOLVED] > 20
    assert all(i.merged_into for i in incidents if i.state == State.MERGED)
    assert 0.03 < sum(1 for i in incidents if i.rework_count) / n < 0.15
    sev = {s: sum(1 for i in incidents if i.severity.value == s) / n for s in ("urgent", "high")}
    assert 0.03 < sev["urgent"] < 0.08 and 0.15 < sev["high"] < 0.3
    core = {c.code for c in city.grid.cells if c.kind == "core"}
    assert 0.7 < sum(1 for i in incidents if i.grid in core) / n < 0.8
    assert all(city.grid.locate_one(i.lon, i.lat) == i.grid for i in incidents[:300])
    hours = [i.reported_at.astimezone(city.settings.tz).hour for i in incidents]
    assert sum(1 for h in hours if 8 <= h < 12) > 5 * sum(1 for h in hours if 0 <= h < 4)
    assert len({i.channel for i in incidents}) >= 5
    with city.db.read() as s:
        actions = dict(s.execute(select(EventRow.action, func.count()).group_by(EventRow.action)).all())
    assert actions["return"] > 0.02 * n and actions["escalate"] > 0.04 * n and actions["callback"] > 0
    closed = [i for i in incidents if i.state == State.CLOSED]
    ontime = sum(1 for i in closed if i.resolved_at <= i.deadline) / len(closed)
    assert 0.75 < ontime < 0.95


def test_kpi_snapshot_of_the_demo_city_is_non_trivial(city: Any) -> None:
    k = city.kpis()
    assert k["intake_today"] > 30 and k["open"] > 30 and k["closed_today"] > 30 and k["overdue"] > 0
    assert 0.5 < k["ontime_rate"] < 1.0


# -- lease and simulator ----------------------------------------------------------------------------


def test_only_one_holder_gets_the_lease_until_it_expires(fresh: Any) -> None:
    db = fresh.db
    assert demo.acquire_lease(db, "simulator", "a", NOW)
    assert not demo.acquire_lease(db, "simulator", "b", NOW + timedelta(seconds=1))
    assert demo.acquire_lease(db, "simulator", "a", NOW + timedelta(seconds=20))  # renewal moves expiry
    assert not demo.acquire_lease(db, "simulator", "b", NOW + timedelta(seconds=45))
    assert demo.acquire_lease(db, "simulator", "b", NOW + timedelta(seconds=51))  # a's lease lapsed
    assert not demo.acquire_lease(db, "simulator", "a", NOW + timedelta(seconds=52))
    demo.release_lease(db, "simulator", "b")
    assert demo.acquire_lease(db, "simulator", "a", NOW + timedelta(seconds=53))
    assert demo.acquire_lease(db, "sweep", "b", NOW)  # leases are per name


def test_simulate_once_reports_through_intake_publishes_and_moves_incidents_on(fresh: Any) -> None:
    rng = random.Random(5)
    first = demo.simulate_once(fresh, rng, NOW)
    code = first["created"]
    assert code and code.startswith("20261125") and first["errors"] == []
    assert any(m["action"] == "created" and m["incident"]["code"] == code for m in fresh.published)
    before = fresh.incidents.get(code)
    later = NOW + timedelta(hours=1)
    for _ in range(4):  # each tick moves every eligible incident on by one step
        demo.simulate_once(fresh, rng, later)
        later += timedelta(hours=1)
    after = fresh.incidents.get(code)
    assert after.version > before.version
    actions = [e.action for e in fresh.incidents.timeline(code)]
    assert actions[0] == "created" and len(actions) >= 4
    assert len(fresh.published) > 5


def test_simulate_once_survives_a_human_acting_first(fresh: Any, monkeypatch: Any) -> None:
    rng = random.Random(2)
    code = demo.simulate_once(fresh, rng, NOW)["created"]
    later = NOW + timedelta(hours=1)
    stale = demo._candidates(fresh, later, 1.0, 5, rng)
    assert [r.code for r in stale] == [code]
    incident = fresh.incidents.get(code)
    operator = Actor("operator", Role.OPERATOR)
    if incident.state == State.REPORTED:
        fresh.incidents.act(code, "reject", operator, incident.version, later, payload={"reason": "human"})
    else:
        fresh.incidents.act(code, "note", operator, incident.version, later, payload={"text": "human"})
    monkeypatch.setattr(demo, "_candidates", lambda *a, **k: stale)
    result = demo.simulate_once(fresh, rng, later)
    assert result["created"] and result["acted"] == [] and code in result["errors"][0]


def test_run_simulator_holds_the_lease_ticks_and_stops_promptly(tmp_path: Path, template_db: Path) -> None:
    ticked = threading.Event()
    services = make_services(copy_of(template_db, tmp_path, "run.db"), publish=lambda messages: ticked.set())
    stop = threading.Event()
    thread = threading.Thread(target=demo.run_simulator, args=(services, stop), daemon=True)
    thread.start()
    try:
        assert ticked.wait(10), "the simulator reported nothing"
        assert not demo.acquire_lease(services.db, "simulator", "someone-else", NOW)
    finally:
        stop.set()
        thread.join(3)
    assert not thread.is_alive()
    # A clean stop gives the lease back at once.
    with services.db.read() as s:
        assert s.scalar(select(LeaseRow.expires_at).where(LeaseRow.name == "simulator")) < NOW
    assert demo.acquire_lease(services.db, "simulator", "someone-else", NOW)
    services.db.dispose()


# -- PostgreSQL ---------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_history_and_lease_on_postgresql(pg_seeded_url: str) -> None:
    """Ids come from the sequence (the app's next insert does not collide), codes continue, lease works."""
    services = make_services(pg_seeded_url)
    try:
        result = demo.generate_history(services, months=1, now=NOW - timedelta(days=7))
        assert result["incidents"] > 2000
        incidents = all_incidents(services)
        events = events_by_incident(services)
        for incident in random.Random(3).sample(incidents, 200):
            assert replay(events[incident.id]) == incident
        report = {"category": "20102", "severity": "normal", "description": "demo",
                  "lon": services.grid.cells[0].lon, "lat": services.grid.cells[0].lat}
        made = services.dispatch.intake(report, Actor("operator", Role.OPERATOR), Channel.HOTLINE, NOW)
        assert made.incident.id > max(i.id for i in incidents)
        assert made.incident.code == NOW.astimezone(services.settings.tz).strftime("%Y%m%d") + "00001"
        assert demo.acquire_lease(services.db, "simulator", "a", NOW)
        assert not demo.acquire_lease(services.db, "simulator", "b", NOW)
        assert demo.acquire_lease(services.db, "simulator", "b", NOW + timedelta(minutes=1))
    finally:
        services.db.dispose()
