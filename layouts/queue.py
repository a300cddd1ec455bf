"""The dispatch queue's section of the operator console (incidents waiting for an operator)."""
from __future__ import annotations

from typing import Sequence

from dash import dcc, html

from i18n import t
from layouts import ids


def queue_section(lang: str, departments: Sequence[dict[str, str]]) -> html.Section:
    return html.Section([
        html.H2(t("queue.title", lang)),
        dcc.Store(id=ids.QUEUE_VERSION, data=0),
        dcc.Store(id=ids.QUEUE_PUSH, data=0),
        html.Div(id=ids.QUEUE, className="queue"),
        html.Div([
            dcc.Dropdown(id=ids.QUEUE_SELECT, placeholder=t("queue.select", lang), className="queue-select"),
            dcc.Dropdown(id=ids.QUEUE_DEPARTMENT, options=list(departments), placeholder=t("queue.department", lang),
                         className="queue-department"),
            html.Button(t("queue.dispatch", lang), id=ids.QUEUE_DISPATCH, n_clicks=0, className="primary"),
            html.Button(t("queue.reject", lang), id=ids.QUEUE_REJECT, n_clicks=0, className="danger"),
        ], className="queue-actions"),
        html.Div(id=ids.QUEUE_MESSAGE, className="queue-message", role="status"),
    ], className="intake-queue")
