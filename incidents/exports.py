"""CSV and Excel exports of a filtered incident list or an indicator table, phones masked per role.

Why here and pure (no Flask): the page's download buttons and any future API share one writer, and the
masking is applied in the writer itself (via :func:`incidents.privacy.phone_for`) so no edge can forget.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from incidents.privacy import phone_for

PHONE_COLUMNS = frozenset({"phone", "reporter_phone"})


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else value


def table_rows(records: Iterable[Mapping[str, Any]], columns: Sequence[str], role: Any) -> list[list[Any]]:
    """The rows as the viewer may see them: phone columns through ``phone_for(role, …)``."""
    return [[phone_for(role, r.get(c)) if c in PHONE_COLUMNS else _cell(r.get(c)) for c in columns] for r in records]


def to_csv(records: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str], role: Any) -> bytes:
    """UTF-8 with a BOM so Excel on Windows opens Chinese headers correctly."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(table_rows(records, columns, role))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(records: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str], role: Any,
            sheet: str = "CityOps") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append(list(headers))
    for row in table_rows(records, columns, role):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["PHONE_COLUMNS", "table_rows", "to_csv", "to_xlsx"]
