"""The ``analytics_group_daily`` rollup (incidents/rollup.py): group tables, the category mix and the whole
dashboard summed from it equal the fold of the candidates' summary rows — the same groups in the same order,
the same numbers — on a seeded walk through the real services (SQLite and PostgreSQL) and on a hand-built log
with an "as of" in the past and later events; the maintained table equals a rebuild and the migration's
backfill."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from incidents import analytics, rollup
from incidents.analytics import GROUPS, Filters
from incidents.records import GroupRollupRow
from tests.factories import CORE_CELL
from tests.integration.test_analytics_rollup import _hand_log, _later, benchmark_module, rebuild, u
from tests.integration.test_milestones_summary import walk


def _diff(fast: list[dict[str, Any]], slow: list[dict[str, Any]]) -> list[tuple[int, str, Any, Any]]:
    """(row, key, fast, slow) of every difference. Means: the rollup sums integer µs, the fold float hours, so
    a mean measure (4 places) may differ by a unit and an indicator rounded to 2 places by 0.01 (a value
    on the rounding boundary)."""
    assert len(fast) == len(slow)
    out = []
    for k, (a, b) in enumerate(zip(fast, slow)):
        assert a.keys() == b.keys()
        for key in a:
            x, y = a[key], b[key]
            if isinstance(x, float) and isinstance(y, float) and key.endswith("hours") and abs(x - y) <= (
                    1.5e-4 if key in ("filing_hours", "handling_hours") else 0.0100001):
                continue
            if x != y:
                out.append((k, key, x, y))
    return out


def _stored(session: Any) -> dict[tuple, list[int]]:
    out = {}
    for r in session.execute(select(GroupRollupRow)).scalars():
        v = [getattr(r, c) for c in rollup.GCOLUMNS]
        if any(v):
            out[tuple(getattr(r, c) for c in rollup.GKEY)] = v
    return out


def _local(tz: Any, d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(timezone.utc)


#: per group, the filters its rollup rows can apply (district always; its own dim; one dim for districts)
FILTERS = {"district": (Filters(), Filters(district=220302), Filters(category="10101"), Filters(department="SWJ")),
           "grid": (Filters(), Filters(district=220303), Filters(grid=CORE_CELL)),
           "department": (Filters(), Filters(district=220302), Filters(department="SWJ")),
           "category": (Filters(), Filters(district=220303), Filters(category="101"))}


def _same_tables(s: Any, start: datetime, end: datetime, as_of: datetime, *, answers: bool) -> int:
    """Every group table from the rollup equals the fold's; returns how many the rollup answered."""
    defs = analytics.load()
    n = 0
    for by in GROUPS:
        for filters in FILTERS[by]:
            fast = analytics.rollup_groups(start, end, as_of, filters, by, session=s, defs=defs)
            slow = analytics.indicator_table(start, end, as_of, filters, session=s, by=by, source="fold")
            if answers:
                assert fast is not None, (by, filters)
            if fast is not None:
                n += 1
                assert [r[by] for r in fast] == [r[by] for r in slow], (start, end, as_of, by, filters)
                assert _diff(fast, slow) == [], (start, end, as_of, by, filters)
                assert analytics.indicator_table(start, end, as_of, filters, session=s, by=by) == fast
    return n


def _same_dashboards(s: Any, start: datetime, end: datetime, as_of: datetime, tz: Any,
                     filters: Filters) -> None:
    """The dashboard equals the fold's; from the rollup unless a filter is one of the group dims (a grid table
    filtered by category cannot come from the grid rows: the whole dashboard folds)."""
    answers = not (filters.category or filters.grid or filters.department)
    for freq in ("day", "week", "month"):
        edges = analytics._edges(start, end, freq, tz)
        fast_ = analytics._dashboard_rollup(start, end, edges, as_of, filters, tz, session=s, defs=analytics.load())
        assert (fast_ is not None) == answers, (freq, filters)
        fast = analytics.dashboard(start, end, freq, as_of, filters, tz, session=s, last_year=False)
        slow = analytics.dashboard(start, end, freq, as_of, filters, tz, session=s, last_year=False, source="fold")
        assert fast.keys() == slow.keys()
        assert _diff(fast["trend"], slow["trend"]) == [], (freq, as_of, filters)
        assert _diff([fast["total"]], [slow["total"]]) == [], (freq, as_of, filters)
        for by in GROUPS:
            assert [r[by] for r in fast[by]] == [r[by] for r in slow[by]], (freq, as_of, filters, by)
            assert _diff(fast[by], slow[by]) == [], (freq, as_of, filters, by)
        assert fast["mix"] == slow["mix"], (freq, as_of, filters)


def test_the_maintained_group_rollup_equals_a_rebuild_and_its_tables_equal_the_fold(db_services: Any) -> None:
    services = db_services
    moments = walk(services)
    tz = services.settings.tz
    with services.db.read() as s:
        maintained = _stored(s)
    assert {k[0] for k in maintained} == set(rollup.DIMS)
    assert any(k[1] == rollup.TOTAL_DAY for k in maintained)  # the never-resolved overdue totals
    rebuild(services)
    with services.db.read() as s:
        assert _stored(s) == maintained  # every write path (unit, group commit, bulk, reassign…) kept it exact
    first = moments[0].astimezone(tz).date()
    periods = [(first + timedelta(days=7), first + timedelta(days=14)),
               (first + timedelta(days=10), first + timedelta(days=31)),
               (first, moments[-1].astimezone(tz).date() + timedelta(days=1))]
    answered = 0
    with services.db.read() as s:
        for as_of in (moments[60], moments[150], moments[-30], moments[-1], moments[-1] + timedelta(days=3)):
            for d0, d1 in periods:
                start, end = _local(tz, d0), _local(tz, d1)
                answered += _same_tables(s, start, end, as_of, answers=as_of >= start)
        for as_of in (moments[150], moments[-1]):
            start, end = _local(tz, periods[1][0]), _local(tz, periods[1][1])
            for filters in (Filters(), Filters(district=220303), Filters(category="101")):
                _same_dashboards(s, start, end, as_of, tz, filters)
    assert answered > 100


def test_the_migration_backfills_what_the_writes_maintained(services: Any) -> None:
    """Migration 0014 run again on a database with history (down to 0013, up to the head): the same rows."""
    from alembic import command

    from incidents.db import alembic_config

    walk(services, seed=5, steps=160)
    with services.db.read() as s:
        maintained = _stored(s)
    assert len(maintained) > 50
    url = str(services.db.engine.url)
    with services.db.engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
        command.upgrade(cfg, "head")
    with services.db.read() as s:
        assert _stored(s) == maintained


def test_hand_built_group_tables_equal_the_fold_as_of_the_past_and_after_later_events(services: Any) -> None:
    _hand_log(services)
    tz = services.settings.tz
    feb, mar, week = (u(2, 1, -8), u(3, 1, -8)), (u(3, 1, -8), u(3, 8, -8)), (u(2, 23, -8), u(3, 2, -8))
    moments = (u(2, 27, 3), u(3, 2, 12), u(3, 5))

    def tables() -> dict[tuple, list[dict[str, Any]]]:
        out = {}
        with services.db.read() as s:
            for as_of in moments:
                for start, end in (feb, mar, week):
                    _same_tables(s, start, end, as_of, answers=as_of >= start)
                    for by in GROUPS:
                        out[(as_of, start, by)] = analytics.indicator_table(start, end, as_of, Filters(), session=s,
                                                                            by=by)
            _same_dashboards(s, feb[0], feb[1], moments[1], tz, Filters())
            _same_dashboards(s, week[0], week[1], moments[1], tz, Filters(district=220302))
        return out

    before = tables()
    dept = {r["department"]: r for r in before[(moments[2], feb[0], "department")]}
    assert set(dept) == {"", "SWJ"}  # T never dispatched: no department
    assert dept["SWJ"]["callbacks"] == 1 and dept["SWJ"]["overdue_open"] == 1  # Q's callback; S overdue
    _later(services)  # resolves, a reopen, an extension, a late callback, a new incident
    assert tables() == before  # the past as it stood then, whatever was recorded since
    with services.db.read() as s:
        after = analytics.indicator_table(*mar, u(3, 6, 12), Filters(), session=s, by="category")
        assert _diff(after, analytics.indicator_table(*mar, u(3, 6, 12), Filters(), session=s, by="category",
                                                      source="fold")) == []
        mix = analytics.rollup_mix(*mar, u(3, 6, 12), Filters(), session=s, defs=analytics.load())
        fold = analytics._mix(analytics.milestone_rows(mar[0], u(3, 6, 12), Filters(), session=s, end=mar[1],
                                                       strings=["category"]), *mar)
        assert mix == fold == analytics.category_mix(*mar, u(3, 6, 12), Filters(), session=s)
        assert sum(r["count"] for r in mix) == 3  # V W X
        maintained = _stored(s)
    rebuild(services)
    with services.db.read() as s:
        assert _stored(s) == maintained


def test_filters_the_group_rollup_cannot_apply_fall_back_to_the_fold(services: Any) -> None:
    _hand_log(services)
    defs = analytics.load()
    start, end, as_of = u(2, 1, -8), u(3, 1, -8), u(3, 5)
    with services.db.read() as s:
        for by, filters in (("department", Filters(grid="220303002001001")), ("grid", Filters(category="101")),
                            ("district", Filters(grid="220303002001001", department="SWJ"))):
            assert analytics.rollup_groups(start, end, as_of, filters, by, session=s, defs=defs) is None
            assert (analytics.indicator_table(start, end, as_of, filters, session=s, by=by)
                    == analytics.indicator_table(start, end, as_of, filters, session=s, by=by, source="fold"))
        assert analytics.rollup_groups(u(2, 1, -7), end, as_of, Filters(), "grid", session=s,
                                       defs=defs) is None  # not a local midnight
        assert analytics.rollup_mix(start, end, as_of, Filters(department="SWJ"), session=s, defs=defs) is None


def test_the_benchmarks_generator_fills_the_group_rollup_as_the_writes_would(services: Any) -> None:
    """The benchmark's vectorised generator writes the group rollup itself: it equals a rebuild, and last
    month's group tables and dashboard from it equal the fold (the benchmark's own views)."""
    bench = benchmark_module("bench_analytics_group_rollup")
    bench.generate(services, 3000, seed=12)
    tz = services.settings.tz
    with services.db.read() as s:
        generated = _stored(s)
    rebuild(services)
    with services.db.read() as s:
        assert _stored(s) == generated
        start, end = _local(tz, date(2026, 2, 1)), _local(tz, date(2026, 3, 1))
        for as_of in (bench.NOW, end - timedelta(days=3)):
            assert _same_tables(s, start, end, as_of, answers=True) == sum(len(f) for f in FILTERS.values())
        _same_dashboards(s, start, end, bench.NOW, tz, Filters(district=220302))
