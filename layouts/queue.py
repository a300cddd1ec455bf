"""The dispatch queue's section of the operator console: waiting incidents with their suggested
routing, dispatch (with the suggestion or another department/assignee), redispatch 改派 of running
incidents with a reason, and the extension requests (延期) the center decides."""
from __future__ import annotations

from typing import Sequence

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.extensions import extensions_section
from layouts.components import dropdown


def queue_section(lang: str, departments: Sequence[dict[str, str]]) -> html.Div:
    return html.Div([
        html.Section([
            html.H2(t("queue.title", lang)),
            dcc.Store(id=ids.QUEUE_VERSION, data=0),
            dcc.Store(id=ids.QUEUE_PUSH, data=0),
            dcc.Store(id=ids.ROUTING_PUSH, data=0),
            html.Div(id=ids.QUEUE, className="queue"),
            html.Div([
                dropdown(lang, id=ids.QUEUE_SELECT, placeholder=t("queue.select", lang), className="queue-select"),
                dropdown(lang, id=ids.QUEUE_DEPARTMENT, options=list(departments),
                             placeholder=t("queue.department", lang), className="queue-department"),
                dropdown(lang, id=ids.QUEUE_ASSIGNEE, options=[], placeholder=t("routing.assignee", lang),
                             className="queue-assignee"),
                html.Button(t("queue.dispatch", lang), id=ids.QUEUE_DISPATCH, n_clicks=0, className="primary"),
            ], className="queue-actions"),
            html.Div([  # 不予立案: a reason, and a confirmation (a rejected report is final)
                dcc.Input(id=ids.QUEUE_REJECT_REASON, type="text", maxLength=2000,
                          placeholder=t("queue.reject_reason", lang)),
                dcc.ConfirmDialogProvider(
                    html.Button(t("queue.reject", lang), id=ids.QUEUE_REJECT, n_clicks=0, className="danger"),
                    id=ids.QUEUE_REJECT_CONFIRM, message=t("queue.reject_confirm", lang)),
            ], className="queue-actions queue-reject-row"),
            html.Div(id=ids.QUEUE_SUGGESTION, className="queue-suggestion"),
            html.Div(id=ids.QUEUE_MESSAGE, className="queue-message", role="status"),
        ], className="intake-queue"),
        reassign_section(lang, departments),
        extensions_section(lang),
    ])


def reassign_section(lang: str, departments: Sequence[dict[str, str]]) -> html.Section:
    """改派: move a dispatched or in-progress incident to another department or handler, with a reason."""
    return html.Section([
        html.H3(t("routing.reassign_title", lang)),
        html.Div(t("routing.reassign_hint", lang), className="field-hint"),
        html.Div([
            dropdown(lang, id=ids.REASSIGN_SELECT, options=[], placeholder=t("routing.reassign_select", lang),
                         searchable=True, className="reassign-select"),
            dropdown(lang, id=ids.REASSIGN_DEPARTMENT, options=list(departments),
                         placeholder=t("routing.department", lang), className="reassign-department"),
            dropdown(lang, id=ids.REASSIGN_ASSIGNEE, options=[], placeholder=t("routing.assignee", lang),
                         className="reassign-assignee"),
            dcc.Input(id=ids.REASSIGN_REASON, type="text", maxLength=2000, placeholder=t("routing.reason", lang),
                      className="reassign-reason"),
            html.Button(t("routing.reassign", lang), id=ids.REASSIGN_SUBMIT, n_clicks=0, className="primary"),
        ], className="queue-actions"),
        html.Div(id=ids.REASSIGN_MESSAGE, className="queue-message", role="status"),
    ], className="intake-reassign")
