"""CSV and Excel exports of a filtered incident list or an indicator table, phones masked per role.

Why here and pure (no Flask): the page's download buttons and any future API share one writer, and the
masking is applied in the writer itself (via :func:`incidents.privacy.phone_for`) so no edge can forget.
Text that a spreadsheet would read as a formula (a reporter's description starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is written with a leading ``'`` in both files, so opening an
export never runs a citizen's ``=HYPERLINK(...)``; numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from incidents.privacy import phone_for

PHONE_COLUMNS = frozenset({"phone", "reporter_phone"})
#: First characters with which Excel, LibreOffice and Google Sheets start a formula (tab and CR too:
#: some of them strip those and read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else value


def inert(value: Any) -> Any:
    """``value`` as a spreadsheet will take it literally: formula-like text gets a leading ``'``. Only
    ``str`` is touched, so a count or a negative number stays a number a sheet can sum."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _inert_rows(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    return [[inert(v) for v in row] for row in rows]


def table_rows(records: Iterable[Mapping[str, Any]], columns: Sequence[str], role: Any) -> list[list[Any]]:
    """The rows as the viewer may see them: phone columns through ``phone_for(role, …)``."""
    return [[phone_for(role, r.get(c)) if c in PHONE_COLUMNS else _cell(r.get(c)) for c in columns] for r in records]


def to_csv(records: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str], role: Any) -> bytes:
    """UTF-8 with a BOM so Excel on Windows opens Chinese headers correctly."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([inert(h) for h in headers])
    w.writerows(_inert_rows(table_rows(records, columns, role)))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(records: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str], role: Any,
            sheet: str = "CityOps") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append([inert(h) for h in headers])
    for row in _inert_rows(table_rows(records, columns, role)):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["FORMULA_STARTS", "PHONE_COLUMNS", "inert", "table_rows", "to_csv", "to_xlsx"]
