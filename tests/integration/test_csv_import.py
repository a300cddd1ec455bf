"""Bulk CSV import: valid rows stored in one transaction, bad rows reported by line, both encodings."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

import app as cityops_app
from dispatch.importer import CsvError, import_csv
from factories import CORE_CELL, GARBAGE, OUTSIDE_CITY, WATER_COVER, operator, point
from geo.crs import wgs84_to_gcj02
from incidents.changes import replay
from incidents.records import EventRow, IncidentRow


def _csv(rows, header=("类别", "描述", "经度", "纬度", "地址")) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def _counts(services):
    with services.db.read() as s:
        return (s.scalar(select(func.count()).select_from(IncidentRow)),
                s.scalar(select(func.count()).select_from(EventRow)))


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_valid_rows_are_imported_and_bad_rows_reported_with_line_and_reason(services, clock, encoding):
    lon, lat = point(CORE_CELL)
    text = _csv([
        (WATER_COVER, "井盖破损", lon, lat, "铁西区"),
        ("99999", "未知类别", lon, lat, ""),
        (GARBAGE, "暴露垃圾", OUTSIDE_CITY[0], OUTSIDE_CITY[1], ""),
        (GARBAGE, "", lon, lat, ""),
        (GARBAGE, "坐标不是数字", "东经", lat, ""),
        (GARBAGE, "x" * 4001, lon, lat, ""),
        (GARBAGE, "暴露垃圾 <b>", lon, lat, "中央路"),
    ]) + "only,three,fields\n"
    report = import_csv(services, text.encode(encoding), None, operator(), clock())
    assert report.encoding.startswith("utf-8" if encoding == "utf-8" else "gb18030")
    assert (report.total, report.imported) == (8, 2)
    assert [(e.line, e.field) for e in report.errors] == [
        (3, "category"), (4, "location"), (5, "description"), (6, "location"), (7, "description"), (9, "csv")]
    assert "line,field,message" in report.error_csv()
    assert _counts(services) == (2, 2)
    stored = [services.incidents.get(code) for code in report.codes]
    assert [i.description for i in stored] == ["井盖破损", "暴露垃圾 <b>"]
    assert all(i.state.value == "reported" and i.channel.value == "import" for i in stored)
    # a bulk-made incident replays from its events like any other
    assert replay(services.incidents.timeline(stored[0].code)).code == stored[0].code


def test_codes_continue_the_daily_sequence_after_an_import(services, clock):
    from factories import report as raw_report

    first = services.dispatch.intake(raw_report(), operator(), __import__("incidents.model").model.Channel.API, clock())
    lon, lat = point(CORE_CELL, east_m=500)
    rep = import_csv(services, _csv([(WATER_COVER, "a", lon, lat, ""), (WATER_COVER, "b", lon, lat, "")]).encode(),
                     None, operator(), clock())
    after = services.dispatch.intake(raw_report(east_m=900), operator(),
                                     __import__("incidents.model").model.Channel.API, clock())
    n = int(first.incident.code[-5:])
    assert [int(c[-5:]) for c in rep.codes] == [n + 1, n + 2] and int(after.incident.code[-5:]) == n + 3


def test_column_mapping_and_gcj02_rows(services, clock):
    lon, lat = point(CORE_CELL)
    glon, glat = wgs84_to_gcj02(lon, lat)
    text = _csv([(WATER_COVER, "映射", glon, glat, "gcj02")], header=("cat", "text", "x", "y", "datum"))
    mapping = {"category": "cat", "description": "text", "lon": "x", "lat": "y", "crs": "datum"}
    rep = import_csv(services, text.encode(), mapping, operator(), clock())
    assert rep.imported == 1
    got = services.incidents.get(rep.codes[0])
    assert abs(got.lon - lon) < 1e-7 and got.grid == CORE_CELL


def test_an_unmapped_required_column_or_unreadable_file_imports_nothing(services, clock):
    with pytest.raises(CsvError):
        import_csv(services, _csv([("x",)], header=("nothing",)).encode(), None, operator(), clock())
    with pytest.raises(CsvError):
        import_csv(services, b"\xff\xfe\x00\x00garbage\x81", None, operator(), clock())
    assert _counts(services) == (0, 0)


def test_a_failure_while_storing_leaves_nothing_half_written(services, clock, monkeypatch):
    from incidents import bulk

    lon, lat = point(CORE_CELL)
    text = _csv([(WATER_COVER, f"row {k}", lon, lat, "") for k in range(12_000)])
    calls = []

    def boom(n):
        calls.append(n)
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "_CHUNK", 5000)
    with pytest.raises(RuntimeError):
        import_csv(services, text.encode(), None, operator(), clock(), progress=lambda phase, n, t: boom(n)
                   if phase == "store" else None)
    assert calls and _counts(services) == (0, 0)


def test_the_cli_imports_a_file_and_writes_the_error_file(tmp_path, settings, clock, monkeypatch, capsys):
    lon, lat = point(CORE_CELL)
    path = tmp_path / "batch.csv"
    path.write_bytes(_csv([(WATER_COVER, "好", lon, lat, ""), ("99999", "坏", lon, lat, "")]).encode("gb18030"))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CITYOPS_DEMO", "0")
    assert cityops_app.main(["import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "1 of 2 rows imported" in out
    assert "3,category" in (tmp_path / "batch.errors.csv").read_text(encoding="utf-8")



def test_imported_codes_follow_each_rows_report_day(services, clock):
    lon, lat = point(CORE_CELL)
    text = _csv([(WATER_COVER, "old", lon, lat, "2026-02-01T09:00:00+08:00"),
                 (WATER_COVER, "new", lon, lat, "2026-03-10T09:00:00+08:00"),
                 (WATER_COVER, "old2", lon, lat, "2026-02-01T10:00:00+08:00")],
                header=("类别", "描述", "经度", "纬度", "上报时间"))
    rep = import_csv(services, text.encode(), None, operator(), clock())
    assert rep.codes == ["2026020100001", "2026031000001", "2026020100002"]
