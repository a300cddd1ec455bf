"""The workbench's risk column (``Analytics.breach_risk``) scores in each limit's own kind of time, like the
wall (incidents.risk.LiveRisk): the model is fitted and the shares scored with the SLA clock that app.py
binds (``dispatch.risk_clock.reference_elapsed``), not with wall-clock shares."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import incidents.risk as risk
from incidents.analytics import Analytics

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


class _Db:
    @contextmanager
    def read(self) -> Iterator[None]:
        yield None


def test_breach_risk_fits_and_scores_with_the_bound_sla_clock(monkeypatch: Any) -> None:
    clocks = [object(), object()]
    provided: list[object] = []
    calls: list[tuple[str, Any]] = []

    def provider() -> object:
        provided.append(clocks[len(provided)])
        return provided[-1]

    monkeypatch.setattr(risk, "fit", lambda now, *, session, elapsed=None, **kw: calls.append(("fit", elapsed)) or "M")

    def scored(now: datetime, *, session: Any, codes: Any = None, model: Any = None, elapsed: Any = None,
               **kw: Any) -> dict[str, float | None]:
        calls.append(("score", elapsed))
        assert model == "M"
        return {"A": 0.5}

    monkeypatch.setattr(risk, "breach_risk", scored)
    an = Analytics(_Db(), ZoneInfo("Asia/Shanghai"), elapsed=provider)
    assert an.breach_risk(NOW, ["A"]) == {"A": 0.5}
    assert an.breach_risk(NOW + timedelta(hours=1), ["A"]) == {"A": 0.5}  # same local day: no refit
    assert calls == [("fit", clocks[0]), ("score", clocks[0]), ("score", clocks[0])]
    an.breach_risk(NOW + timedelta(days=1), ["A"])  # a new local day: refit with the clock of that day
    assert calls[-2:] == [("fit", clocks[1]), ("score", clocks[1])]


def test_without_a_clock_the_shares_stay_wall_clock(monkeypatch: Any) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(risk, "fit", lambda now, *, session, elapsed=None, **kw: seen.append(elapsed) or "M")
    monkeypatch.setattr(risk, "breach_risk", lambda now, *, elapsed=None, **kw: seen.append(elapsed) or {})
    Analytics(_Db(), ZoneInfo("Asia/Shanghai")).breach_risk(NOW)
    assert seen == [None, None]


def test_the_app_binds_the_reference_sla_clock(services: Any) -> None:
    el = services.analytics.elapsed_of()
    assert el is not None and hasattr(el, "many") and hasattr(el, "moment")  # dispatch.risk_clock.sla_elapsed
    start = datetime(2026, 3, 6, 10, 0, tzinfo=timezone.utc)  # a Friday afternoon in Asia/Shanghai
    natural = el(start, start + timedelta(days=3), "10101", "urgent")
    assert natural == 3 * 86400  # an emergency counts natural time …
    assert el(start, start + timedelta(days=3), "10101", "normal") < natural  # … a working-time limit does not
