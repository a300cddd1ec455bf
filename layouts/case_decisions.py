"""The center's decisions taken inside the case file: dispatch (派遣), 不予立案, redispatch (改派) and the
answer to an extension request (延期审批).

Why here and not in rows of the console: the operator decides with the whole case in view — the report, the
place, the timeline, the handler's reason for more time. Pure: ``forms`` gets the prepared ``decisions`` (what
``callbacks.case.decisions_view`` offers this viewer now, options already named) and returns the forms; a
form is only present when its action is offered, so each form's callback names only its own controls.
"""
from __future__ import annotations

from typing import Any, Mapping

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import select


def forms(lang: str, decisions: Mapping[str, Any]) -> list[Any]:
    """The forms offered, in the order an operator meets them."""
    out: list[Any] = []
    if "dispatch" in decisions:
        out.append(_dispatch(lang, decisions["dispatch"]))
    if "reject" in decisions:
        out.append(_reject(lang, decisions["reject"]))
    if "reassign" in decisions:
        out.append(_reassign(lang, decisions["reassign"]))
    if "extension" in decisions:
        out.append(_extension(lang, decisions["extension"]))
    return out


def _select(lang: str, id_: str, label: str, options: list[dict[str, str]], value: str | None) -> Any:
    """The design system's searchable select (names first, codes after them), its list kept inside the
    drawer so it opens above the drawer, not behind it."""
    return select(lang, id=id_, label=label, options=options, value=value, comboboxProps={"withinPortal": False},
                  className="case-select")


def _dispatch(lang: str, d: Mapping[str, Any]) -> html.Section:
    return _form("dispatch", t("case.decide.dispatch", lang), [
        html.P(d["suggestion"], className="case-suggestion", id="case-suggestion"),
        html.Div([
            _select(lang, ids.CASE_DEPARTMENT, t("queue.department", lang), d["departments"], d["department"]),
            _select(lang, ids.CASE_ASSIGNEE, t("routing.assignee", lang), d["assignees"], d["assignee"]),
        ], className="case-form-row"),
        html.Button(t("queue.dispatch", lang), id=ids.CASE_DISPATCH, n_clicks=0, className="primary", type="button"),
    ])


def _reject(lang: str, d: Mapping[str, Any]) -> html.Section:
    return _form("reject", t("case.decide.reject", lang), [
        _text(ids.CASE_REJECT_REASON, t("queue.reject_reason", lang)),
        dcc.ConfirmDialogProvider(
            html.Button(t("queue.reject", lang), id=ids.CASE_REJECT, n_clicks=0, className="danger", type="button"),
            id=ids.CASE_REJECT_CONFIRM, message=d["confirm"]),
    ])


def _reassign(lang: str, d: Mapping[str, Any]) -> html.Section:
    return _form("reassign", t("routing.reassign_title", lang), [
        html.P(t("routing.reassign_hint", lang), className="field-hint"),
        html.Div([
            _select(lang, ids.CASE_REASSIGN_DEPARTMENT, t("routing.department", lang), d["departments"],
                    d["department"]),
            _select(lang, ids.CASE_REASSIGN_ASSIGNEE, t("routing.assignee", lang), d["assignees"], d["assignee"]),
        ], className="case-form-row"),
        _text(ids.CASE_REASSIGN_REASON, t("routing.reason", lang)),
        html.Button(t("routing.reassign", lang), id=ids.CASE_REASSIGN, n_clicks=0, className="primary",
                    type="button"),
    ])


def _extension(lang: str, d: Mapping[str, Any]) -> html.Section:
    return _form("extension", t("extension.title", lang), [
        html.P(d["request"], className="case-ext-request"),
        _text(ids.CASE_EXT_REASON, t("extension.reason", lang)),
        html.Div([
            html.Button(t("extension.approve", lang), id=ids.CASE_EXT_APPROVE, n_clicks=0, className="primary",
                        type="button"),
            html.Button(t("extension.refuse", lang), id=ids.CASE_EXT_REFUSE, n_clicks=0, className="danger",
                        type="button"),
        ], className="case-form-buttons"),
    ])


def _text(id_: str, label: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=id_),
                     dcc.Textarea(id=id_, maxLength=2000, className="textarea case-reason", rows=2)],
                    className="field")


def _form(kind: str, title: str, body: list[Any]) -> html.Section:
    """A titled decision, announced as a group (not a <form>: Enter in a field must never reload the page)."""
    return html.Section([html.H3(title), *body], className=f"case-decision case-decision-{kind}", role="group",
                        **{"aria-label": title})


__all__ = ["forms"]
