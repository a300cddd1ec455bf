"""The video wall: KPI tiles with today's sparklines, the Siping map, the ticker, the category mix, the
department ranking (one of the focus panels that take turns in the side column's lower slot), a clock and
the full-width major-incident alert — all filled by pushes.

The layout ships empty values; the socket's snapshot (on every (re)connect) and the batched deltas fill
them in the browser through clientside callbacks (assets/20_wall.js), so the wall makes no HTTP request
per event. Sizes are in viewport units (assets/10_wall.css), so one layout fills 1920×1080 and 3840×2160.
"""
from __future__ import annotations

from typing import Any, Mapping

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import select, socket



def _spark(key: str) -> html.Canvas:
    """An empty sparkline: the browser draws today's hourly values (and the live last point) on it.

    A canvas drawn by assets/20_wall.js, not a Plotly figure: a figure's redraw held the wall's main thread
    for 50–100 ms on a GPU-less screen, five of them each second, delaying the socket messages behind them."""
    return html.Canvas(id=ids.spark(key), className="kpi-spark")


def _tile(key: str, label: str) -> html.Div:
    return html.Div([
        html.Div(label, className="kpi-label"),
        html.Div("–", id=ids.kpi(key), className="kpi-value"),
        _spark(key),
    ], className=f"kpi-tile kpi-{key}")


def layout(lang: str, figure: Any, labels: Mapping[str, Any]) -> html.Div:
    return html.Div([
        socket(ids.WALL_SOCKET, ["snapshot", "delta", "replay"]),
        dcc.Store(id=ids.WALL_LABELS, data=dict(labels)),
        dcc.Store(id=ids.WALL_STATE, data=0),  # a draw counter: "redraw the heavy figures now"
        dcc.Store(id=ids.WALL_REPLAY_REQUEST, data=None),
        html.Div(id=ids.WALL_ALERT, className="wall-alert hidden", role="alert"),
        html.Div([
            html.H1(t("wall.title", lang), className="wall-title"),
            html.Div(t("wall.replay.badge", lang), id=ids.WALL_REPLAY_BADGE, className="wall-replay-badge hidden"),
            html.Div(t("wall.connecting", lang), id=ids.WALL_CONN, className="wall-conn"),
            html.Div("--:--:--", id=ids.WALL_CLOCK, className="wall-clock"),
        ], className="wall-head"),
        html.Div([_tile(k, t(f"wall.kpi.{k}", lang)) for k in ids.KPI_KEYS], className="kpi-row"),
        html.Div([
            html.Div([
                *figure,  # the city core's map and the prefecture's inset (callbacks/pages.py wall_maps)
                _legend(labels),
                html.Div(id=ids.WALL_CARD, className="wall-card hidden"),
            ], className="wall-map"),
            html.Div([
                html.Section([html.H2(t("wall.ticker", lang)), html.Ul(id=ids.WALL_TICKER, className="ticker")],
                             className="wall-panel wall-ticker-panel"),
                html.Section([html.H2(t("wall.mix", lang)),
                              html.Ol(id=ids.WALL_MIX, className="wall-mix")],
                             className="wall-panel wall-mix-panel"),
                _focus_slot(labels),
            ], className="wall-side"),
        ], className="wall-body"),
        _replay_controls(lang),
    ], className="wall", id="wall")


def _legend(labels: Mapping[str, Any]) -> html.Div:
    """The map's key, in the page: the incidents are MapLibre layers (assets/20_wall.js), which Plotly's
    legend does not know."""
    colors = dict(labels.get("severity_colors", {}))
    items = [(labels["severity_names"][s], colors.get(s, "#56B4E9")) for s in labels["severities"]]
    items.append((labels["overdue"], labels.get("overdue_color", "#CC79A7")))
    spans = [html.Span([html.I(className="dot", style={"background": c}), name], className="legend-item")
             for name, c in items]
    if "at_risk" in labels:  # a ring: P(miss deadline) ≥ 0.5 and not yet overdue, with how many right now
        ring = {"border": f"3px solid {labels.get('risk_color', '#F0E442')}", "background": "transparent"}
        spans.append(html.Span([html.I(className="dot", style=ring), labels["at_risk"], " ",
                                html.B("0", id=ids.WALL_RISK_COUNT)], className="legend-item legend-risk"))
    return html.Div(spans, className="wall-legend")


def _focus_slot(labels: Mapping[str, Any]) -> html.Section:
    """The side column's lower panel: the configured focus panels take turns here (assets/20_wall.js).

    ``WALL_FOCUS`` holds the title, the turn dots and the rows of the panel on show, rewritten as one
    output per turn; the department ranking keeps its own list (filled by the pushes), which the CSS
    hides while another panel is on. Starts on the first panel's title until the browser takes over.
    """
    focus = labels["focus"]
    first = focus["panels"][0]
    title = " ".join(focus["titles"][first].replace("{n}", "").split())
    return html.Section([
        html.Div(html.Div(html.H2(title), className="focus-head"), id=ids.WALL_FOCUS,
                 className="wall-focus " + ("on-ranking" if first == "ranking" else "on-list")),
        html.Ol(id=ids.WALL_RANKING, className="ranking"),
    ], className="wall-panel wall-ranking-panel wall-focus-panel")


def _replay_controls(lang: str) -> html.Details:
    """Tucked away in a corner: a drill or a review picks a past day and a speed (1×–3600×)."""
    speeds = [1, 10, 60, 600, 3600]
    return html.Details([
        html.Summary(t("wall.replay.open", lang)),
        dcc.Input(id=ids.WALL_REPLAY_DAY, type="date", className="replay-day"),
        select(lang, id=ids.WALL_REPLAY_SPEED, options=[{"label": f"{s}×", "value": s} for s in speeds], value=60,
                     clearable=False, className="replay-speed"),
        html.Button(t("wall.replay.start", lang), id=ids.WALL_REPLAY_GO, n_clicks=0, className="primary"),
    ], className="wall-replay", id=ids.WALL_REPLAY)
