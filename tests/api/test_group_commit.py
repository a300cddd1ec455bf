"""Group commit of API creates: many concurrent requests (Flask test clients in threads) share one writer
transaction, every acknowledged create is stored exactly once, and an Idempotency-Key holds under
concurrency — on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import threading
from concurrent.futures import Future
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import func, select

import app as cityops_app
from channels_helpers import TOKENS, bearer
from factories import T0, WATER_COVER, point
from incidents.group_commit import GroupCommitter
from incidents.model import Actor, Channel, Role
from incidents.records import IdempotencyKeyRow, IncidentRow

THREADS, PER_THREAD = 8, 6


@pytest.fixture
def group_app(db_url: str, settings_factory: Any, clock: Any) -> Iterator[Any]:
    dash_app = cityops_app.create_app(settings_factory(database_url=db_url, api_tokens=TOKENS, api_group_commit=50),
                                      clock, background=False)
    assert dash_app.services.channels.committer is not None
    yield dash_app
    dash_app.services.channels.committer.close()
    dash_app.services.broadcaster.flush()  # the push window's timer must not query a dropped database
    dash_app.services.db.dispose()


def _in_threads(n: int, job: Callable[[int], Any]) -> list[Any]:
    """Run ``job(i)`` in ``n`` threads released together; results in thread order."""
    start = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        start.wait()
        out[i] = job(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def _body(text: str) -> str:
    lon, lat = point(east_m=0.0)
    return json.dumps({"category": WATER_COVER, "description": text, "lon": lon, "lat": lat})


def _count(app: Any, *where: Any) -> int:
    with app.services.db.read() as s:
        return s.scalar(select(func.count()).select_from(IncidentRow).where(*where)) or 0


def test_every_acknowledged_concurrent_create_is_stored_exactly_once(group_app: Any) -> None:
    before = _count(group_app)

    def client_loop(i: int) -> list[tuple[int, str, str]]:
        client = group_app.server.test_client()
        out = []
        for k in range(PER_THREAD):
            text = f"并发上报 {i}-{k}"
            r = client.post("/api/v1/incidents", data=_body(text), headers=bearer(), content_type="application/json")
            out.append((r.status_code, r.get_json()["code"], text))
        return out

    answers = [a for batch in _in_threads(THREADS, client_loop) for a in batch]
    assert {status for status, _, _ in answers} == {201}
    codes = [code for _, code, _ in answers]
    assert len(set(codes)) == THREADS * PER_THREAD
    assert _count(group_app) - before == THREADS * PER_THREAD
    for _, code, text in answers:  # each answer names the row that holds its own report, once
        assert _count(group_app, IncidentRow.code == code, IncidentRow.description == text) == 1
    committer = group_app.services.channels.committer
    assert committer.writes >= THREADS * PER_THREAD and committer.commits <= committer.writes


def test_one_idempotency_key_sent_concurrently_makes_one_incident(group_app: Any) -> None:
    body = _body("同一个键的并发重试")

    def send(_i: int) -> tuple[int, str, str | None]:
        r = group_app.server.test_client().post("/api/v1/incidents", data=body, content_type="application/json",
                                                 headers={**bearer(), "Idempotency-Key": "retry-42"})
        return r.status_code, r.get_json()["code"], r.headers.get("Idempotent-Replayed")

    answers = _in_threads(THREADS, send)
    assert sorted(status for status, _, _ in answers) == [200] * (THREADS - 1) + [201]
    assert len({code for _, code, _ in answers}) == 1
    assert all(replayed == "true" for status, _, replayed in answers if status == 200)
    assert _count(group_app, IncidentRow.description == "同一个键的并发重试") == 1
    with group_app.services.db.read() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyKeyRow)) == 1


def test_a_refused_write_rolls_back_alone_and_the_rest_of_its_group_commits(services: Any) -> None:
    """Writes handed to the writer in one batch: the failing one gets its own error, the others land."""
    committer = GroupCommitter(services.incidents, 10)
    lon, lat = point()
    draft = services.dispatch.parse({"category": WATER_COVER, "description": "组提交", "lon": lon, "lat": lat},
                                    Channel.API, T0)
    actor = Actor("feeder", Role.OPERATOR)

    def good(uow: Any) -> str:
        return uow.create(draft, actor).code

    def bad(uow: Any) -> str:
        uow.create(draft, actor)
        raise ValueError("refused after writing")

    jobs: list[tuple[Any, Any, Future[Any]]] = [(T0, w, Future()) for w in (good, bad, good)]
    committer._write(jobs)  # one batch, as the writer thread would take it
    first, refused, third = (f for _, _, f in jobs)
    assert isinstance(refused.exception(), ValueError)
    codes = [first.result(), third.result()]
    assert sorted(i.code for i in services.incidents.list()) == sorted(codes)
    assert committer.commits == 1 and committer.writes == 3
