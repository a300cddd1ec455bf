"""Archive move: finished incidents older than N days leave the live tables for ``incidents_archive`` /
``events_archive`` in batches, and every read that needs history (indicators "as of", search, caller
history, exports, an incident's timeline) answers exactly as before the move — on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import factories as f
from api.exchange_cli import main as cli
from incidents import exports
from incidents.analytics import Filters as AnFilters
from incidents.archive import read_archive
from incidents.followup import FollowupService
from incidents.model import Actor, Channel, Role
from incidents.records import EventArchiveRow, EventRow, IncidentArchiveRow, IncidentRow, OutboxRow
from incidents.search import Filters, SearchService

HANDLER = Actor("h1", Role.DEPT_HANDLER, "SWJ")
VERIFIER = Actor("v1", Role.VERIFIER)
PHOTOS = ["/uploads/2026/03/10/a1b2c3.jpg", "/uploads/2026/03/10/d4e5f6.jpg"]
LIST_COLUMNS = ["code", "category", "district", "grid", "department", "state", "phone", "reported_at", "deadline"]


def _intake(services, clock, east_m, phone="13800138000"):
    return services.dispatch.intake(f.report(grid=services.grid, east_m=east_m, reporter_phone=phone), f.operator(),
                                    Channel.HOTLINE, clock()).incident


def _closed(services, clock, east_m, *, phone="13800138000", satisfaction=None):
    inc = _intake(services, clock, east_m, phone)
    for action, actor, payload in (("acknowledge", HANDLER, None),
                                   ("resolve", HANDLER, {"note": "fixed", "photos": PHOTOS}),
                                   ("verify_pass", VERIFIER, None)):
        clock.advance(hours=1)
        inc = services.incidents.act(inc.code, action, actor, inc.version, clock(), payload=payload)
    if satisfaction:
        clock.advance(hours=2)
        inc = FollowupService(services.incidents).callback(inc.code, f.operator(), inc.version, clock(), reached=True,
                                                           satisfaction=satisfaction)
    return inc


def _history(services, clock):
    """Old work (closed with photos and callbacks, one rejected duplicate, one left running), then 200 days
    later some recent work; returns (start of history, old finished codes, old running code)."""
    t0 = clock()
    old = [_closed(services, clock, 300 * n, phone=f"1390000000{n % 2}",
                   satisfaction=("satisfied" if n % 2 else "dissatisfied")) for n in range(5)]
    running = _intake(services, clock, 4000)
    twin = _intake(services, clock, 4000)  # a duplicate candidate of ``running``: waits as reported
    assert twin.state.value == "reported"
    twin = services.incidents.act(twin.code, "reject", f.operator(), twin.version, clock(), payload={"reason": "dup"})
    clock.advance(days=200)
    for n in range(2):
        _closed(services, clock, 6000 + 300 * n, phone="13900000001")
    _intake(services, clock, 9000)
    return t0, [i.code for i in old] + [twin.code], running.code


def _views(services, t0, old_code):
    """Everything the issue asks to stay equal: indicator tables and trends as of several moments, a drill
    list and its CSV export, search, a caller's history, the API listing, an incident and its timeline."""
    an, now = services.analytics, services.clock()
    search = SearchService(services.db)
    start, end = t0 - timedelta(days=1), now + timedelta(days=1)
    out = {}
    for label, as_of in (("then", t0 + timedelta(hours=5)), ("later", t0 + timedelta(days=2)), ("now", now)):
        out[f"table-{label}"] = an.table(start, end, as_of)
        out[f"by-category-{label}"] = an.table(start, end, as_of, by="category")
        out[f"trend-{label}"] = an.trend(start, end, "month", as_of)
    out["old-period"] = an.table(t0, t0 + timedelta(days=1), now, AnFilters(), by="district")
    drill = an.drill(start, end, now, limit=100_000)
    out["drill"] = drill
    out["csv"] = exports.to_csv(drill, LIST_COLUMNS, LIST_COLUMNS, Role.LEADER)
    out["table-csv"] = exports.to_csv(out["table-now"], ["all", "to_close", "closed"], ["all", "a", "b"], Role.LEADER)
    out["an-timeline"] = an.timeline(old_code)
    out["find-code"] = search.search(old_code)
    out["find-phone"] = search.search("13900000001")
    out["find-text"] = search.search("测试路")
    out["caller"] = search.caller_history("13900000000")
    with services.db.read() as s:
        from incidents.search import search as api_search

        out["api-closed"] = api_search(Filters(states=["closed", "rejected"]), now, session=s, limit=100)
        out["api-all"] = api_search(Filters(), now, session=s, limit=3)
    out["get"] = services.incidents.get(old_code)
    out["timeline"] = services.incidents.timeline(old_code)
    return out


def _count(services, *where):
    with services.db.read() as s:
        return s.scalar(select(func.count()).select_from(where[0]).where(*where[1:]))


def test_moving_old_finished_incidents_keeps_every_view_equal(db_services, clock, tmp_path, capsys):
    services = db_services
    t0, finished, running = _history(services, clock)
    before = _views(services, t0, finished[0])
    assert before["caller"] and before["drill"] and before["timeline"]
    with services.db.read() as s:
        old_ids = list(s.scalars(select(IncidentRow.id).where(IncidentRow.code.in_(finished))))
        old_events = s.scalar(select(func.count()).select_from(EventRow).where(EventRow.incident_id.in_(old_ids)))
    path = tmp_path / "moved.jsonl.gz"

    assert cli(["archive", "--older-than-days", "100", "--batch", "2", "--export", str(path)],
               lambda: services) == 0
    assert f"{len(finished)} finished incidents" in capsys.readouterr().out

    # the live tables lost the rows, the archive tables hold them (events with their payloads: the photos)
    assert _count(services, IncidentRow, IncidentRow.id.in_(old_ids)) == 0
    assert _count(services, EventRow, EventRow.incident_id.in_(old_ids)) == 0
    assert _count(services, IncidentArchiveRow) == len(finished)
    assert _count(services, EventArchiveRow) == old_events
    assert _count(services, IncidentRow, IncidentRow.code == running) == 1  # still running: stays live
    with services.db.read() as s:
        resolves = s.scalars(select(EventArchiveRow.payload).where(EventArchiveRow.action == "resolve")).all()
    assert resolves and all(p["photos"] == PHOTOS for p in resolves)
    assert sorted(i["incident"]["code"] for i in read_archive(path)) == sorted(finished)

    after = _views(services, t0, finished[0])
    for key in before:
        assert after[key] == before[key], key

    # a second run finds nothing more; new work after the move does not reuse an archived id
    assert cli(["archive", "--older-than-days", "100"], lambda: services) == 0
    assert "0 finished incidents" in capsys.readouterr().out
    fresh = _intake(services, clock, 12000)
    assert fresh.id not in old_ids


def test_archive_move_refuses_an_age_inside_the_reopen_window(services, capsys):
    assert cli(["archive", "--older-than-days", str(services.settings.reopen_days - 1)], lambda: services) == 2
    assert "reopen window" in capsys.readouterr().err
    assert cli(["archive"], lambda: services) == 2


def test_incident_with_an_unsettled_outbox_message_waits(services, clock):
    t0, finished, _ = _history(services, clock)
    with services.db.write.begin() as s:
        iid = s.scalar(select(IncidentRow.id).where(IncidentRow.code == finished[0]))
        s.add(OutboxRow(key="k-test", department="SWJ", kind="webhook", incident_id=iid, event_seq=3, payload={},
                        status="dead", attempts=8, created_at=t0, next_at=t0, last_error="down"))
    assert cli(["archive", "--older-than-days", "100"], lambda: services) == 0
    assert _count(services, IncidentArchiveRow) == len(finished) - 1
    assert _count(services, IncidentRow, IncidentRow.id == iid) == 1


@pytest.mark.parametrize("batch", [1, 1000])
def test_each_batch_is_its_own_transaction_and_all_get_moved(services, clock, batch):
    _, finished, _ = _history(services, clock)
    from incidents.archive import move_finished

    assert move_finished(services.db, clock() - timedelta(days=100), batch=batch) == len(finished)
    assert _count(services, IncidentArchiveRow) == len(finished)
