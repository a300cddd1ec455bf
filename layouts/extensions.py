"""The operator console's list of open extension requests (延期申请), to approve or refuse."""
from __future__ import annotations

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import dropdown


def extensions_section(lang: str) -> html.Section:
    return html.Section([
        html.H3(t("extension.title", lang)),
        html.Div(id=ids.EXT_LIST, className="ext-list"),
        html.Div([
            dropdown(lang, id=ids.EXT_SELECT, options=[], placeholder=t("extension.select", lang), className="ext-select"),
            dcc.Input(id=ids.EXT_REASON, type="text", maxLength=2000, placeholder=t("extension.reason", lang),
                      className="ext-reason"),
            html.Button(t("extension.approve", lang), id=ids.EXT_APPROVE, n_clicks=0, className="primary"),
            html.Button(t("extension.refuse", lang), id=ids.EXT_REFUSE, n_clicks=0, className="danger"),
        ], className="queue-actions"),
        html.Div(id=ids.EXT_MESSAGE, className="queue-message", role="status"),
    ], className="intake-extensions")
