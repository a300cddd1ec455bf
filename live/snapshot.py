"""The full picture a (re)connecting wall starts from: KPIs, open incidents (as map features, with their
breach risk when the broadcaster has a ``risk``), the
latest ticker lines, today's hourly trend per KPI, the department ranking and unacknowledged alerts.

Same shapes as the deltas of live/batcher.py, so the browser applies a snapshot as "replace everything".
"""
from __future__ import annotations

from typing import Any

from incidents.model import OPEN_STATES
from incidents.service import incident_view
from incidents.wallstats import WallStats
from live.batcher import TICKER_SIZE, AlertRule, slim


def wall_state(services: Any) -> dict[str, Any]:
    now = services.clock()
    st = services.settings
    stats = WallStats(services.db, st.tz)
    b = services.broadcaster
    rule = b.rule if b is not None else AlertRule.parse(getattr(st, "alert_severities", "urgent"),
                                                        getattr(st, "alert_categories", ""))
    open_incidents = services.incidents.list(states=OPEN_STATES, limit=5000)
    ticker = [
        {"seq": e.seq, "action": e.action, "at": e.at.isoformat(), "code": code, "from_state": e.from_state,
         "to_state": e.to_state, "category": category}
        for e, code, category in services.incidents.recent_events(TICKER_SIZE)
    ]
    incidents = [slim(incident_view(i, now)) for i in open_incidents]
    risk = getattr(b, "risk", None)  # incidents.risk.LiveRisk: breach risk per running incident
    if risk is not None:
        fields = risk.snapshot(incidents, now)
        for i in incidents:
            i.update(fields.get(i["code"], {}))
    return {"kpi": services.kpis(), "incidents": incidents,
            "ticker": ticker, "at": now.isoformat(), "spark": stats.hourly(now), "ranking": stats.departments(now),
            "alerts": stats.alerts(sorted(rule.severities), sorted(rule.categories), now)}


__all__ = ["wall_state"]
