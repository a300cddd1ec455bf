"""The operator console (12345): the report form, the map to place it, the queue of waiting incidents."""
from __future__ import annotations

from typing import Any, Sequence

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import field, select, socket
from layouts.operator_tools import callback_section, duplicates_section, search_section
from layouts.queue import queue_section
from layouts.alerts import alerts_section


def layout(lang: str, figure: Any, categories: Sequence[dict[str, str]]) -> html.Div:
    sev = [{"label": t(f"severity.{s}", lang), "value": s} for s in ("urgent", "high", "normal")]
    # The call's order: who calls (and what they called about before), what, where, likely repeats, then
    # either a case (提交) or a question answered on the spot (即时办结) — one column that fits 1080 px.
    form = html.Div([
        html.H2(t("intake.title", lang)),
        field(t("intake.phone", lang), dcc.Input(id=ids.INTAKE_PHONE, type="tel", debounce=True), "reporter_phone"),
        html.Div(id=ids.CALLER_HISTORY, className="caller-history"),
        html.Div([
            field(t("intake.category", lang), select(lang, id=ids.INTAKE_CATEGORY, options=list(categories),
                  placeholder=t("intake.category_placeholder", lang), searchable=True, clearable=True), "category"),
            field(t("intake.severity", lang), dcc.RadioItems(id=ids.INTAKE_SEVERITY, options=sev, value="normal",
                  inline=True, className="radio-row"), "severity"),
        ], className="intake-pair intake-what"),
        html.Div([
            _bare(t("place.label", lang), select(lang, id=ids.INTAKE_PLACE, options=[], searchable=True,
                  clearable=True, placeholder=t("place.placeholder", lang), className="place-dropdown",
                  filter={"function": "serverFiltered"})),
            _bare(t("intake.address", lang), dcc.Input(id=ids.INTAKE_ADDRESS, type="text")),
        ], className="intake-pair"),
        html.Div([
            _bare(t("intake.lon", lang), dcc.Input(id=ids.INTAKE_LON, type="number", step="any")),
            _bare(t("intake.lat", lang), dcc.Input(id=ids.INTAKE_LAT, type="number", step="any")),
        ], className="coord-row"),
        html.Div(id=ids.error("location"), className="field-error", role="alert"),
        html.Div(t("intake.map_hint", lang), className="field-hint"),
        field(t("intake.description", lang), dcc.Textarea(id=ids.INTAKE_DESCRIPTION, maxLength=4000,
              placeholder=t("intake.description_placeholder", lang), className="textarea"), "description"),
        html.Div([  # repeats, before submitting; a refused "add the caller" is said right here
            html.Div(id=ids.INTAKE_LIKELY, className="intake-likely", role="status"),
            html.Div(id=ids.INTAKE_ADD_CALLER_MESSAGE, className="field-error add-caller-message", role="alert"),
        ], className="intake-likely-block"),
        field(t("consult.answer", lang), dcc.Textarea(id=ids.CONSULT_ANSWER, maxLength=4000,
              placeholder=t("consult.answer_placeholder", lang), className="textarea consult-answer"), "answer"),
        html.Div([
            html.Button(t("intake.submit", lang), id=ids.INTAKE_SUBMIT, className="primary", n_clicks=0),
            html.Button(t("consult.submit", lang), id=ids.CONSULT_SUBMIT, className="secondary", n_clicks=0),
        ], className="intake-buttons"),
        html.Div(id=ids.INTAKE_RESULT, className="intake-result", role="status"),
        duplicates_section(lang),
    ], className="intake-form")
    queue = html.Div([alerts_section(lang), queue_section(lang)])
    return html.Div([
        socket(ids.INTAKE_SOCKET, ["delta"]),
        form,
        html.Div([html.Div(figure, role="group", className="intake-map-box",
                           **{"aria-label": t("map.intake_label", lang)}),
                  html.Div(t("intake.where_none", lang), id=ids.INTAKE_WHERE, className="intake-where",
                           role="status"),
                  queue], className="intake-side"),
        html.Div([callback_section(lang), search_section(lang)], className="intake-side intake-tools"),
    ], className="intake", id="intake")


def _bare(label: str, control: Any) -> html.Div:
    """A field without an error slot of its own (coordinates share the "location" slot)."""
    return html.Div([html.Label(label, htmlFor=control.id), control], className="field")
