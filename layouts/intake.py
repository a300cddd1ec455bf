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
    form = html.Div([
        html.H2(t("intake.title", lang)),
        field(t("intake.category", lang), select(lang, id=ids.INTAKE_CATEGORY, options=list(categories),
              placeholder=t("intake.category_placeholder", lang), searchable=True, clearable=True), "category"),
        field(t("intake.severity", lang), dcc.RadioItems(id=ids.INTAKE_SEVERITY, options=sev, value="normal",
              inline=True, className="radio-row"), "severity"),
        field(t("intake.description", lang), dcc.Textarea(id=ids.INTAKE_DESCRIPTION, maxLength=4000,
              placeholder=t("intake.description_placeholder", lang), className="textarea"), "description"),
        _bare(t("place.label", lang), select(lang, id=ids.INTAKE_PLACE, options=[], searchable=True, clearable=True,
              placeholder=t("place.placeholder", lang), className="place-dropdown",
              filter={"function": "serverFiltered"})),
        _bare(t("intake.address", lang), dcc.Input(id=ids.INTAKE_ADDRESS, type="text")),
        html.Div([
            _bare(t("intake.lon", lang), dcc.Input(id=ids.INTAKE_LON, type="number", step="any")),
            _bare(t("intake.lat", lang), dcc.Input(id=ids.INTAKE_LAT, type="number", step="any")),
        ], className="coord-row"),
        html.Div(id=ids.error("location"), className="field-error", role="alert"),
        html.Div(t("intake.map_hint", lang), className="field-hint"),
        field(t("intake.phone", lang), dcc.Input(id=ids.INTAKE_PHONE, type="tel", debounce=True), "reporter_phone"),
        html.Div(id=ids.CALLER_HISTORY, className="caller-history"),
        html.Div(id=ids.INTAKE_LIKELY, className="intake-likely", role="status"),  # repeats, before submitting
        html.Button(t("intake.submit", lang), id=ids.INTAKE_SUBMIT, className="primary", n_clicks=0),
        html.Div(id=ids.INTAKE_RESULT, className="intake-result", role="status"),
        duplicates_section(lang),
    ], className="intake-form")
    queue = html.Div([alerts_section(lang), queue_section(lang)])
    return html.Div([
        socket(ids.INTAKE_SOCKET, ["delta"]),
        dcc.Store(id=ids.INTAKE_MAP_CLICK),
        form,
        html.Div([dcc.Graph(id=ids.INTAKE_MAP, figure=figure, config={"displayModeBar": False, "scrollZoom": True},
                            className="intake-map-graph"), queue, search_section(lang), callback_section(lang)],
                 className="intake-side"),
    ], className="intake", id="intake")


def _bare(label: str, control: Any) -> html.Div:
    """A field without an error slot of its own (coordinates share the "location" slot)."""
    return html.Div([html.Label(label, htmlFor=control.id), control], className="field")
