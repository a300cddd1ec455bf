"""The data-quality page (/quality): period controls, the per-channel table and the CSV export.

Pure: rows come in already computed (``incidents.quality``); rates are shown as percentages.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import select

COLUMNS = ("period", "channel", "inputs", "accepted", "refused", "refused_rate", "top_reasons",
           "missing_address_rate", "missing_phone_rate", "duplicate_rate", "late_rate", "median_file_min", "on_border_rate", "rural_rate")
RATES = {"refused_rate", "missing_address_rate", "missing_phone_rate", "duplicate_rate", "late_rate",
         "on_border_rate", "rural_rate"}


def _cell(key: str, value: Any, lang: str) -> str:
    if value is None or value == "":
        return "—"
    if key in RATES:
        return f"{100 * value:.1f}%"
    if key == "channel":
        return t(f"channel.{value}", lang)
    return str(value)


def table(rows: Sequence[Mapping[str, Any]], lang: str) -> Any:
    if not rows:
        return html.P(t("quality.empty", lang), className="muted")
    head = html.Thead(html.Tr([html.Th(t(f"quality.col.{k}", lang)) for k in COLUMNS]))
    body = html.Tbody([html.Tr([html.Td(_cell(k, r.get(k), lang)) for k in COLUMNS]) for r in rows])
    return html.Table([head, body], className="data-table")


def layout(lang: str, rows: Sequence[Mapping[str, Any]], weeks: int) -> Any:
    return html.Div([
        html.H2(t("quality.title", lang)),
        html.P(t("quality.hint", lang), className="muted"),
        html.Div([
            html.Label(t("quality.freq", lang), htmlFor=ids.QUALITY_FREQ),
            select(lang, id=ids.QUALITY_FREQ, value="week", clearable=False, style={"width": "10em"},
                         options=[{"label": t(f"quality.{k}", lang), "value": k} for k in ("week", "day")]),
            html.Label(t("quality.weeks", lang), htmlFor=ids.QUALITY_WEEKS),
            dcc.Input(id=ids.QUALITY_WEEKS, type="number", min=1, max=26, value=weeks, style={"width": "5em"}),
            html.Button(t("quality.export", lang), id=ids.QUALITY_EXPORT),
            dcc.Download(id=ids.QUALITY_DOWNLOAD),
        ], className="toolbar", style={"display": "flex", "gap": "0.8em", "alignItems": "center"}),
        html.Div(table(rows, lang), id=ids.QUALITY_TABLE),
    ], className="page quality-page")
