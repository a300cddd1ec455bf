"""The grid worker's patrol report page (/report): one column for a 360×640 phone screen."""
from __future__ import annotations

from typing import Any, Sequence

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import select


def layout(lang: str, figure: Any, categories: Sequence[dict[str, str]], max_mb: int) -> html.Div:
    return html.Div([
        html.H2(t("report.title", lang)),
        dcc.Upload(id=ids.REPORT_PHOTO, accept="image/*", max_size=max_mb * 1_000_000, multiple=False,
                   children=html.Div([html.B(t("report.photo", lang)), html.Div(t("report.photo_hint", lang, max_mb=max_mb))]),
                   className="report-photo"),
        html.Div(id=ids.REPORT_PHOTO_NAME, className="field-hint"),
        html.Button(t("report.locate", lang), id=ids.REPORT_LOCATE, n_clicks=0),
        html.Div(id=ids.REPORT_GEO_ERROR, className="field-error", role="alert"),
        html.Div(t("report.map_hint", lang), className="field-hint"),
        dcc.Store(id=ids.REPORT_MAP_CLICK),
        dcc.Graph(id=ids.REPORT_MAP, figure=figure, config={"displayModeBar": False, "scrollZoom": True},
                  className="report-map", style={"height": "220px"}),
        html.Div([
            dcc.Input(id=ids.REPORT_LON, type="number", step="any", placeholder=t("report.lon", lang)),
            dcc.Input(id=ids.REPORT_LAT, type="number", step="any", placeholder=t("report.lat", lang)),
        ], className="coord-row"),
        select(lang, id=ids.REPORT_CATEGORY, options=list(categories), placeholder=t("report.category", lang),
                     searchable=True),
        dcc.Textarea(id=ids.REPORT_NOTE, placeholder=t("report.note", lang), maxLength=4000, className="textarea"),
        dcc.Checklist(id=ids.REPORT_ONSPOT, options=[{"label": t("report.onspot", lang), "value": "yes"}], value=[]),
        html.Button(t("report.submit", lang), id=ids.REPORT_SUBMIT, n_clicks=0, className="primary"),
        html.Div(id=ids.REPORT_RESULT, className="report-result", role="status"),
    ], className="report-page", id="report", style={"maxWidth": "360px", "margin": "0 auto", "padding": "10px 14px"})
