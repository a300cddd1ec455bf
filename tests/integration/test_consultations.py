"""即时办结 stored: one transaction writes the consultation and its trail; no case indicator sees it, and
its own count is read apart."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

import factories as f
from incidents.analytics import Analytics
from incidents.consultation_service import ConsultationService
from incidents.kpi import snapshot
from incidents.model import Channel
from incidents.records import EventRow, IncidentRow


def _record(services: Any, question: str = "供暖费怎么交？", **raw: Any) -> Any:
    return ConsultationService(services.db, services.settings.tz).record(
        {"question": question, "answer": "可在营业厅或线上缴纳", **raw}, f.operator(), Channel.HOTLINE,
        services.clock(), taxonomy=services.reference.get().taxonomy)


def test_a_consultation_is_stored_closed_with_its_trail_and_no_case(services: Any) -> None:
    done = _record(services, reporter_phone="13912345678", category=f.WATER_COVER)
    svc = ConsultationService(services.db, services.settings.tz)
    assert done.code.startswith("ZX") and done.received_at == done.closed_at == services.clock()
    assert svc.get(done.code) == done
    assert [(e.action, e.actor) for e in svc.events(done.code)] == [("received", "op1"), ("answered", "op1")]
    assert [c.code for c in svc.for_caller("139 1234 5678")] == [done.code]
    with services.db.read() as s:
        assert s.scalar(select(func.count()).select_from(IncidentRow)) == 0
        assert s.scalar(select(func.count()).select_from(EventRow)) == 0


def test_indicators_and_tiles_ignore_consultations_which_are_counted_apart(services: Any, clock: Any) -> None:
    case = services.dispatch.intake(f.report(grid=services.grid), f.operator(), Channel.HOTLINE, clock()).incident
    an = Analytics(services.db, services.settings.tz)
    start, end = clock() - timedelta(days=1), clock() + timedelta(days=1)
    with services.db.read() as s:
        tiles = snapshot(clock(), services.settings.tz, session=s)
    table = an.table(start, end, clock())
    for n in range(3):
        _record(services, question=f"问题 {n}", category=f.WATER_COVER if n else None)
    with services.db.read() as s:
        assert snapshot(clock(), services.settings.tz, session=s) == tiles and tiles["intake_today"] == 1
    assert an.table(start, end, clock()) == table  # 应立案数, 按期办结率 … unchanged
    svc = ConsultationService(services.db, services.settings.tz)
    assert svc.count(start, end) == 3
    assert svc.counts_by_category(start, end) == {"": 1, f.WATER_COVER: 2}
    assert svc.count(start, end, category=f.WATER_COVER[:3]) == 2  # a large class, as the page filters
    assert svc.count(end, end + timedelta(days=1)) == 0
    assert services.incidents.get(case.code).code == case.code
