"""The handler workbench (处置工作台) and the verifier's page (核查): pure component trees.

The workbench is one page for an office screen and a grid worker's phone: the queue is a grid on wide
screens and a list of cards on narrow ones (assets/13_phone.css picks), both picking into one store; the
picked case's pin sits on a small map in its detail, and on a phone the action buttons stay at the bottom
of the screen, under the thumb."""
from __future__ import annotations

from typing import Any, Sequence

import dash_ag_grid as dag
from dash import dcc, html

from i18n import t
from layouts import ids, verify_task
from layouts.case_file import case_link
from layouts.components import grid_locale, grid_options, select, socket

GRID_COLUMNS = ("code", "category", "address", "deadline", "countdown", "state", "risk")


def workbench(lang: str) -> html.Div:
    columns = [{"field": c, "headerName": t(f"workbench.col.{c}", lang), "sortable": True, "filter": True}
               for c in GRID_COLUMNS]
    controls = html.Div([
        dcc.Textarea(id=ids.WB_TEXT, placeholder=t("workbench.text", lang), maxLength=2000, className="textarea"),
        html.Div([
            html.Label(t("workbench.hours", lang), htmlFor=ids.WB_HOURS),
            dcc.Input(id=ids.WB_HOURS, type="number", min=0.5, max=240, step=0.5, value=8),
        ], className="field"),
        dcc.Upload(id=ids.WB_PHOTOS, children=html.Div(t("workbench.photos", lang), id="wb-photos-label"), multiple=True,
                   accept="image/jpeg,image/png,image/webp", className="upload"),
        html.Div(id=ids.WB_PREVIEW, className="wb-previews"),
        html.Div(id=ids.WB_PHOTO_NAMES, className="field-hint"),
        html.Div([html.Button(t(f"workbench.action.{a}", lang), id=ids.wb_action(a), n_clicks=0, disabled=True,
                              className="primary" if a in ("acknowledge", "resolve") else "")
                  for a in ids.WB_ACTIONS], className="queue-actions wb-actions"),
        html.Div(id=ids.WB_MESSAGE, className="queue-message", role="status"),
    ], className="wb-controls")
    return html.Div([
        socket(ids.WB_SOCKET, ["assignment"]),
        dcc.Store(id=ids.WB_VERSION, data=0),
        dcc.Store(id=ids.WB_SELECTED),
        dcc.Store(id=ids.WB_PICKED),
        html.H2(t("workbench.title", lang)),
        html.Div(id=ids.WB_TOAST, className="toast", role="status"),
        verify_task.worker_tasks(lang),  # 核查任务 sent to a grid worker, on top while one is open (layouts/verify_task.py)
        dag.AgGrid(id=ids.WB_GRID, columnDefs=columns, rowData=[], getRowId="params.data.code",
                   dashGridOptions=grid_options(lang, rowSelection={"mode": "singleRow"},
                                                localeText=grid_locale(lang) | {"noRowsToShow": t("workbench.empty", lang)}),
                   columnSize="sizeToFit", className="cityops-grid", style={"height": "320px"}),
        html.Div(id=ids.WB_CARDS, className="wb-cards", role="group", **{"aria-label": t("mobile.wb.cards", lang)}),
        html.Div([html.Div(id=ids.WB_DETAIL, className="wb-detail"), controls], className="wb-lower"),
    ], className="workbench", id="workbench")


def cards(lang: str, rows: Sequence[dict[str, Any]]) -> list[html.Button] | html.Div:
    """The queue as cards a thumb can pick (the grid's rows, already in words): what and where first, then
    the time left and the state. User text goes in as text, never as markup."""
    if not rows:
        return html.Div(t("workbench.empty", lang), className="field-hint")
    return [html.Button([
        html.Div([html.Strong(r.get("category", "")), html.Span(r.get("state", ""), className="wb-card-state")],
                 className="wb-card-head"),
        html.Div(r.get("address", ""), className="wb-card-address"),
        html.Div([html.Span(r.get("countdown", "")), html.Span(r.get("code", ""), className="wb-card-code")],
                 className="wb-card-foot"),
    ], id=ids.wb_card(str(r.get("code", ""))), n_clicks=0, className="wb-card") for r in rows]


def detail(lang: str, fields: Sequence[tuple[str, str]], timeline: Sequence[tuple[str, str, str, str]],
           photos: Sequence[str], figure: Any = None) -> html.Div:
    """An incident's facts, its pin on a small map (``figure``, when it has a place), its timeline (time, who,
    what, note) and its photos (served by the app), with a link to its whole case file."""
    code = dict(fields).get("code", "")
    return html.Div([
        case_link(code, t("case.open", lang)) if code else None,
        html.Div(figure, id=ids.WB_MAP, className="wb-map-box", role="group", **{"aria-label": t("mobile.wb.map_label", lang)}) if figure is not None else None,
        html.Dl([item for k, v in fields for item in (html.Dt(t(f"workbench.col.{k}", lang)), html.Dd(v))]),
        html.H3(t("workbench.timeline", lang)),
        html.Ol([html.Li([html.Span(at, className="tl-at"), " ", html.Span(who, className="tl-who"), " ",
                          html.Strong(what), " ", html.Span(note, className="tl-note")], className="tl-item")
                 for at, who, what, note in timeline], className="timeline", id="wb-timeline"),
        html.Div([html.Img(src=src, className="wb-photo", alt="") for src in photos], className="wb-photos"),
    ])


def verify(lang: str) -> html.Div:
    return html.Div([
        socket("verify-socket", ["delta"]),
        dcc.Store(id=ids.VERIFY_VERSION, data=0),
        html.H2(t("verify.title", lang)),
        html.Div([select(lang, id=i, placeholder=t(f"verify.filter.{k}", lang), className="verify-filter")
                  for i, k in ((ids.VERIFY_DEPARTMENT, "department"), (ids.VERIFY_CATEGORY, "category"),
                               (ids.VERIFY_DISTRICT, "district"))], className="verify-filters"),
        html.Div(id=ids.VERIFY_LIST, className="queue"),
        html.Div([
            select(lang, id=ids.VERIFY_SELECT, placeholder=t("verify.select", lang), className="queue-select"),
            dcc.Input(id=ids.VERIFY_REASON, type="text", placeholder=t("verify.reason", lang)),
            dcc.ConfirmDialogProvider(  # closing or sending back is asked once more: "确认…?"
                html.Button(t("verify.pass", lang), id=ids.VERIFY_PASS, n_clicks=0, className="primary"),
                id=ids.VERIFY_PASS_CONFIRM, message=t("verify.confirm_pass", lang)),
            dcc.ConfirmDialogProvider(
                html.Button(t("verify.fail", lang), id=ids.VERIFY_FAIL, n_clicks=0, className="danger"),
                id=ids.VERIFY_FAIL_CONFIRM, message=t("verify.confirm_fail", lang)),
        ], className="queue-actions"),
        html.Div(id=ids.VERIFY_MESSAGE, className="queue-message", role="status"),
        verify_task.verify_controls(lang),  # 核查任务: send a grid worker (layouts/verify_task.py)
        html.Div(id=ids.VERIFY_CASE, className="verify-case"),  # the picked case's file: note, photos, place
    ], className="verify", id="verify")


def table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> html.Table:
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                       html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])], className="queue-table")


__all__ = ["GRID_COLUMNS", "cards", "detail", "table", "verify", "workbench"]
