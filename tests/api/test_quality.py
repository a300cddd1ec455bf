"""The data-quality page and figures on planted inputs: refusals counted per channel with reasons,
missing optional fields, merged duplicates, late filings; leaders and admins only; the CSV report."""
from __future__ import annotations

from datetime import timedelta

import pytest

import factories as f
from callbacks import quality as page
from incidents.intake import IntakeError
from incidents.model import Channel
from incidents.quality import quality
from webapp import as_user, login


def plant(svc):
    now = svc.clock()
    intake = svc.dispatch.intake
    primary = intake(f.report(grid=svc.grid), f.operator(), Channel.HOTLINE, now).incident
    twin = intake(f.report(grid=svc.grid, east_m=10), f.operator(), Channel.HOTLINE, now)
    assert twin.waiting == "duplicate"
    svc.incidents.act(twin.incident.code, "merge", f.operator(), twin.incident.version, now,
                      payload={"into": primary.code})
    intake(f.report(grid=svc.grid, east_m=400, reporter_phone="", address=""), f.operator(), Channel.HOTLINE, now)
    intake(f.report(grid=svc.grid, east_m=800), f.operator(), Channel.HOTLINE, now)
    for bad in ({"category": "99999"}, {"lon": "x"}):
        with pytest.raises(IntakeError):
            intake({**f.report(grid=svc.grid), **bad}, f.operator(), Channel.HOTLINE, now)
    late = (now - timedelta(hours=30)).isoformat()
    svc.channels.create(f.report(grid=svc.grid, east_m=1200, reported_at=late), f.operator(), Channel.API, now)
    with pytest.raises(IntakeError):
        svc.channels.create({**f.report(grid=svc.grid), "severity": "x"}, f.operator(), Channel.API, now)
    svc.dispatch.on_refusal.record_many(Channel.IMPORT, [("lat", "required")] * 3, now)


def test_quality_figures_per_channel_on_planted_inputs(web):
    svc = web.services
    plant(svc)
    now = svc.clock()
    with svc.db.read() as s:
        rows = {r["channel"]: r for r in quality(now - timedelta(days=1), now + timedelta(days=1), "week",
                                                 svc.settings.tz, session=s)}
    hot, api, imp = rows["hotline"], rows["api"], rows["import"]
    assert (hot["accepted"], hot["refused"], hot["inputs"]) == (4, 2, 6)
    assert hot["refused_rate"] == round(2 / 6, 4)
    assert hot["reasons"] == {"category:unknown_category": 1, "location:not_a_number": 1}
    assert hot["missing_phone_rate"] == 0.25 and hot["missing_address_rate"] == 0.25
    assert hot["duplicate_rate"] == 0.25 and hot["late_rate"] == 0.0 and hot["median_file_min"] == 0.0
    assert (api["accepted"], api["refused"], api["late"], api["median_file_min"]) == (1, 1, 1, 1800.0)
    assert (imp["accepted"], imp["refused"], imp["reasons"]) == (0, 3, {"lat:required": 3})
    assert rows["hotline"]["period"] == "2026-03-09"  # ISO week of Tuesday 2026-03-10, Monday first


def test_quality_page_is_for_leaders_and_admins_and_exports_csv(web):
    plant(web.services)
    client = web.server.test_client()
    login(client, "dept_handler")
    assert client.get("/quality", follow_redirects=False).status_code in (302, 403)
    with as_user(web, "dept_handler"):
        assert page.render("week", 4) is page.no_update
    c2 = web.server.test_client()
    login(c2, "leader")
    assert c2.get("/quality").status_code == 200
    with as_user(web, "leader", "en"):
        table = str(page.render("day", 1))
        assert "12345 hotline" in table and "33.3%" in table
        sent = page.export(1, "week", 4)
    assert sent["filename"].startswith("quality-") and "hotline,6,4,2" in sent["content"]
