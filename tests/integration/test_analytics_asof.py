"""Month-start snapshots (incidents/asof.py): the views "as of" a local month start read the snapshot instead of
folding the incidents with later events, and give the fold's numbers; the snapshot the writes kept equals
one built from the event log; a rebuild across a month marks it dirty (the views fold) until it is rebuilt."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from incidents import analytics, asof, milestones, rollup
from incidents.analytics import Filters
from incidents.asof_upkeep import upkeep_pass
from incidents.bulk import bulk_create
from incidents.model import Role
from incidents.records import AsofMonthRow, DailyAsofRow, GroupAsofRow, MilestoneRow
from tests.integration.test_analytics_group_rollup import _local, _same_dashboards, _same_tables
from tests.integration.test_analytics_rollup import _diff
from tests.factories import actor
from tests.integration.test_milestones_summary import _draft, walk


def _snapshots(s: Any) -> dict[tuple, list[int]]:
    out = {}
    for T, key, cols in ((DailyAsofRow, asof.SKEY, asof.SCOLUMNS), (GroupAsofRow, asof.SGKEY, asof.SGCOLUMNS)):
        for r in s.execute(select(T)).scalars():
            v = [getattr(r, c) for c in cols]
            if any(v):
                out[(T.__tablename__, *[getattr(r, c) for c in key])] = v
    return out


def _month_starts(moments: list[datetime], tz: Any) -> list[date]:
    first, last = moments[0].astimezone(tz).date(), moments[-1].astimezone(tz).date()
    out, d = [], date(first.year, first.month, 1)
    while True:
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        if d > last:
            return out
        out.append(d)


def _same_as_of(services: Any, d: date, *, snapshot: bool) -> None:
    """The tables, trends and dashboards of periods ending at month start ``d``, as of ``d``: from the rollups
    (through its snapshot when ``snapshot``, else by folding the late incidents) equal to the fold."""
    tz = services.settings.tz
    t = _local(tz, d)
    with services.db.read() as s:
        day = rollup.DayOf(tz)
        late = analytics._late(t, milestones.us(t), Filters(), day, session=s)
        assert late is not None and (late.snap is not None) == snapshot
        for days in (7, 10, 31):
            start = _local(tz, d - timedelta(days=days))
            assert _same_tables(s, start, t, t, answers=True) > 0
            for freq in ("day", "week", "month"):
                fast = analytics.trend(start, t, freq, t, Filters(), tz, session=s)
                assert _diff(fast, analytics.trend(start, t, freq, t, Filters(), tz, session=s, source="fold")) == []
        for filters in (Filters(), Filters(district=220303), Filters(category="101")):
            _same_dashboards(s, _local(tz, d - timedelta(days=10)), t, t, tz, filters)


def test_views_as_of_a_month_start_read_the_snapshot_the_writes_kept(db_services: Any) -> None:
    services = db_services
    moments = walk(services)  # ~2 months: crosses two month starts
    tz = services.settings.tz
    months = _month_starts(moments, tz)
    assert len(months) >= 1
    with services.db.read() as s:
        kept = _snapshots(s)
        late = {r.asof: r for r in s.execute(select(AsofMonthRow)).scalars()}
    dns = [d.toordinal() - date(1970, 1, 1).toordinal() for d in months]
    assert {dn: late[dn].state for dn in dns} == {dn: "ready" for dn in dns}  # followed since the first write
    # the writes moved rows before each month start, and counted incidents with later events
    for dn in dns:
        assert sum(v[-2] for k, v in kept.items() if k[0] == "analytics_group_asof" and k[1] == dn) > 0
        assert sum(1 for k in kept if k[1] == dn and k[0] == "analytics_daily_asof") > 0
    # a bulk import after the last month start of reports made before it: not there as of then
    last = _local(tz, months[-1])
    rng = random.Random(3)
    with services.db.write.begin() as s:
        bulk_create([_draft(rng, last - timedelta(days=k + 1)) for k in range(4)], actor(Role.OPERATOR),
                    moments[-1] + timedelta(hours=1), tz, session=s)
    with services.db.read() as s:
        kept = _snapshots(s)
    for d in months:
        _same_as_of(services, d, snapshot=True)
    with services.db.write.begin() as s:  # built from the event log: the same rows
        assert set(asof.build(dns, session=s)) == set(dns)
    with services.db.read() as s:
        assert _snapshots(s) == kept


def test_a_rebuild_across_a_month_start_folds_until_the_month_is_built_again(db_services: Any) -> None:
    services = db_services
    moments = walk(services, steps=300)
    tz = services.settings.tz
    d = _month_starts(moments, tz)[0]
    t = milestones.us(_local(tz, d))
    dn = d.toordinal() - date(1970, 1, 1).toordinal()
    M = MilestoneRow
    with services.db.write.begin() as s:  # an incident with events on both sides of the month start
        iid = s.scalar(select(M.incident_id).where(M.reported < t, M.last_at > t).limit(1))
        assert iid is not None
        milestones.rebuild(session=s, ids=[iid])
    with services.db.read() as s:
        assert s.scalar(select(AsofMonthRow.state).where(AsofMonthRow.asof == dn)) == "dirty"
        assert asof.ready(t, session=s) is None
    _same_as_of(services, d, snapshot=False)  # folded, exact
    assert set(upkeep_pass(services.db)) == {dn}  # the background upkeep builds the dirty one
    with services.db.read() as s:
        assert asof.ready(t, session=s) == dn
    _same_as_of(services, d, snapshot=True)


def test_months_never_built_fold_until_the_upkeep_builds_them_dirty_first_then_newest(services: Any, capsys: Any) -> None:
    """A history older than the writes' following (the migration builds only the latest months): its month
    starts fold, exactly, until the background upkeep — one month per pass — or the CLI builds them."""
    import app

    moments = walk(services, steps=400)
    tz = services.settings.tz
    months = _month_starts(moments, tz)
    assert len(months) >= 2
    dns = [d.toordinal() - date(1970, 1, 1).toordinal() for d in months]
    with services.db.read() as s:
        kept = _snapshots(s)
    with services.db.write.begin() as s:
        asof.reset(session=s, build_now=False)  # followed from now on; nothing before built
    with services.db.read() as s:
        assert asof.pending(session=s) == dns[::-1]  # the newest first
    with services.db.write.begin() as s:
        asof.invalidate(milestones.us(_local(tz, months[0])) - 1, milestones.us(_local(tz, months[0])), session=s)
    with services.db.read() as s:
        assert asof.pending(session=s) == [dns[0]] + dns[:0:-1]  # a dirty one before them
    _same_as_of(services, months[0], snapshot=False)
    with services.db.read() as s:
        late = [asof.late_count(dn, session=s) for dn in dns]
        assert min(late) > 3 and asof.late_count(dns[0], session=s, limit=2) == 3
    assert upkeep_pass(services.db, max_late=min(late) - 1) == {}  # too big for a background pass: left
    assert upkeep_pass(services.db, max_late=late[0]) == {dns[0]: late[0]}  # one month per pass
    with services.db.read() as s:
        assert [asof.ready(milestones.us(_local(tz, d)), session=s) for d in months] == [dns[0]] + [None] * (len(dns) - 1)
    _same_as_of(services, months[0], snapshot=True)
    _same_as_of(services, months[-1], snapshot=False)
    assert app.snapshots_command(services) == 0  # `python app.py analytics-snapshots`: the rest at once
    out = capsys.readouterr().out
    assert f"{len(dns) - 1} month-start snapshots built" in out and months[-1].isoformat() in out
    _same_as_of(services, months[-1], snapshot=True)
    assert upkeep_pass(services.db) == {}
    with services.db.read() as s:
        assert asof.pending(session=s) == []
        assert _snapshots(s) == kept  # the same rows the writes had kept
    app.snapshots_command(services)
    assert "every month-start snapshot is ready" in capsys.readouterr().out


def test_the_background_upkeep_builds_a_pending_month_under_its_lease_and_stops(services: Any, caplog: Any) -> None:
    import threading
    import time

    from incidents.asof_upkeep import LEASE_NAME, run_upkeep
    from incidents.records import LeaseRow

    tz = services.settings.tz
    feb = _local(tz, date(2026, 2, 1))
    with services.incidents.unit(feb - timedelta(days=2)) as uow:
        inc = uow.create(_draft(random.Random(2), feb - timedelta(days=2)), actor(Role.OPERATOR))
    with services.incidents.unit(feb + timedelta(days=1)) as uow:
        uow.act(uow.get(inc.code), "file", actor(Role.OPERATOR), inc.version)
    with services.db.write.begin() as s:
        asof.reset(session=s, build_now=False)
    dn = date(2026, 2, 1).toordinal() - date(1970, 1, 1).toordinal()
    with services.db.read() as s:
        assert asof.pending(session=s) == [dn] and asof.ready(milestones.us(feb), session=s) is None
    def run(max_late: int) -> tuple[threading.Event, threading.Thread]:
        services.settings.asof_upkeep_max_late = max_late
        stop = threading.Event()
        worker = threading.Thread(target=run_upkeep, args=(services, stop, 0.05))
        worker.start()
        return stop, worker

    stop, worker = run(0)  # the month has one incident to fold: too many for this bound
    try:
        deadline = time.monotonic() + 30
        while "left to `python app.py analytics-snapshots`" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "analytics snapshot of 2026-02-01 left to" in caplog.text
    finally:
        stop.set()
        worker.join(timeout=10)
    with services.db.read() as s:
        assert asof.pending(session=s) == [dn]
    stop, worker = run(5000)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with services.db.read() as s:
                if asof.ready(milestones.us(feb), session=s) == dn:
                    break
            time.sleep(0.05)
        with services.db.read() as s:
            assert asof.ready(milestones.us(feb), session=s) == dn and asof.pending(session=s) == []
            assert s.scalar(select(LeaseRow.name).where(LeaseRow.name == LEASE_NAME)) == LEASE_NAME
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()


def test_an_event_before_its_incidents_last_marks_the_months_between_dirty(services: Any) -> None:
    """Out of time order (a clock set back): the snapshot cannot replay it, so the months between fold."""
    tz = services.settings.tz
    feb = _local(tz, date(2026, 2, 1))
    rng = random.Random(1)
    with services.incidents.unit(feb - timedelta(days=2)) as uow:
        inc = uow.create(_draft(rng, feb - timedelta(days=2)), actor(Role.OPERATOR))
    with services.incidents.unit(feb + timedelta(days=1)) as uow:  # late for February: followed
        inc = uow.act(uow.get(inc.code), "file", actor(Role.OPERATOR), inc.version)
    dn = date(2026, 2, 1).toordinal() - date(1970, 1, 1).toordinal()
    with services.db.read() as s:
        assert asof.ready(milestones.us(feb), session=s) == dn
    with services.incidents.unit(feb - timedelta(hours=5)) as uow:  # before its last event
        uow.act(uow.get(inc.code), "dispatch", actor(Role.OPERATOR), inc.version, department="SWJ",
                deadline=feb + timedelta(hours=20))
    with services.db.read() as s:
        assert asof.ready(milestones.us(feb), session=s) is None
        assert s.scalar(select(AsofMonthRow.state).where(AsofMonthRow.asof == dn)) == "dirty"
        start = _local(tz, date(2026, 1, 20))
        assert _same_tables(s, start, feb, feb, answers=True) > 0


def test_months_in_and_month_start_follow_the_local_calendar() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    day = rollup.DayOf(tz)
    us = milestones.us
    feb = us(datetime(2026, 2, 1, tzinfo=tz))
    assert asof.month_start(feb, day) == date(2026, 2, 1).toordinal() - date(1970, 1, 1).toordinal()
    assert asof.month_start(feb + 1, day) is None
    assert asof.month_start(us(datetime(2026, 2, 1, tzinfo=timezone.utc)), day) is None  # UTC midnight ≠ local
    lo = day(us(datetime(2026, 1, 20, tzinfo=tz)))
    assert [t for _dn, t in asof.months_in(day, lo, us(datetime(2026, 3, 1, 0, 0, 1, tzinfo=tz)))] == [
        feb, us(datetime(2026, 3, 1, tzinfo=tz))]
    assert asof.months_in(day, lo, feb) == []  # strictly before the moment
    assert asof.months_in(day, day(feb), feb + 1) == [(day(feb), feb)]
