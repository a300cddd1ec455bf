"""The grid worker's patrol report page (/report): one column for a phone (390×844 and narrower).

The main task in three steps, each a section a thumb reaches: a photo (previewed before it is sent), the
place (the phone's position or a tap on the map — the point itself lives in hidden stores, never in number
fields to type), and what it is. Touch targets are at least 44 px high (assets/13_phone.css)."""
from __future__ import annotations

from typing import Any, Sequence

import dash_mantine_components as dmc
from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import select


def layout(lang: str, figure: Any, categories: Sequence[dict[str, str]], max_mb: int) -> html.Div:
    return html.Div([
        html.H2(t("report.title", lang)),
        html.Section([
            html.H3(t("mobile.report.photo_title", lang)),
            html.Div([
                dcc.Upload(id=ids.REPORT_PHOTO, accept="image/*", max_size=max_mb * 1_000_000, multiple=False,
                           children=html.Div([html.B(t("mobile.report.photo_button", lang), className="report-photo-label",
                                                     id="report-photo-label"),
                                              html.Div(t("report.photo_hint", lang, max_mb=max_mb), className="field-hint")]),
                           className="report-photo"),
                html.Img(id=ids.REPORT_PREVIEW, alt=t("mobile.report.photo_alt", lang), hidden=True,
                         className="report-preview"),
            ], className="report-photo-row"),
            html.Div(id=ids.REPORT_PHOTO_NAME, className="field-hint"),
        ], className="report-step"),
        html.Section([
            html.H3(t("mobile.report.place_title", lang)),
            html.Button(t("mobile.report.locate", lang), id=ids.REPORT_LOCATE, n_clicks=0, className="report-locate"),
            html.Div(t("mobile.report.map_hint", lang), className="field-hint"),
            dcc.Store(id=ids.REPORT_GPS),
            dcc.Store(id=ids.REPORT_LON),
            dcc.Store(id=ids.REPORT_LAT),
            html.Div(figure, id=ids.REPORT_MAP_BOX, role="group",
                     **{"aria-label": t("mobile.report.map_label", lang)}),
            html.Div(t("mobile.report.no_place", lang), id=ids.REPORT_PLACE, className="report-place",
                     role="status"),
            html.Div(id=ids.REPORT_GEO_ERROR, className="field-error", role="alert"),
        ], className="report-step"),
        html.Section([
            html.H3(t("mobile.report.what_title", lang)),
            select(lang, id=ids.REPORT_CATEGORY, options=list(categories), placeholder=t("report.category", lang),
                     searchable=True, className="report-category"),
            dcc.Textarea(id=ids.REPORT_NOTE, placeholder=t("report.note", lang), maxLength=4000,
                         className="textarea"),
            dmc.Checkbox(id=ids.REPORT_ONSPOT, label=t("report.onspot", lang), checked=False, size="lg",
                         className="report-onspot"),
        ], className="report-step"),
        html.Button(t("report.submit", lang), id=ids.REPORT_SUBMIT, n_clicks=0, className="primary report-submit"),
        html.Div(id=ids.REPORT_RESULT, className="report-result", role="status"),
    ], className="report-page phone-page", id="report")
