"""The video wall: KPI tiles, the Siping map and the event ticker — all filled by pushes.

The layout ships empty values; the socket's snapshot (on every (re)connect) and deltas fill them in the
browser through clientside callbacks, so the wall makes no HTTP request per event.
"""
from __future__ import annotations

from typing import Any, Mapping

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import kpi_tile, socket


def layout(lang: str, figure: Any, labels: Mapping[str, Any]) -> html.Div:
    return html.Div([
        socket(ids.WALL_SOCKET, ["snapshot", "delta"]),
        dcc.Store(id=ids.WALL_STATE, data=None),
        dcc.Store(id=ids.WALL_LABELS, data=dict(labels)),
        html.Div([
            html.H1(t("wall.title", lang), className="wall-title"),
            html.Div(t("wall.connecting", lang), id=ids.WALL_CONN, className="wall-conn"),
            html.Div("--:--:--", id=ids.WALL_CLOCK, className="wall-clock"),
        ], className="wall-head"),
        html.Div([kpi_tile(k, t(f"wall.kpi.{k}", lang)) for k in ids.KPI_KEYS], className="kpi-row"),
        html.Div([
            html.Div(dcc.Graph(id=ids.WALL_MAP, figure=figure, config={"displayModeBar": False, "scrollZoom": True},
                               className="wall-map-graph"), className="wall-map"),
            html.Section([
                html.H2(t("wall.ticker", lang)),
                html.Ul(id=ids.WALL_TICKER, className="ticker"),
            ], className="wall-side"),
        ], className="wall-body"),
    ], className="wall", id="wall")
