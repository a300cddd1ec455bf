"""The ``incident_milestones`` summary against the event log it summarises, on SQLite and PostgreSQL.

A seeded random walk of lifecycle actions through the real services (unit of work, group commit, bulk
import, archive move) must leave a summary row equal to the fold of that incident's events for every
incident; and every indicator view read from the summary (the fast path) must equal the same view folded
from the events (the reference), for several "as of" moments including past ones. The vectorised period
computation is checked against the per-period masks it replaced.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest

from incidents import analytics, milestones
from incidents.analytics import Filters
from incidents.archive import move_finished
from incidents.bulk import bulk_create
from incidents.group_commit import GroupCommitter
from incidents.indicators import load
from incidents.intake import Draft
from incidents.lifecycle import TRANSITIONS
from incidents.model import Channel, Incident, Role, Severity, State
from tests.factories import CORE_CELL, GARBAGE, OTHER_CORE_CELL, WATER_COVER, actor, point

CATEGORIES = (WATER_COVER, GARBAGE, "10102")
CELLS = ((CORE_CELL, 220302), (OTHER_CORE_CELL, 220303))
#: a role allowed for each lifecycle action (the walk acts as that role)
ROLE = {"file": Role.OPERATOR, "reject": Role.OPERATOR, "merge": Role.OPERATOR, "dispatch": Role.OPERATOR,
        "return": Role.DEPT_HANDLER, "acknowledge": Role.DEPT_HANDLER, "resolve": Role.DEPT_HANDLER,
        "verify_pass": Role.VERIFIER, "verify_fail": Role.VERIFIER, "reopen": Role.OPERATOR}
START = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)


def _draft(rng: random.Random, at: datetime) -> Draft:
    cell, district = rng.choice(CELLS)
    lon, lat = point(cell)
    return Draft(category=rng.choice(CATEGORIES), severity=Severity.NORMAL, description="walk", lon=lon, lat=lat,
                 grid=cell, district=district, channel=Channel.HOTLINE, reported_at=at - timedelta(minutes=rng.randint(0, 90)),
                 reporter_phone="13800138000")


def _act(uow: Any, rng: random.Random, inc: Incident) -> Incident | None:
    """One random legal action or annotation on ``inc`` (None when nothing applies)."""
    now = uow.now
    options = [a for a, t in TRANSITIONS.items() if inc.state in t.sources and ROLE[a] in t.roles]
    if inc.state in (State.DISPATCHED, State.IN_PROGRESS):
        options += ["reassign", "extension_approve", "escalate"]
    if inc.state == State.CLOSED:
        options += ["callback", "callback"]
    options += ["note"]
    forward = [a for a in options if a in TRANSITIONS and a not in ("reject", "merge", "reopen")]
    weight = {"return": 0.2, "verify_fail": 0.35}
    action = (rng.choices(forward, [weight.get(a, 1.0) for a in forward])[0] if forward and rng.random() < 0.8
              else rng.choice(options))
    role = ROLE.get(action, Role.OPERATOR)
    kw: dict[str, Any] = {}
    if action in ("dispatch", "reassign"):
        kw = {"department": rng.choice(["SWJ", "CGJ", "GRID"]),
              "deadline": now + timedelta(hours=rng.choice([2, 8, 30, 70]))}
    elif action == "extension_approve":
        kw = {"deadline": (inc.deadline or now) + timedelta(hours=rng.choice([4, 24]))}
    elif action == "merge":
        kw = {"payload": {"into": "2026010100001"}}
    elif action == "escalate":
        role, kw = Role.SYSTEM, {"payload": {"step": "warn"}}
    elif action == "callback":
        kw = {"payload": {"reached": rng.random() < 0.8,
                          "satisfaction": rng.choice(["satisfied", "basically_satisfied", "dissatisfied"])}}
    return uow.act(inc, action, actor(role, department="SWJ"), inc.version, **kw)


def walk(services: Any, seed: int = 8, steps: int = 400) -> list[datetime]:
    """Seeded lifecycle history over ~40 days through the services; returns the moments it visited."""
    rng = random.Random(seed)
    now = START
    codes: list[str] = []
    moments = []
    committer = GroupCommitter(services.incidents)
    try:
        for k in range(steps):
            now += timedelta(minutes=rng.randint(20, 400))
            moments.append(now)
            if k % 50 == 25:  # a CSV-style bulk import of a few reports
                with services.db.write.begin() as s:
                    codes += bulk_create([_draft(rng, now) for _ in range(3)], actor(Role.OPERATOR), now,
                                         services.settings.tz, session=s)
                continue
            if not codes or rng.random() < 0.15:
                with services.incidents.unit(now) as uow:
                    codes.append(uow.create(_draft(rng, now), actor(Role.OPERATOR)).code)
                continue
            code = rng.choice(codes[-12:])  # the recent ones, so many get far along their lifecycle

            def work(uow: Any, code: str = code) -> Any:
                return _act(uow, rng, uow.get(code))

            if k % 3 == 0:  # some through group commit (savepoints), the rest in their own unit
                committer.run(now, work)
            else:
                with services.incidents.unit(now) as uow:
                    work(uow)
    finally:
        committer.close()
    return moments


def _summary_equals_fold(services: Any) -> None:
    with services.db.read() as s:
        stored, folded = milestones.read_all(session=s), milestones.folded(session=s)
    assert len(stored) == len(folded) > 30
    for a, b in zip(stored, folded):
        assert a == b, f"incident {a['incident_id']}: summary {a} != fold of its events {b}"


def _same(fast: Any, slow: Any) -> None:
    assert fast == slow


def test_summary_equals_the_event_fold_and_fast_views_equal_the_slow_ones(db_services: Any) -> None:
    services = db_services
    moments = walk(services)
    _summary_equals_fold(services)
    tz = services.settings.tz
    start, end = moments[40], moments[-1] + timedelta(days=1)
    with services.db.read() as s:
        for as_of in (moments[60], moments[150], moments[-30], moments[-1]):  # past moments and the last one
            for by in (None, *analytics.GROUPS):
                fast = analytics.indicator_table(start, end, as_of, Filters(), session=s, by=by)
                slow = analytics.indicator_table(start, end, as_of, Filters(), session=s, by=by, source="events")
                _same(fast, slow)
            for freq in ("day", "week"):
                _same(analytics.trend(start, end, freq, as_of, Filters(), tz, session=s),
                      analytics.trend(start, end, freq, as_of, Filters(), tz, session=s, source="events"))
            _same(analytics.dashboard(start, end, "day", as_of, Filters(district=220302), tz, session=s),
                  analytics.dashboard(start, end, "day", as_of, Filters(district=220302), tz, session=s,
                                      source="events"))
            dept = Filters(department="SWJ")
            _same(analytics.indicator_table(start, end, as_of, dept, session=s),
                  analytics.indicator_table(start, end, as_of, dept, session=s, source="events"))
            _same(analytics.trend(start, end, "day", as_of, dept, tz, session=s),
                  analytics.trend(start, end, "day", as_of, dept, tz, session=s, source="events"))


def test_the_summary_survives_an_archive_move_and_views_do_not_change(db_services: Any) -> None:
    services = db_services
    moments = walk(services, seed=3, steps=200)
    tz = services.settings.tz
    start, end, as_of = moments[20], moments[-1] + timedelta(days=1), moments[120]
    with services.db.read() as s:
        before = analytics.trend(start, end, "week", as_of, Filters(), tz, session=s)
        table = analytics.indicator_table(start, end, as_of, Filters(), session=s, by="district")
    assert move_finished(services.db, moments[-1] + timedelta(days=400), batch=7) > 5
    _summary_equals_fold(services)
    with services.db.read() as s:
        assert analytics.trend(start, end, "week", as_of, Filters(), tz, session=s) == before
        assert analytics.indicator_table(start, end, as_of, Filters(), session=s, by="district") == table
        assert analytics.indicator_table(start, end, as_of, Filters(), session=s, by="district",
                                         source="events") == table


def _reference(f: pd.DataFrame, cb: pd.DataFrame, p0: datetime, p1: datetime, as_of: datetime,
               by: str | None) -> list[dict[str, Any]]:
    """One period the way the views computed it before: pandas masks over datetimes, one group-by."""
    defs = load()
    masks = analytics.measure_masks(f, p0, p1, as_of, defs)
    cb = cb.assign(__key=cb[by].astype(str)) if by else cb
    cb_in = (cb["at"] >= pd.Timestamp(p0)) & (cb["at"] < pd.Timestamp(p1))
    out = analytics._fold(masks, cb, cb_in, defs, f[by].astype(str) if by else None)
    return analytics._records(out, by or "all")


@pytest.mark.parametrize("seed", [1, 2])
def test_vectorised_periods_equal_the_per_period_masks(services: Any, seed: int) -> None:
    moments = walk(services, seed=seed, steps=220)
    defs = load()
    tz = services.settings.tz
    edges = analytics._edges(moments[30], moments[-1], "day", tz)
    with services.db.read() as s:
        for as_of in (moments[90], moments[-1]):
            f = analytics.milestones(edges[0], as_of, Filters(), session=s, end=edges[-1])
            rows = analytics.milestone_rows(edges[0], as_of, Filters(), session=s, end=edges[-1])
            cb = analytics.callbacks(edges[0], edges[-1], as_of, Filters(), session=s)
            for by in (None, "district", "department"):
                tables = analytics.period_tables(rows, cb, edges, as_of, defs, by)
                for (p0, p1), table in zip(zip(edges, edges[1:]), tables):
                    fast = analytics._records(table, by or "all")
                    slow = _reference(f, cb, p0, p1, as_of, by)
                    assert _approx(fast) == _approx(slow), (p0, by)


def _approx(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Means are sums ÷ counts in one and pandas means in the other: equal to 1e-6 h, not to the bit."""
    return [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]


def test_epoch_microseconds_are_exact_on_the_backend(db_services: Any) -> None:
    """The SQL conversion used by the backfill and the as-of fold agrees with Python's, to the microsecond."""
    from sqlalchemy import select

    from incidents.records import EventRow

    walk(db_services, seed=5, steps=30)
    with db_services.db.read() as s:
        dialect = s.get_bind().dialect.name
        rows = s.execute(select(EventRow.at, milestones.epoch_us(EventRow.at, dialect))).all()
    assert rows and all(milestones.us(at) == v for at, v in rows)
    assert np.all(np.diff([v for _, v in sorted(rows)]) >= 0)


def test_the_open_only_index_condition_names_exactly_the_final_states() -> None:
    """The partial index behind "open now" candidates is written as text (SQLite matches it verbatim)."""
    from incidents.model import FINAL_STATES
    from incidents.records import MILESTONES_OPEN

    finals = ", ".join(f"'{s}'" for s in sorted(st.value for st in FINAL_STATES))
    assert MILESTONES_OPEN == f"state NOT IN ({finals})"
