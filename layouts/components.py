"""Small shared pieces: labelled fields with their error slot, KPI tiles, the socket component."""
from __future__ import annotations

from typing import Any

from dash import html
from dash_socketio import DashSocketIO

from layouts import ids


def field(label: str, control: Any, name: str, hint: str = "") -> html.Div:
    """A form row: label, control, and the slot where that field's error appears."""
    return html.Div([
        html.Label(label, htmlFor=getattr(control, "id", None)),
        control,
        html.Div(hint, className="field-hint") if hint else None,
        html.Div(id=ids.error(name), className="field-error", role="alert"),
    ], className="field")


def kpi_tile(key: str, label: str) -> html.Div:
    return html.Div([
        html.Div(label, className="kpi-label"),
        html.Div("–", id=ids.kpi(key), className="kpi-value"),
    ], className=f"kpi-tile kpi-{key}")


def socket(id_: str, events: list[str]) -> DashSocketIO:
    """The page's Socket.IO connection; websocket only, so no sticky sessions are needed for polling."""
    return DashSocketIO(id=id_, eventNames=events, options={"transports": ["websocket"]})
