"""The drill-down reads candidates in windows of report time (newest first) and stops when its list is full:
on the benchmark's generated history its lists equal the whole-candidate reference — every measure, group
and "as of", short and long lists, incidents reported long before the period."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest

from analytics_log import write_incident
from incidents import analytics
from incidents.analytics import Filters
from tests.integration.test_analytics_rollup import benchmark_module


def reference(s: Any, start: datetime, end: datetime, as_of: datetime, filters: Filters, measure: str | None,
              group: tuple[str, str] | None, limit: int) -> list[str]:
    """Codes the drill-down must list: every candidate folded at once, the period rules, newest report first."""
    defs = analytics.load()
    f = analytics.milestones(start, as_of, filters, session=s, defs=defs, end=end)
    if measure in ("callbacks", "satisfied"):
        cb = analytics.callbacks(start, end, as_of, filters, session=s, defs=defs)
        keep = cb["satisfied"] if measure == "satisfied" else pd.Series(True, index=cb.index)
        f = f[f["code"].isin(set(cb.loc[keep, "code"]))]
    else:
        sel = analytics.measure_masks(f, start, end, as_of, defs).get(measure or "")
        if sel is None:
            sel = (f["reported"] >= analytics._ts(start)) & (f["reported"] < analytics._ts(end))
        elif sel.dtype != bool:
            sel = sel.notna()
        f = f[sel]
    if group is not None:
        f = f[f[group[0]].astype(str) == str(group[1])]
    return f.sort_values("reported", ascending=False, kind="stable").head(limit)["code"].tolist()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import app
    from settings import Settings

    bench = benchmark_module("bench_analytics_drill")
    path = tmp_path_factory.mktemp("drill") / "drill.db"
    services = app.build_services(Settings(_env_file=None, database_url=f"sqlite:///{path}", demo=False),  # type: ignore[call-arg]
                                  clock=lambda: bench.NOW)
    bench.generate(services, 4000, seed=13)
    tz = services.settings.tz
    long_ago = datetime(2025, 9, 1, 9, tzinfo=tz)  # months before the period's lookback
    due = datetime(2026, 2, 10, 9, tzinfo=tz)  # …due in the period, and closed in it
    write_incident(services, "OLD-CLOSED", [
        (long_ago, "created", "reported", {}), (long_ago + timedelta(hours=1), "file", "accepted", {}),
        (long_ago + timedelta(hours=2), "dispatch", "dispatched", {"department": "SWJ", "deadline": due}),
        (due + timedelta(days=3), "resolve", "resolved", {}), (due + timedelta(days=4), "verify_pass", "closed", {})])
    write_incident(services, "OLD-OPEN", [  # still open, overdue since January
        (long_ago, "created", "reported", {}), (long_ago + timedelta(hours=1), "file", "accepted", {}),
        (long_ago + timedelta(hours=2), "dispatch", "dispatched",
         {"department": "SWJ", "deadline": datetime(2026, 1, 5, tzinfo=tz)})])
    yield services, bench.NOW
    services.db.dispose()


MEASURES = (None, "to_close", "reworked", "overdue_open", "handling_hours", "satisfied")


def test_windowed_drill_lists_equal_the_whole_candidate_reference(history: Any) -> None:
    services, now = history
    tz = services.settings.tz
    start = datetime(2026, 2, 1, tzinfo=tz).astimezone(timezone.utc)
    end = datetime(2026, 3, 1, tzinfo=tz).astimezone(timezone.utc)
    with services.db.read() as s:
        some = analytics.milestones(start, now, Filters(), session=s, end=end)
        dept = some["department"].replace("", pd.NA).dropna().mode()[0]
        grid = some["grid"].mode()[0]
        cat = some["category"].mode()[0]
        old = some.sort_values("reported")["code"].iloc[0]
        assert old.startswith("OLD-")  # reported long before the period's lookback
        checked = 0
        for as_of in (now, end - timedelta(days=10)):
            for measure in MEASURES:
                for group in (None, ("district", "220302"), ("department", dept), ("grid", grid),
                              ("category", cat), ("code", "OLD-CLOSED"), ("code", "OLD-OPEN")):
                    for limit in (7, 500):
                        want = reference(s, start, end, as_of, Filters(), measure, group, limit)
                        got = [r["code"] for r in analytics.drill(start, end, as_of, Filters(), session=s,
                                                                   measure=measure, group=group, limit=limit)]
                        assert got == want, (as_of, measure, group, limit)
                        checked += bool(want)
        assert checked > 80  # most combinations list something
        for measure, code in (("to_close", "OLD-CLOSED"), ("overdue_open", "OLD-OPEN")):  # found in the last window
            assert code in {r["code"] for r in analytics.drill(start, end, now, Filters(), session=s, measure=measure)}
        # a group outside the filters lists nothing; a filter and its own group agree
        assert analytics.drill(start, end, now, Filters(district=220303), session=s, group=("district", "220302")) == []
        assert [r["code"] for r in analytics.drill(start, end, now, Filters(district=220302), session=s,
                                                    measure="to_close")] == \
            reference(s, start, end, now, Filters(district=220302), "to_close", None, 500)


def test_the_list_is_full_after_a_few_windows_not_a_whole_period(history: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    services, now = history
    tz = services.settings.tz
    start = datetime(2026, 2, 1, tzinfo=tz).astimezone(timezone.utc)
    end = datetime(2026, 3, 1, tzinfo=tz).astimezone(timezone.utc)
    reads: list[int] = []
    real = analytics.milestones

    def counted(*a: Any, **k: Any) -> Any:
        f = real(*a, **k)
        reads.append(len(f))
        return f

    monkeypatch.setattr(analytics, "milestones", counted)
    with services.db.read() as s:
        rows = analytics.drill(start, end, now, Filters(), session=s, limit=20)
        total = len(real(start, now, Filters(), session=s, end=end))
    assert len(rows) == 20
    assert sum(reads) < total / 4, (reads, total)  # the newest windows only
