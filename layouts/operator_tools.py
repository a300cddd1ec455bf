"""The console's operator tools: search with caller history, likely duplicates, callback (回访).

Pure component trees; callbacks/intake.py fills them. Kept apart from the report form so the form
stays the first thing the operator sees and these sections can be laid out beside the queue.
"""
from __future__ import annotations

from typing import Any

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.case_file import case_link
from layouts.components import select


def search_section(lang: str) -> html.Section:
    return html.Section([
        html.H2(t("search.title", lang)),
        dcc.Input(id=ids.SEARCH_QUERY, type="search", debounce=True, placeholder=t("search.placeholder", lang),
                  className="search-input"),
        dcc.Loading(html.Div(id=ids.SEARCH_RESULTS, className="search-results"), type="dot"),
    ], className="tool-section search-section")


def duplicates_section(lang: str) -> html.Section:
    """Hidden until an intake finds candidates; the candidates also appear on the console's map."""
    return html.Section([
        dcc.Store(id=ids.DUP_STATE, data=None),
        html.H2(t("dup.title", lang)),
        html.Div(id=ids.DUP_PANEL, className="dup-panel"),
        html.Div([
            select(lang, id=ids.DUP_TARGET, placeholder=t("dup.target", lang), className="dup-target"),
            html.Button(t("dup.merge", lang), id=ids.DUP_MERGE, n_clicks=0, className="primary"),
            html.Button(t("dup.keep", lang), id=ids.DUP_KEEP, n_clicks=0),
        ], className="dup-actions"),
        html.Div(id=ids.DUP_MESSAGE, className="dup-message", role="status"),
    ], className="tool-section dup-section", id="dup-section", hidden=True)


def callback_section(lang: str) -> html.Section:
    levels = [{"label": t(f"callback.{s}", lang), "value": s}
              for s in ("satisfied", "basically_satisfied", "dissatisfied")]
    return html.Section([
        html.H2(t("callback.title", lang)),
        html.H3(t("callback.due_title", lang)),
        html.Div(id=ids.CALLBACK_DUE, className="callback-due queue"),
        html.Div([html.Label(t("callback.code", lang), htmlFor=ids.CALLBACK_CODE),
                  dcc.Input(id=ids.CALLBACK_CODE, type="text", maxLength=13)], className="field"),
        dcc.Checklist(id=ids.CALLBACK_REACHED, options=[{"label": t("callback.reached", lang), "value": "yes"}],
                      value=["yes"], inline=True),
        dcc.RadioItems(id=ids.CALLBACK_SATISFACTION, options=levels, value="satisfied", inline=True,
                       className="radio-row"),
        dcc.Textarea(id=ids.CALLBACK_COMMENT, placeholder=t("callback.comment", lang), maxLength=1000,
                     className="textarea"),
        dcc.Checklist(id=ids.CALLBACK_REOPEN, options=[{"label": t("callback.reopen", lang), "value": "yes"}],
                      value=[], inline=True),
        html.Button(t("callback.submit", lang), id=ids.CALLBACK_SUBMIT, n_clicks=0, className="primary"),
        html.Div(id=ids.CALLBACK_MESSAGE, className="callback-message", role="status"),
    ], className="tool-section callback-section")


def likely_duplicates(lang: str, rows: list[dict[str, str]]) -> Any:
    """Open cases this call probably repeats, shown while the form is filled: the caller can join one
    instead of a new case being made."""
    if not rows:
        return None
    return html.Div([html.H3(t("dup.before_title", lang)), html.Ul([html.Li([
        case_link(r["code"]), f" · {r['state']} · {r['address']} · {r['description']} ",
        html.Button(t("dup.add_caller", lang), id={"type": ids.INTAKE_ADD_CALLER, "code": r["code"]}, n_clicks=0,
                    className="primary")]) for r in rows])], className="dup-before")


def callback_due(lang: str, rows: list[dict[str, Any]]) -> Any:
    """待回访: the closed cases awaiting their callback, longest waiting first. A row's code opens its case file
    (in the drawer, as every case link does); "回访" picks the case into the form, so the callback is recorded
    without typing its code."""
    if not rows:
        return html.P(t("callback.due_none", lang), className="muted")
    head = [t(f"callback.due_col.{c}", lang) for c in ("code", "category", "closed", "phone", "pick")]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody([html.Tr([
        html.Td(case_link(r["code"])), html.Td(r["category"]), html.Td(r["closed"]), html.Td(r["phone"]),
        html.Td(html.Button(t("callback.pick", lang), id={"type": ids.CALLBACK_PICK, "code": r["code"]}, n_clicks=0,
                            className="link-button")),
    ]) for r in rows])], className="queue-table")


__all__ = ["search_section", "duplicates_section", "callback_section", "callback_due", "likely_duplicates"]
