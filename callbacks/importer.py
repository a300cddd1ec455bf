"""The operator's CSV import page (/import): upload → column mapping → import with progress → result.

Progress travels over the page's own Socket.IO connection: the import callback runs the import in its
request and emits ``import_progress`` (tagged with the page's job id) to the caller's ``user:`` room,
which the server joined from the login; a clientside callback moves the bar. The error file is built
in the reader's language and downloaded from the page (no file is kept on the server).
"""
from __future__ import annotations

import uuid
from typing import Any, Callable

from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, no_update

from callbacks.access import Forbidden, lang, services, user_with
from callbacks.pages import PageSpec
from dispatch.importer import FIELDS, REQUIRED, CsvError, RowError, import_csv, preview
from i18n import has, t
from incidents.model import Role
from incidents.uploads import UploadError, decode_data_url
from layouts import ids
from layouts import importer as view

ROLES = (Role.OPERATOR, Role.ADMIN)
PHASES = ("start", "validate", "store")
HIDDEN, SHOWN = {"display": "none"}, {"display": "inline-block"}


def import_page(svc: Any, lang_: str) -> Any:
    phases = {p: t(f"importer.phase.{p}", lang_) for p in PHASES}
    return view.layout(lang_, max(svc.settings.import_max_bytes // 1_000_000, 1), phases)


PAGE = PageSpec("import", "/import", "CityOps · 批量导入", import_page)


def _file(contents: str | None, max_bytes: int) -> bytes:
    """The uploaded bytes, or CsvError worded for the catalog (size checked before decoding)."""
    try:
        return decode_data_url(contents or "", max_bytes)
    except UploadError as exc:
        code = "too_large" if exc.code == "upload_too_large" else "unreadable"
        raise CsvError(exc.message, code, max_mb=max(max_bytes // 1_000_000, 1)) from None


def _csv_error(exc: CsvError, lang_: str) -> str:
    return t(f"importer.error.{exc.code}", lang_, **exc.params)


@callback(
    Output(ids.IMPORT_FILE_INFO, "children"), Output(ids.IMPORT_MAPPING, "children"),
    Output(ids.IMPORT_RUN, "disabled", allow_duplicate=True), Output(ids.IMPORT_JOB, "data"),
    Output(ids.IMPORT_RESULT, "children", allow_duplicate=True),
    Output(ids.IMPORT_ERRORS_BUTTON, "style", allow_duplicate=True),
    Input(ids.IMPORT_UPLOAD, "contents"), State(ids.IMPORT_UPLOAD, "filename"), prevent_initial_call=True,
)
def uploaded(contents: str | None, filename: str | None) -> tuple[Any, ...]:
    """Read the header and offer the mapping, preset to the columns we recognise."""
    lg = lang()
    try:
        user_with(*ROLES)
    except Forbidden:
        return view.message(t("error.forbidden", lg)), None, True, None, None, HIDDEN
    svc = services()
    try:
        p = preview(_file(contents, svc.settings.import_max_bytes))
    except CsvError as exc:
        return view.message(_csv_error(exc, lg)), None, True, None, None, HIDDEN
    table = view.mapping_table(lg, list(FIELDS), REQUIRED, p.header, p.mapping)
    info = view.file_info(lg, filename or "", p.encoding, p.lines)
    return info, table, False, uuid.uuid4().hex, None, HIDDEN


@callback(
    Output(ids.IMPORT_RESULT, "children"), Output(ids.IMPORT_ERRORS, "data"),
    Output(ids.IMPORT_ERRORS_BUTTON, "style"), Output(ids.IMPORT_RUN, "disabled"),
    Input(ids.IMPORT_RUN, "n_clicks"), State(ids.IMPORT_UPLOAD, "contents"),
    State(ids.import_map(ALL), "value"), State(ids.import_map(ALL), "id"), State(ids.IMPORT_JOB, "data"),
    prevent_initial_call=True,
)
def run_import(_n: int, contents: str | None, columns: list[str | None], map_ids: list[dict[str, str]],
               job: str | None) -> tuple[Any, ...]:
    """Import every valid row in one transaction; the counts, and the refused rows as a CSV to download.
    The button stays disabled after a finished import so a second click cannot import the file twice."""
    lg = lang()
    try:
        user = user_with(*ROLES)
    except Forbidden:
        return view.message(t("error.forbidden", lg)), None, HIDDEN, True
    svc = services()
    mapping = {i["field"]: c for i, c in zip(map_ids, columns) if c}
    tick = _progress(svc, user.username, job or "")
    tick("start", 0, 0)
    try:
        report = import_csv(svc, _file(contents, svc.settings.import_max_bytes), mapping, user.actor, svc.clock(),
                            progress=tick)
    except CsvError as exc:
        return view.message(_csv_error(exc, lg)), None, HIDDEN, False
    tick("store", report.imported, report.imported)
    errors = None
    if report.errors:
        errors = "\ufeff" + report.error_csv(lambda e: _reason(e, lg),
                                             [t(f"importer.col.{c}", lg) for c in ("line", "field", "reason")])
    return (view.result(lg, report.total, report.imported, len(report.errors)), errors,
            SHOWN if errors else HIDDEN, True)


@callback(
    Output(ids.IMPORT_ERRORS_DOWNLOAD, "data"), Input(ids.IMPORT_ERRORS_BUTTON, "n_clicks"),
    State(ids.IMPORT_ERRORS, "data"), prevent_initial_call=True,
)
def download_errors(_n: int, errors: str | None) -> Any:
    try:
        user_with(*ROLES)
    except Forbidden:
        return no_update
    return dcc.send_string(errors, "import-errors.csv", type="text/csv") if errors else no_update


# A click disables the button at once (the import may take seconds); the server answer decides after.
clientside_callback(
    "function(n) { return true; }",
    Output(ids.IMPORT_RUN, "disabled", allow_duplicate=True), Input(ids.IMPORT_RUN, "n_clicks"),
    prevent_initial_call=True,
)

clientside_callback(
    """function(msg, job, phases) {
        const skip = window.dash_clientside.no_update;
        if (!msg || !job || msg.job !== job) { return [skip, skip, skip]; }
        const label = (phases || {})[msg.phase] || msg.phase;
        const total = Math.max(msg.total || 0, 1);
        return [String(msg.done || 0), String(total), label + (msg.total ? " " + msg.done + " / " + msg.total : "")];
    }""",
    Output(ids.IMPORT_PROGRESS, "value"), Output(ids.IMPORT_PROGRESS, "max"),
    Output(ids.IMPORT_PROGRESS_TEXT, "children"),
    Input(ids.IMPORT_SOCKET, f"data-{view.PROGRESS_EVENT}"), State(ids.IMPORT_JOB, "data"),
    State(ids.IMPORT_PHASES, "data"), prevent_initial_call=True,
)


def _progress(svc: Any, username: str, job: str) -> Callable[[str, int, int], None]:
    """Progress to the caller's own sockets (the server's ``user:`` room), tagged with the page's job."""
    socketio = getattr(svc.broadcaster, "socketio", None)

    def tick(phase: str, done: int, total: int) -> None:
        if socketio is not None:
            socketio.emit(view.PROGRESS_EVENT, {"job": job, "phase": phase, "done": done, "total": total},
                          to=f"user:{username}")
    return tick


def _reason(e: RowError, lang_: str) -> str:
    for key in (f"error.{e.code}", f"importer.error.{e.code}"):
        if e.code and has(key, lang_):
            return t(key, lang_, **e.params)
    return e.message
