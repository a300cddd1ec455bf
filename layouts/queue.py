"""The dispatch section of the operator console: the incidents waiting for an operator (with the routing
the rules suggest), the running ones (for 改派) and the open extension requests (延期申请) — three lists whose
rows open the case file in a drawer beside them, where every decision is taken with the whole case in view.
"""
from __future__ import annotations

from typing import Any, Sequence

from dash import dcc, html

from i18n import t
from layouts import ids


def queue_section(lang: str) -> html.Div:
    return html.Div([
        dcc.Store(id=ids.QUEUE_VERSION, data=0),
        dcc.Store(id=ids.QUEUE_PUSH, data=0),
        dcc.Store(id=ids.ROUTING_PUSH, data=0),
        html.Section([
            html.H2(t("queue.title", lang)),
            html.P(t("queue.open_hint", lang), className="field-hint"),
            html.Div(id=ids.QUEUE, className="queue"),
        ], className="intake-queue"),
        html.Section([
            html.H3(t("routing.running_title", lang)),
            html.Div(id=ids.REASSIGN_LIST, className="queue queue-running"),
        ], className="intake-queue intake-reassign"),
        html.Section([
            html.H3(t("extension.title", lang)),
            html.Div(id=ids.EXT_LIST, className="queue ext-list"),
        ], className="intake-queue intake-extensions"),
    ], className="intake-lists")


def case_table(lang: str, where: str, cols: Sequence[str], rows: Sequence[tuple[str, str, Sequence[Any]]]) -> Any:
    """A list whose rows open their case in the case drawer: ``rows`` are (code, severity, cells). Rows take
    the keyboard focus and open on Enter or Space as they do on a click (assets/32_case.js)."""
    head = html.Tr([html.Th(t(f"queue.col.{c}", lang), scope="col") for c in cols])
    body = [html.Tr([html.Td(c) for c in cells], tabIndex=0, className=f"queue-row case-opener sev-{severity}",
                    **{"data-case-row": code, "data-list": where})
            for code, severity, cells in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="queue-table")


__all__ = ["case_table", "queue_section"]
