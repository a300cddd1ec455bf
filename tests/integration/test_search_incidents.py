"""The operator's search box (code, phone, grid, address, text) and a caller's history, on both backends."""
from __future__ import annotations

import factories as f
from incidents.followup import FollowupService
from incidents.model import Channel
from incidents.search import SearchService

HOTLINE = Channel.HOTLINE


def intake(services, **raw):
    report = f.report(f.WATER_COVER, cell=raw.pop("cell", f.CORE_CELL), grid=services.grid, **raw)
    return services.dispatch.intake(report, f.operator(), HOTLINE, services.clock()).incident


def test_code_phone_grid_and_text_each_find_the_incident(db_services):
    svc = db_services
    a = intake(svc, description="井盖缺失，有人掉进去", address="英雄广场东侧", reporter_phone="13900001111")
    b = intake(svc, description="路灯不亮", address="紫气大路 18 号", reporter_phone="13900002222",
               cell=f.OTHER_CORE_CELL)
    finder = SearchService(svc.db)
    assert [h.incident.code for h in finder.search(a.code)] == [a.code]
    assert [h.matched for h in finder.search(a.code)] == ["code"]
    assert [h.incident.code for h in finder.search("139 0000 2222")] == [b.code]
    assert [h.incident.code for h in finder.search(f.OTHER_CORE_CELL[:12])] == [b.code]
    assert [h.incident.code for h in finder.search("英雄广场")] == [a.code]
    assert [h.incident.code for h in finder.search("路灯")] == [b.code]
    assert finder.search("不存在的内容") == []
    assert finder.search("  ") == []


def test_ranking_puts_address_matches_before_description_matches_and_newest_first(db_services):
    svc = db_services
    in_text = intake(svc, description="英雄广场旁边的井盖", address="北门街 1 号")
    svc.clock.advance(hours=30)  # beyond the duplicate window
    in_address_old = intake(svc, description="井盖", address="英雄广场西门")
    svc.clock.advance(hours=30)
    in_address_new = intake(svc, description="井盖", address="英雄广场南门")
    hits = SearchService(svc.db).search("英雄广场")
    assert [h.incident.code for h in hits] == [in_address_new.code, in_address_old.code, in_text.code]
    assert [h.matched for h in hits] == ["address", "address", "text"]


def test_like_wildcards_in_the_query_are_taken_literally(db_services):
    intake(db_services, description="一般描述")
    assert SearchService(db_services.db).search("%") == []
    assert SearchService(db_services.db).search("_") == []


def test_caller_history_lists_the_callers_incidents_with_their_outcome(services, clock):
    first = intake(services, reporter_phone="13712345678")
    services.incidents.act(first.code, "acknowledge", f.dept_handler(), first.version, clock())
    inc = services.incidents.act(first.code, "resolve", f.dept_handler(), first.version + 1, clock())
    inc = services.incidents.act(first.code, "verify_pass", f.verifier(), inc.version, clock())
    FollowupService(services.incidents).callback(first.code, f.operator(), inc.version, clock(), reached=True,
                                                 satisfaction="satisfied", comment="很快")
    clock.advance(days=3)
    second = intake(services, reporter_phone="137 1234 5678", description="又坏了")
    intake(services, reporter_phone="13700000000", cell=f.OTHER_CORE_CELL)
    history = SearchService(services.db).caller_history("13712345678")
    assert [c.incident.code for c in history] == [second.code, first.code]
    assert history[1].incident.state.value == "closed"
    assert history[1].callback == {"reached": True, "satisfaction": "satisfied", "comment": "很快"}
    assert history[0].callback is None


def test_api_listing_filters_and_pages_by_id(db_services):
    from incidents.search import Filters, search

    svc = db_services
    codes = [intake(svc, cell=c).code for c in (f.CORE_CELL, f.OTHER_CORE_CELL, f.RURAL_CELL)]
    with svc.db.read() as s:
        page, after = search(Filters(), svc.clock(), session=s, limit=2)
        assert [i.code for i in page] == codes[::-1][:2] and after is not None
        rest, end = search(Filters(), svc.clock(), session=s, after_id=after, limit=2)
        assert [i.code for i in rest] == [codes[0]] and end is None
        core, _ = search(Filters(grid=f.CORE_CELL[:12]), svc.clock(), session=s)
        assert [i.code for i in core] == [codes[0]]
        assert search(Filters(overdue=True), svc.clock(), session=s)[0] == []
        assert len(search(Filters(overdue=False), svc.clock(), session=s)[0]) == 3
