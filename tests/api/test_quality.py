"""The data-quality page and figures on planted inputs: refusals counted per channel with reasons,
missing optional fields, merged duplicates, late filings; leaders and admins only; the CSV report."""
from __future__ import annotations

import math
from datetime import timedelta

import pytest
import shapely
from shapely.ops import nearest_points
from sqlalchemy import select

import factories as f
from callbacks import quality as page
from channels_helpers import api_app, bearer, client  # noqa: F401
from incidents.intake import IntakeError
from incidents.model import Channel
from incidents.quality import BORDER_M, Precision, quality
from incidents.records import RefusalRow
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


def _near_border(grid, code, inside_m=1.0):
    """A point ``inside_m`` metres inside ``code``'s border, on the way to its label point."""
    cell = grid.cell(code)
    label = shapely.Point(cell.lon, cell.lat)
    edge = nearest_points(grid.geometry(code).boundary, label)[0]
    kx = 111_320.0 * math.cos(math.radians(cell.lat))
    dx, dy = (label.x - edge.x) * kx, (label.y - edge.y) * 111_320.0
    d = math.hypot(dx, dy)
    return edge.x + dx / d * inside_m / kx, edge.y + dy / d * inside_m / 111_320.0


def test_location_precision_counts_border_points_and_rural_cells(web):
    svc = web.services
    now = svc.clock()
    grid = svc.grid
    lon, lat = _near_border(grid, f.CORE_CELL)
    rural = f.report(cell=f.RURAL_CELL, grid=grid)
    core = f.report(grid=grid)
    judge = Precision(grid)
    assert judge.border_distance_m(f.CORE_CELL, lon, lat) == pytest.approx(1.0, abs=0.05)
    assert judge.border_distance_m(f.CORE_CELL, core["lon"], core["lat"]) > BORDER_M
    assert judge.border_distance_m(f.RURAL_CELL, rural["lon"], rural["lat"]) > BORDER_M
    for raw in (core, rural, {**f.report(f.GARBAGE, grid=grid), "lon": lon, "lat": lat}):
        svc.dispatch.intake(raw, f.operator(), Channel.PATROL, now)
    with svc.db.read() as s:
        (row,) = quality(now - timedelta(days=1), now + timedelta(days=1), "week", svc.settings.tz, session=s,
                         grid=grid)
        assert quality(now - timedelta(days=1), now + timedelta(days=1), "week", svc.settings.tz,
                       session=s)[0]["on_border"] == 0  # no grid given: not judged
    assert (row["accepted"], row["on_border"], row["rural"]) == (3, 1, 1)
    assert row["on_border_rate"] == row["rural_rate"] == round(1 / 3, 4)
    with as_user(web, "leader", "en"):
        table = str(page.render("week", 1))
        assert "On a grid border" in table and "33.3%" in table
        assert page.export(1, "week", 1)["content"].splitlines()[0].endswith("on_border_rate,rural_rate")


def _refusals(app):
    with app.services.db.read() as s:
        return sorted(s.execute(select(RefusalRow.channel, RefusalRow.field, RefusalRow.code)).all())


def test_refusals_before_the_shared_parse_are_counted_per_channel(api_app, client):  # noqa: F811
    json_body = {**bearer(), "Content-Type": "application/json"}
    assert client.post("/api/v1/incidents", data="[1,", headers=json_body).status_code == 400
    assert client.post("/api/v1/incidents", json={**f.report(), "crs": "epsg3857"}, headers=bearer()).status_code == 422
    assert client.post("/api/v1/incidents", json={**f.report(), "colour": "red"}, headers=bearer()).status_code == 422
    assert client.post("/api/v1/incidents", json={**f.report(), "lon": "1"}, headers=bearer()).status_code == 422
    assert client.post("/api/v1/incidents", data="[1,", headers={"Content-Type": "application/json"}
                       ).status_code == 401  # about the caller, not the input: not a refusal
    assert client.post("/api/v1/incidents", json={**f.report(), "category": "99999"},
                       headers=bearer()).status_code == 422  # counted once, by the shared parse
    assert client.post("/api/v1/alarms", json=[{"device_id": "d1", "type": "nope", "level": "major"}],
                       headers=bearer()).status_code == 422
    assert client.post("/open311/v2/requests.json", data={"api_key": "op-secret-123456"}).status_code == 400
    assert _refusals(api_app) == sorted([
        ("api", "", "invalid_json"), ("api", "crs", "invalid_choice"), ("api", "colour", "unknown_field"),
        ("api", "lon", "wrong_type"), ("api", "category", "unknown_category"),
        ("sensor", "type", "invalid_choice"), ("open311", "service_code", "required"),
    ])
    now = api_app.services.clock()
    with api_app.services.db.read() as s:
        rows = {r["channel"]: r for r in quality(now - timedelta(days=1), now + timedelta(days=1), "week",
                                                 api_app.services.settings.tz, session=s)}
    assert (rows["api"]["refused"], rows["api"]["accepted"]) == (5, 0)
