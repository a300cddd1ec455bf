"""Exports write formula-like text as literal text (CSV injection), and leave numbers as numbers."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from incidents import exports
from incidents.model import Role

EVIL = '=HYPERLINK("http://x","x")'
COLUMNS = ["code", "description", "count", "delta"]
RECORDS = [
    {"code": "A1", "description": EVIL, "count": 3, "delta": -2},
    {"code": "A2", "description": "+1 555", "count": 0, "delta": -0.5},
    {"code": "A3", "description": "@SUM(A1)", "count": 1, "delta": 1},
    {"code": "A4", "description": "\tcmd", "count": 1, "delta": 1},
    {"code": "A5", "description": "-2+3", "count": 1, "delta": 1},
    {"code": "A6", "description": "井盖缺失 = 危险", "count": 1, "delta": 1},
]


def test_csv_prefixes_formula_text_and_keeps_numbers():
    text = exports.to_csv(RECORDS, COLUMNS, COLUMNS, Role.LEADER).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows[0][1] == "'" + EVIL
    assert [r[1][0] for r in rows[:5]] == ["'"] * 5
    assert rows[5][1] == "井盖缺失 = 危险"  # only a leading formula character matters
    assert rows[0][3] == "-2" and rows[1][3] == "-0.5"  # negative numbers are not text


def test_xlsx_cell_is_text_starting_with_a_quote():
    data = exports.to_xlsx(RECORDS, COLUMNS, COLUMNS, Role.LEADER)
    ws = load_workbook(io.BytesIO(data)).active
    cell = ws.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("'") and cell.value == "'" + EVIL
    assert all(ws.cell(row=r, column=2).value.startswith("'") for r in range(2, 7))
    count, delta = ws.cell(row=2, column=3), ws.cell(row=2, column=4)
    assert count.data_type == "n" and count.value == 3
    assert delta.data_type == "n" and delta.value == -2


def test_page_rows_are_not_altered():
    """The analytics page shows ``table_rows`` as they are; only the files are neutralised."""
    assert exports.table_rows(RECORDS[:1], COLUMNS, Role.LEADER)[0][1] == EVIL
