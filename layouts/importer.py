"""The operator's CSV import page (/import): upload, column mapping, progress, result. Pure trees."""
from __future__ import annotations

from typing import Any, Sequence

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import select, socket

PROGRESS_EVENT = "import_progress"


def layout(lang: str, max_mb: int, phases: dict[str, str]) -> html.Div:
    return html.Div([
        html.H2(t("importer.title", lang)),
        html.P(t("importer.hint", lang, max_mb=max_mb), className="field-hint"),
        socket(ids.IMPORT_SOCKET, [PROGRESS_EVENT]),
        dcc.Store(id=ids.IMPORT_JOB),
        dcc.Store(id=ids.IMPORT_PHASES, data=phases),
        dcc.Store(id=ids.IMPORT_ERRORS),
        dcc.Upload(id=ids.IMPORT_UPLOAD, accept=".csv,text/csv", max_size=max_mb * 1_000_000, multiple=False,
                   children=html.Div([html.B(t("importer.upload", lang)),
                                      html.Div(t("importer.upload_hint", lang, max_mb=max_mb))]),
                   className="import-upload"),
        html.Div(id=ids.IMPORT_FILE_INFO, className="import-file-info", role="status"),
        html.Div(id=ids.IMPORT_MAPPING, className="import-mapping"),
        html.Button(t("importer.run", lang), id=ids.IMPORT_RUN, n_clicks=0, disabled=True, className="primary"),
        html.Div([
            html.Progress(id=ids.IMPORT_PROGRESS, value="0", max="1"),
            html.Span(id=ids.IMPORT_PROGRESS_TEXT, className="import-progress-text"),
        ], className="import-progress"),
        html.Div(id=ids.IMPORT_RESULT, className="import-result", role="status"),
        html.Button(t("importer.download_errors", lang), id=ids.IMPORT_ERRORS_BUTTON, n_clicks=0,
                    style={"display": "none"}),
        dcc.Download(id=ids.IMPORT_ERRORS_DOWNLOAD),
    ], className="import-page", id="import")


def file_info(lang: str, filename: str, encoding: str, lines: int) -> str:
    return t("importer.file_info", lang, name=filename, encoding=encoding, lines=lines)


def mapping_table(lang: str, fields: Sequence[str], required: Sequence[str], header: Sequence[str],
                  mapping: dict[str, str]) -> html.Table:
    """One row per field of ours: its name and a dropdown of the file's columns, preset to our guess."""
    options = [{"label": h, "value": h} for h in header]
    rows = [html.Tr([
        html.Td(t(f"importer.field.{f}", lang) + (" *" if f in required else "")),
        html.Td(select(lang, id=ids.import_map(f), options=options, value=mapping.get(f),
                             placeholder=t("importer.unmapped", lang), clearable=f not in required)),
    ]) for f in fields]
    return html.Table([
        html.Thead(html.Tr([html.Th(t("importer.col.field", lang)), html.Th(t("importer.col.column", lang))])),
        html.Tbody(rows),
    ], className="import-mapping-table")


def result(lang: str, total: int, imported: int, refused: int) -> html.Div:
    return html.Div([
        html.Div(t("importer.done", lang, total=total, imported=imported, refused=refused)),
        html.Div(t("importer.nothing_refused" if not refused else "importer.some_refused", lang),
                 className="field-hint"),
    ])


def message(text: str, error: bool = True) -> html.Div:
    return html.Div(text, className="field-error" if error else "field-hint", role="alert" if error else "status")


__all__: list[Any] = ["layout", "file_info", "mapping_table", "result", "message", "PROGRESS_EVENT"]
