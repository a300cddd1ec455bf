"""The one-page report of /analytics: who may download it, that it is one valid page, and that its numbers
are the analytics indicator table's for the same filters."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from analytics_log import write_incident
from callbacks import analytics as acb
from callbacks.analytics_report import build, report_href
from incidents import report_page
from incidents.analytics import Filters
from webapp import as_user, login

T = datetime(2026, 3, 2, tzinfo=timezone.utc)
QUERY = "start=2026-03-01&end=2026-03-09&freq=day&indicator=ontime_close"


def closed(at: datetime, late: bool = False) -> list[Any]:
    resolve = at + (timedelta(days=2) if late else timedelta(hours=3))
    return [(at, "created", "reported", {}), (at + timedelta(minutes=5), "file", "accepted", {}),
            (at + timedelta(minutes=10), "dispatch", "dispatched", {"department": "SWJ", "deadline": at + timedelta(days=1)}),
            (at + timedelta(hours=1), "acknowledge", "in_progress", {}),
            (resolve, "resolve", "resolved", {}), (resolve + timedelta(hours=1), "verify_pass", "closed", {})]


@pytest.fixture
def city(web: Any) -> Any:
    write_incident(web.services, "R1", closed(T))
    write_incident(web.services, "R2", closed(T + timedelta(days=1), late=True))
    write_incident(web.services, "R3", closed(T + timedelta(days=2)), district=220303, grid="220303002001001")
    return web


@pytest.mark.parametrize("who,status", [("dept_handler", 403), ("operator", 403), ("wall", 403), ("leader", 200),
                                        ("admin", 200)])
def test_only_leaders_and_admins_get_the_report_from_the_server(city: Any, who: str, status: int) -> None:
    client = city.server.test_client()
    login(client, who)
    resp = client.get(f"/analytics/report.png?{QUERY}")
    assert resp.status_code == status
    if status == 200:
        assert resp.mimetype == "image/png" and "attachment" in resp.headers["Content-Disposition"]


def test_an_anonymous_request_is_refused(city: Any) -> None:
    resp = city.server.test_client().get(f"/analytics/report.pdf?{QUERY}")
    assert resp.status_code in (302, 401) and not resp.data.startswith(b"%PDF")  # to the login page


def test_the_pdf_is_one_page_with_chinese_as_text(city: Any) -> None:
    client = city.server.test_client()
    login(client, "leader")
    body = client.get(f"/analytics/report.pdf?{QUERY}").data
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", body)) == 1
    if report_page.cjk_font() is not None:  # fonts-noto-cjk: embedded as a TrueType (Type 42) font
        assert b"NotoSansCJK" in body or b"Noto" in body


def test_the_png_is_an_a4_landscape_page(city: Any) -> None:
    from PIL import Image

    client = city.server.test_client()
    login(client, "admin")
    body = client.get(f"/analytics/report.png?{QUERY}").data
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(body))
    w, h = img.size  # A4 landscape at 150 dpi (1754 × 1240, give or take a pixel of rounding)
    assert abs(w - 11.69 * 150) <= 1 and abs(h - 8.27 * 150) <= 1


def test_the_reports_numbers_are_the_indicator_table_for_the_same_filters(city: Any) -> None:
    svc = city.services
    with as_user(city, "leader"):
        from flask_login import current_user

        q = acb.parse(current_user, svc, "2026-03-01", "2026-03-09", "day", 220302, None, None, None, "ontime_resolve")
    an = acb.analytics_of(svc)
    dash = an.dashboard(q.start, q.end, q.freq, q.as_of, q.filters, last_year=False)
    data = report_page.report_data(dash, an.defs, indicator=q.indicator, lang="zh", title="t", subtitle=[],
                                   names={}, headings={})
    table = an.table(q.start, q.end, q.as_of, Filters(district=220302))[0]
    assert [(k, v) for k, _n, v, _kind in data.indicators] == [(k, table[k]) for k in an.defs.indicators]
    values = dict((k, v) for k, _n, v, _kind in data.indicators)
    assert values["ontime_resolve"] == 0.5  # R1 on time, R2 late; R3 is in another district
    assert sum(n for _c, n in data.mix) == 2
    assert [v for _p, v in data.trend if v is not None] == [r["ontime_resolve"] for r in dash["trend"]
                                                             if r["ontime_resolve"] is not None]


def test_a_district_leader_gets_their_district_whatever_the_link_says(city: Any) -> None:
    from auth.users import create_user
    from webapp import PASSWORD

    with city.services.db.write.begin() as s:
        create_user("east", PASSWORD, "leader", session=s, district=220303, display_name="east")
    with as_user(city, "east"):
        from flask_login import current_user

        q = acb.parse(current_user, city.services, "2026-03-01", "2026-03-09", "day", 220302, None, None, None, None)
    assert q.filters.district == 220303
    body, name = build(city.services, q, "zh", "east", "png")
    assert body[:4] == b"\x89PNG" and name == "cityops-report-20260301-20260309.png"


def test_the_pages_links_carry_the_filters() -> None:
    href = report_href("pdf", "2026-03-01", "2026-03-09", "week", 220302, "101", None, None, "ontime_close")
    assert href == ("/analytics/report.pdf?start=2026-03-01&end=2026-03-09&freq=week&district=220302&category=101"
                    "&indicator=ontime_close")


def test_a_report_without_a_cjk_font_is_still_made(monkeypatch: Any) -> None:
    monkeypatch.setattr(report_page, "cjk_font", lambda: None)
    data = report_page.ReportData("报告", ["四平"], [("x", "按期结案率", 0.5, "rate")], "按期结案率", "rate",
                                  [("2026-03-01", 0.5)],
                                  [("井盖", 3)], "按期结案率", [("水务局", 0.5)], "按期处置率", [("铁西区", None)])
    assert report_page.render(data, "pdf").startswith(b"%PDF-")
    with pytest.raises(ValueError, match="format"):
        report_page.render(data, "svg")


def test_the_cli_writes_the_report_for_a_period(tmp_path: Any, settings: Any, monkeypatch: Any, capsys: Any) -> None:
    import app as cityops_app

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CITYOPS_DEMO", "0")
    out = tmp_path / "march.pdf"
    assert cityops_app.main(["report", "--from", "2026-03-01", "--to", "2026-03-09", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    body = out.read_bytes()
    assert body.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page[^s]", body)) == 1
    with pytest.raises(SystemExit):  # the dates are required
        cityops_app.main(["report", "--from", "2026-03-01"])
