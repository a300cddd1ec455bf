"""The console's CSV import page (/import): its callbacks called as functions inside a logged-in request —
upload → mapping → import → counts, progress on the user's socket, and the downloadable error file."""
from __future__ import annotations

import base64
import csv
import io
from typing import Any

from dash import html

from callbacks import importer as cb
from factories import GARBAGE, OUTSIDE_CITY, WATER_COVER, point
from incidents.model import State
from layouts import ids
from webapp import as_user, login


def _data_url(text: str, encoding: str = "utf-8") -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode(encoding)).decode()


def _file(rows: list[list[Any]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header or ["问题描述", "类别", "经度", "纬度", "备注"])
    w.writerows(rows)
    return out.getvalue()


def _mapping(table: Any) -> tuple[list[Any], list[dict[str, str]]]:
    """The dropdowns' values and ids as the browser would send them back."""
    found = [c for c in table._traverse() if isinstance(getattr(c, "id", None), dict)]
    return [getattr(c, "value", None) for c in found], [c.id for c in found]


def test_upload_offers_the_mapping_preset_from_the_header(web: Any) -> None:
    lon, lat = point()
    text = _file([["井盖缺失", WATER_COVER, lon, lat, ""]])
    with as_user(web, "operator"):
        info, table, disabled, job, result, button = cb.uploaded(_data_url(text, "gb18030"), "旧系统.csv")
    assert "旧系统.csv" in info and "gb18030" in info and disabled is False and job
    values, id_list = _mapping(table)
    chosen = {i["field"]: v for i, v in zip(id_list, values)}
    assert chosen["category"] == "类别" and chosen["description"] == "问题描述"
    assert chosen["lon"] == "经度" and chosen["lat"] == "纬度" and chosen["address"] is None


def test_import_stores_valid_rows_reports_bad_ones_and_streams_progress(web: Any) -> None:
    lon, lat = point()
    rows = [["井盖缺失", WATER_COVER, lon, lat, ""], ["垃圾", GARBAGE, lon, lat, ""],
            ["", WATER_COVER, lon, lat, ""], ["外地", WATER_COVER, *OUTSIDE_CITY, ""], ["坏类别", "99999", lon, lat, ""]]
    contents = _data_url(_file(rows))
    client = web.server.test_client()
    login(client, "operator")
    sock = web.socketio.test_client(web.server, flask_test_client=client)
    sock.get_received()
    with as_user(web, "operator"):
        _, table, _, job, _, _ = cb.uploaded(contents, "a.csv")
        values, id_list = _mapping(table)
        result, errors, button, disabled = cb.run_import(1, contents, values, id_list, job)
    text = str(result.to_plotly_json())
    assert "导入 2 行" in text and "拒绝 3 行" in text
    assert button == cb.SHOWN and disabled is True
    lines = list(csv.reader(io.StringIO(errors.lstrip("\ufeff"))))
    assert lines[0] == ["行号", "系统字段", "原因"]
    assert [(int(r[0]), r[1]) for r in lines[1:]] == [(4, "description"), (5, "location"), (6, "category")]
    assert lines[1][2] == "此项为必填项" and lines[3][2] == "未知的案件类别"
    imported = web.services.incidents.list()
    assert len(imported) == 2 and all(i.state == State.REPORTED for i in imported)
    progress = [m["args"][0] for m in sock.get_received() if m["name"] == "import_progress"]
    assert progress and all(p["job"] == job for p in progress)
    assert progress[-1]["phase"] == "store" and progress[-1]["done"] == 2
    with as_user(web, "operator"):
        download = cb.download_errors(1, errors)
    assert download["filename"] == "import-errors.csv" and "行号" in download["content"]


def test_unmapped_required_column_is_refused_and_nothing_is_stored(web: Any) -> None:
    lon, lat = point()
    contents = _data_url(_file([["井盖缺失", WATER_COVER, lon, lat, ""]]))
    with as_user(web, "operator", lang="en"):
        _, table, _, job, _, _ = cb.uploaded(contents, "a.csv")
        values, id_list = _mapping(table)
        values = [None if i["field"] == "category" else v for i, v in zip(id_list, values)]
        result, errors, button, disabled = cb.run_import(1, contents, values, id_list, job)
    assert "Choose a column for: category" in str(result.to_plotly_json())
    assert errors is None and disabled is False
    assert web.services.incidents.list() == []


def test_a_file_over_the_size_limit_or_not_text_is_refused(web: Any) -> None:
    web.services.settings.import_max_bytes = 1_000
    big = _data_url(_file([["x" * 100, WATER_COVER, 1, 1, ""]] * 20))
    with as_user(web, "operator", lang="en"):
        info, table, disabled, *_ = cb.uploaded(big, "big.csv")
        assert "too large" in str(info.to_plotly_json()) and table is None and disabled is True
        info, *_ = cb.uploaded("data:text/csv;base64," + base64.b64encode(b"\xff\xfe\x00\x81\x30").decode(), "x.csv")
    assert "neither UTF-8 nor GB18030" in str(info.to_plotly_json())


def test_roles_other_than_operator_and_admin_are_refused(web: Any) -> None:
    lon, lat = point()
    contents = _data_url(_file([["井盖缺失", WATER_COVER, lon, lat, ""]]))
    ids_ = [ids.import_map(f) for f in ("category", "description", "lon", "lat")]
    for role in ("dept_handler", "wall", "verifier"):
        with as_user(web, role):
            info, table, disabled, *_ = cb.uploaded(contents, "a.csv")
            result, *_ = cb.run_import(1, contents, ["类别", "问题描述", "经度", "纬度"], ids_, "job")
            assert cb.download_errors(1, "line\n") is cb.no_update
        assert table is None and disabled is True
        assert "无权" in str(info.to_plotly_json()) and "无权" in str(result.to_plotly_json())
    assert web.services.incidents.list() == []
    with as_user(web, "admin"):
        _, table, disabled, *_ = cb.uploaded(contents, "a.csv")
    assert table is not None and disabled is False
    assert isinstance(table, html.Table)


def test_the_page_is_served_to_operators_and_refused_to_other_roles(web: Any) -> None:
    client = web.server.test_client()
    login(client, "dept_handler")
    assert client.get("/import").status_code == 403
    client = web.server.test_client()
    login(client, "operator")
    assert client.get("/import").status_code == 200
