"""The dashboard the analytics page redraws is remembered for the moment it shows: the same figures as a
fresh fold for any granularity, and forgotten as soon as an event is added."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from analytics_log import write_incident
from incidents import analytics
from incidents.analytics import Analytics, Filters

T = datetime(2026, 3, 2, tzinfo=timezone.utc)


def closed(at: datetime) -> list[Any]:
    return [(at, "created", "reported", {}), (at + timedelta(minutes=5), "file", "accepted", {}),
            (at + timedelta(minutes=10), "dispatch", "dispatched", {"department": "SWJ", "deadline": at + timedelta(days=1)}),
            (at + timedelta(hours=1), "acknowledge", "in_progress", {}),
            (at + timedelta(hours=3), "resolve", "resolved", {}), (at + timedelta(hours=4), "verify_pass", "closed", {})]


def fresh(services: Any, freq: str, as_of: datetime) -> dict[str, Any]:
    with services.db.read() as s:
        return analytics.dashboard(T, T + timedelta(days=14), freq, as_of, Filters(), services.settings.tz, session=s)


def test_a_remembered_dashboard_equals_a_fresh_one_for_each_granularity(services: Any) -> None:
    for k in range(4):
        write_incident(services, f"M{k}", closed(T + timedelta(days=3 * k)))
    an = Analytics(services.db, services.settings.tz)
    as_of = T + timedelta(days=20)
    first = an.dashboard(T, T + timedelta(days=14), "day", as_of)
    first["trend"].clear()  # a caller's changes stay its own
    for freq in ("week", "day", "month"):
        assert an.dashboard(T, T + timedelta(days=14), freq, as_of) == fresh(services, freq, as_of)
    assert len(an._dashboards) == 1  # one fold of the groups served all three


def test_an_added_event_is_counted_at_once(services: Any) -> None:
    write_incident(services, "N1", closed(T))
    an = Analytics(services.db, services.settings.tz)
    as_of = T + timedelta(days=20)
    assert an.dashboard(T, T + timedelta(days=14), "week", as_of)["total"]["closed"] == 1
    write_incident(services, "N2", closed(T + timedelta(days=1)))
    assert an.dashboard(T, T + timedelta(days=14), "week", as_of)["total"]["closed"] == 2
