"""Scale-out: two real app processes on one PostgreSQL database and one Redis, as deployed.

Process A runs ``python app.py``, process B the production command (gunicorn, one worker, threads,
``app:wsgi()``). An incident created through A's JSON API is read through B and pushed to a Socket.IO
client connected to B (over a websocket); the escalation sweep runs in both, under one lease, and sends
each step exactly once.
"""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select

from appproc import AppProcess, base_env, bearer, create_users, session
from factories import WATER_COVER, report
from incidents.records import EventRow, IncidentRow, LeaseRow

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _wait(predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def cluster(pg_url: str, redis_url: str, tmp_path) -> Any:
    pytest.importorskip("gunicorn", reason="gunicorn is not installed (it is in the test extra)")
    env = base_env(pg_url, REDIS_URL=redis_url, CITYOPS_SOCKETIO_CHANNEL=f"cityops-test-{uuid.uuid4().hex[:8]}",
                   CITYOPS_SWEEP_EVERY_S="1", CITYOPS_PUSH_WINDOW_MS="20")
    create_users(env, "wall")  # also the deploy step: migrates the fresh database once
    a = AppProcess(env, tmp_path)
    b = AppProcess(env, tmp_path, gunicorn=True)
    try:
        yield a.wait_ready(), b.wait_ready(), env
    finally:
        for p in (a, b):
            p.stop()


def test_an_incident_made_through_a_is_read_and_pushed_through_b(cluster):
    import socketio

    a, b, env = cluster
    wall = session(b.base, "wall")
    deltas: list[dict[str, Any]] = []
    got = threading.Event()
    client = socketio.Client(http_session=wall, reconnection=False)

    @client.on("delta")
    def _delta(data: dict[str, Any]) -> None:
        deltas.append(data)
        got.set()

    client.connect(b.base, transports=["websocket"], wait_timeout=10)
    try:
        assert client.transport() == "websocket"
        r = requests.post(f"{a.base}/api/v1/incidents", json=report(WATER_COVER), headers=bearer(), timeout=10)
        assert r.status_code == 201
        code = r.json()["code"]
        read = requests.get(f"{b.base}/api/v1/incidents/{code}", headers=bearer(), timeout=10)
        assert read.status_code == 200 and read.json()["state"] == "dispatched"
        _wait(lambda: any(code in str(d) for d in deltas))
    finally:
        client.disconnect()
    metrics = requests.get(f"{b.base}/metrics", timeout=10).text
    assert 'cityops_incidents{state="dispatched"} 1.0' in metrics
    assert requests.get(f"{b.base}/readyz", timeout=10).json()["checks"] == {"store": "ok", "redis": "ok"}


def test_the_escalation_sweep_runs_under_one_lease_and_sends_each_step_once(cluster):
    a, b, env = cluster
    r = requests.post(f"{a.base}/api/v1/incidents", json=report(WATER_COVER), headers=bearer(), timeout=10)
    code, version = r.json()["code"], r.json()["version"]
    past = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat()
    moved = requests.post(f"{b.base}/api/v1/incidents/{code}/actions", headers=bearer(), timeout=10,
                          json={"action": "deadline_changed", "version": version, "deadline": past})
    assert moved.status_code == 200, moved.text
    engine = create_engine(env["DATABASE_URL"])
    try:
        def steps() -> list[str]:
            with engine.connect() as c:
                iid = c.scalar(select(IncidentRow.id).where(IncidentRow.code == code))
                return [p.get("step") for p in c.scalars(select(EventRow.payload).where(
                    EventRow.incident_id == iid, EventRow.action == "escalate"))]

        _wait(lambda: "overdue" in steps(), timeout=30)
        time.sleep(3)  # three more sweep periods in both processes: nothing may be sent twice
        sent = steps()
        assert len(sent) == len(set(sent)) and "overdue" in sent
        with engine.connect() as c:
            holder = c.scalar(select(LeaseRow.holder).where(LeaseRow.name == "escalation"))
        pids = {a.pid, b.pid} | {int(line.split()[0]) for line in _children(b.pid)}
        assert int(holder.split(":")[1]) in pids
        holds = [p for p in (a, b) if "holds the lease" in p.log()]
        assert len(holds) == 1, [p.log()[-500:] for p in (a, b)]
    finally:
        engine.dispose()


def _children(pid: int) -> list[str]:
    """gunicorn's worker is a child of the arbiter we started: its pid holds the lease."""
    import subprocess

    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]
