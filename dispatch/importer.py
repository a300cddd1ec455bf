"""Bulk CSV import: decode (UTF-8 or GB18030), map columns, validate every row through the shared
``parse_draft``, then store all valid rows in one transaction (nothing half-written).

Locating is vectorised: all points are located in one STRtree query first, then ``parse_draft`` is
given a locator that answers from that table — the same validation as every other channel, at bulk
speed. Imported incidents wait as ``reported`` (no per-row duplicate check or auto-dispatch: historic
and back-office batches are reviewed in the queue; see the README).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from geo.crs import gcj02_to_wgs84
from incidents import bulk
from incidents.intake import Draft, IntakeError, parse_draft
from incidents.model import Actor, Channel

#: Our fields and the column headers recognised for each without a mapping (English and Chinese).
FIELDS: dict[str, tuple[str, ...]] = {
    "category": ("category", "类别", "小类", "类别代码"),
    "severity": ("severity", "紧急程度", "等级"),
    "description": ("description", "描述", "问题描述"),
    "lon": ("lon", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "address": ("address", "地址"),
    "reporter_phone": ("reporter_phone", "phone", "电话", "联系电话"),
    "reported_at": ("reported_at", "上报时间", "时间"),
    "crs": ("crs", "坐标系"),
}
REQUIRED = ("category", "description", "lon", "lat")
ENCODINGS = ("utf-8-sig", "gb18030")


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, no header, a required column unmapped);
    ``code`` and ``params`` name the catalog message (``importer.error.<code>``)."""

    def __init__(self, message: str, code: str = "unreadable", **params: Any) -> None:
        super().__init__(message)
        self.code, self.params = code, params


@dataclass(frozen=True)
class Preview:
    """What the mapping step shows: the file's encoding, its header, our guess at the mapping."""

    encoding: str
    header: list[str]
    mapping: dict[str, str]
    lines: int


def preview(data: bytes) -> Preview:
    """Decode and read the header only; refuse a file with no header line."""
    text, encoding = decode(data)
    header = [h for h in header_of(text)]
    if not any(h.strip() for h in header):
        raise CsvError("no header line", "no_header")
    return Preview(encoding, header, default_mapping(header), max(text.count("\n") - 1, 0))


@dataclass
class RowError:
    line: int
    field: str
    message: str
    #: catalog key suffix (``error.<code>`` or ``importer.error.<code>``) and its parameters, so the
    #: console can write the error file in the reader's language; ``message`` stays for the CLI
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    codes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    encoding: str = ""

    def error_csv(self, reason: Callable[[RowError], str] | None = None,
                  header: Sequence[str] = ("line", "field", "message")) -> str:
        """The downloadable error file: one line per refused row (``reason`` words it, default English)."""
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(list(header))
        for e in self.errors:
            w.writerow([e.line, e.field, reason(e) if reason else e.message])
        return out.getvalue()


def decode(data: bytes) -> tuple[str, str]:
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise CsvError("the file is neither UTF-8 nor GB18030 text", "encoding")


def header_of(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)), [])


def default_mapping(header: Sequence[str]) -> dict[str, str]:
    """field → column, for every field whose usual name is a column of ``header``."""
    lowered = {h.strip().lower(): h for h in header}
    out: dict[str, str] = {}
    for name, aliases in FIELDS.items():
        for alias in aliases:
            if alias.lower() in lowered:
                out[name] = lowered[alias.lower()]
                break
    return out


def read_rows(text: str, mapping: Mapping[str, str]) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """(line, raw report) for each data row; malformed rows become errors with their line number."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise CsvError(f"no header line: {exc}", "no_header") from None
    missing = [f for f in REQUIRED if mapping.get(f) not in header]
    if missing:
        raise CsvError(f"no column for {', '.join(missing)}: map them to one of {header}", "unmapped",
                       fields=", ".join(missing))
    index = {name: header.index(col) for name, col in mapping.items() if col in header}
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[RowError] = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, "csv", f"malformed CSV: {exc}", "malformed_csv"))
            continue
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(RowError(line, "csv", f"{len(values)} fields where the header has {len(header)}",
                                   "field_count", {"got": len(values), "want": len(header)}))
            continue
        rows.append((line, {name: values[i] for name, i in index.items()}))
    return rows, errors


class _Located:
    """A locator answering from a precomputed table (``parse_draft`` asks one point at a time)."""

    def __init__(self, table: Mapping[tuple[float, float], str]) -> None:
        self.table = table

    def locate_one(self, lon: float, lat: float) -> str:
        code = self.table.get((lon, lat), "")
        if not code:
            raise ValueError("outside")
        return code


def _floats(rows: Iterable[dict[str, Any]], key: str) -> np.ndarray:
    out = []
    for _, raw in rows:  # type: ignore[misc]
        try:
            out.append(float(raw.get(key)))
        except (TypeError, ValueError):
            out.append(np.nan)
    return np.asarray(out, dtype=np.float64)


def validate(rows: list[tuple[int, dict[str, Any]]], *, taxonomy: Any, grid: Any, now: datetime,
             progress: Callable[[int], None] | None = None) -> tuple[list[Draft], list[RowError]]:
    lons, lats = _floats(rows, "lon"), _floats(rows, "lat")
    gcj = np.asarray([str(raw.get("crs") or "wgs84").strip().lower() == "gcj02" for _, raw in rows], dtype=bool)
    if gcj.any():
        lons[gcj], lats[gcj] = gcj02_to_wgs84(lons[gcj], lats[gcj])
    cells = grid.locate(lons, lats) if len(rows) else []
    locator = _Located({(float(x), float(y)): str(c) for x, y, c in zip(lons, lats, cells) if c})
    drafts: list[Draft] = []
    errors: list[RowError] = []
    for k, (line, raw) in enumerate(rows):
        crs = str(raw.pop("crs", "") or "wgs84").strip().lower()
        try:
            if crs not in ("wgs84", "gcj02"):
                raise IntakeError("crs", "invalid_choice", f"crs must be wgs84 or gcj02, not {crs!r}")
            if crs == "gcj02" and np.isfinite(lons[k]):
                raw = {**raw, "lon": float(lons[k]), "lat": float(lats[k])}
            drafts.append(parse_draft(raw, taxonomy=taxonomy, locator=locator, channel=Channel.IMPORT, now=now))
        except IntakeError as exc:
            errors.append(RowError(line, exc.field, exc.message, exc.code, dict(exc.params)))
        if progress and k % 5000 == 4999:
            progress(k + 1)
    return drafts, errors


def import_csv(services: Any, data: bytes, mapping: Mapping[str, str] | None, actor: Actor, now: datetime, *,
               progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Validate every row, then store every valid one in one transaction; report every bad one."""
    text, encoding = decode(data)
    mapping = {k: v for k, v in (mapping or default_mapping(header_of(text))).items() if v}
    rows, errors = read_rows(text, mapping)
    total = len(rows) + len(errors)
    tick = (lambda phase: (lambda n: progress(phase, n, total))) if progress else (lambda phase: None)
    drafts, bad = validate(rows, taxonomy=services.reference.get().taxonomy, grid=services.grid, now=now,
                           progress=tick("validate"))
    errors = sorted(errors + bad, key=lambda e: e.line)
    recorder = getattr(services.dispatch, "on_refusal", None)  # refusals are counted
    if errors and recorder is not None:
        recorder.record_many(Channel.IMPORT, [(e.field, e.code) for e in errors], now)
    with services.db.write.begin() as s:
        codes = bulk.bulk_create(drafts, actor, now, services.settings.tz, session=s, progress=tick("store"))
    return ImportReport(total=total, imported=len(codes), codes=codes, errors=errors, encoding=encoding)
