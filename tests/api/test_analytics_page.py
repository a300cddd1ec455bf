"""/analytics callbacks called as functions: who may see it, the leader's district, drill-down, exports."""
from __future__ import annotations

import base64
import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from openpyxl import load_workbook

from analytics_log import write_incident
from auth.users import create_user
from callbacks import analytics as acb
from incidents.model import Role
from layouts import ids
from webapp import PASSWORD, as_user, login

T = datetime(2026, 3, 2, tzinfo=timezone.utc)
FILTERS = ("2026-03-01", "2026-03-09", "day", None, None, None, None, "ontime_close")


def closed(at: datetime) -> list[Any]:
    return [(at, "created", "reported", {}), (at + timedelta(minutes=5), "file", "accepted", {}),
            (at + timedelta(minutes=10), "dispatch", "dispatched", {"department": "SWJ", "deadline": at + timedelta(days=1)}),
            (at + timedelta(hours=1), "acknowledge", "in_progress", {}),
            (at + timedelta(hours=3), "resolve", "resolved", {}), (at + timedelta(hours=4), "verify_pass", "closed", {})]


@pytest.fixture
def city(web: Any) -> Any:
    """Two closed incidents in 铁西 (220302), one in 铁东 (220303); a leader restricted to 铁东."""
    write_incident(web.services, "W1", closed(T), phone="13812341234")
    write_incident(web.services, "W2", closed(T + timedelta(days=1)))
    write_incident(web.services, "E1", closed(T + timedelta(days=2)), district=220303, grid="220303002001001")
    with web.services.db.write.begin() as s:
        create_user("east", PASSWORD, "leader", session=s, district=220303, display_name="east")
    return web


def test_only_leaders_and_admins_may_open_the_page(city: Any) -> None:
    client = city.server.test_client()
    login(client, "operator")
    assert client.get("/analytics", follow_redirects=False).status_code in (302, 403)
    with as_user(city, "operator"):
        out = acb.render(*FILTERS)
    assert "forbidden" in str(out[6]).lower() or "无权" in str(out[6])
    for who in ("leader", "admin"):
        c = city.server.test_client()
        login(c, who)
        assert c.get("/analytics").status_code == 200


def test_a_district_leader_sees_only_their_district_whatever_the_browser_sends(city: Any) -> None:
    with as_user(city, "east"):
        out = acb.render("2026-03-01", "2026-03-09", "day", 220302, None, None, None, "close_rate")
    district_map = out[3]  # the district map's shading: values by district code
    assert list(district_map["values"]) == ["220303"]
    with as_user(city, "leader"):
        everyone = acb.render(*FILTERS)
    assert sorted(everyone[3]["values"]) == ["220302", "220303"]
    assert set(everyone[3]["text"]) == {"220302", "220303"} and everyone[3]["max"] > 0


def test_a_chart_click_lists_its_incidents_and_a_code_opens_the_timeline(city: Any) -> None:
    click = {"type": "Feature", "properties": {"code": "220302", "name": "铁西区"}}  # the area clicked on the map
    with as_user(city, "leader"):
        listing, spec = acb.drill_view(ids.AN_DISTRICT_SHADE, click, *FILTERS)
        timeline = acb.timeline_view("W1")
    text = str(listing)
    assert "W1" in text and "W2" in text and "E1" not in text
    assert spec["group"] == ["district", "220302"]
    assert "138****1234" in text and "13812341234" not in text  # leaders see masked phones
    assert "an-timeline-table" in str(timeline) and str(timeline).count("Tr(") >= 7


def test_a_district_leader_cannot_drill_or_open_timelines_elsewhere(city: Any) -> None:
    with as_user(city, "east"):
        listing, _ = acb.drill_view(ids.AN_DISTRICT_SHADE, {"properties": {"code": "220302"}}, *FILTERS)
        timeline = acb.timeline_view("W1")
        own = acb.timeline_view("E1")
    assert "W1" not in str(listing) and "an-timeline-table" not in str(timeline)
    assert "an-timeline-table" in str(own)


def test_exports_open_and_match_the_screen(city: Any) -> None:
    with as_user(city, "leader"):
        listing, spec = acb.drill_view(ids.AN_TREND, None, *FILTERS)
        as_csv = acb.export_file("list", "csv", spec, *FILTERS)
        as_xlsx = acb.export_file("list", "xlsx", spec, *FILTERS)
        table_xlsx = acb.export_file("table", "xlsx", None, *FILTERS)
    rows = list(csv.reader(io.StringIO(base64.b64decode(as_csv["content"]).decode("utf-8-sig"))))
    codes = {r[0] for r in rows[1:]}
    assert codes == {"W1", "W2", "E1"} and all(c in str(listing) for c in codes)
    assert all("*" in r[6] for r in rows[1:])  # masked for a leader
    book = load_workbook(io.BytesIO(base64.b64decode(as_xlsx["content"])))
    assert {r[0] for r in book.active.iter_rows(min_row=2, values_only=True)} == codes
    table = load_workbook(io.BytesIO(base64.b64decode(table_xlsx["content"]))).active
    values = list(table.iter_rows(values_only=True))
    header = values[0]
    total = dict(zip(header, values[1]))
    assert total["结案率"] == 1.0 and total["结案数"] == 3
    from sqlalchemy import select

    from incidents.records import AuditRow

    with city.services.db.read() as s:  # every export is traceable: who, when, which filter
        audited = s.scalars(select(AuditRow).where(AuditRow.action == "export").order_by(AuditRow.id)).all()
    assert [(r.actor, r.target.rsplit(".", 1)[-1], r.detail["rows"]) for r in audited] == [
        ("leader", "csv", 3), ("leader", "xlsx", 3), ("leader", "xlsx", len(values) - 1)]
    assert audited[0].detail["phones"] == "masked" and audited[0].detail["filters"]


def test_the_page_layout_builds_and_shows_every_formula(city: Any) -> None:
    with as_user(city, "east"):
        page = acb.analytics_page(city.services, "zh")
    text = str(page)
    assert "按时立案率 = 按时立案数 ÷ 应立案数" in text and "超期未处置数" in text
    assert "'disabled': True" in text or "disabled=True" in text  # the district filter is locked
