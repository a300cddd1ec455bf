"""The wall's callbacks: all clientside (assets/20_wall.js), so pushes never cost an HTTP round trip."""
from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, clientside_callback

from callbacks.pages import PageSpec, wall_page
from layouts import ids

PAGE = PageSpec("wall", "/wall", "CityOps · 大屏", wall_page)

clientside_callback(
    ClientsideFunction("cityops", "wallState"),
    Output(ids.WALL_STATE, "data"),
    Input(ids.WALL_SOCKET, "data-snapshot"), Input(ids.WALL_SOCKET, "data-delta"),
    State(ids.WALL_STATE, "data"), State(ids.WALL_LABELS, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("cityops", "wallRender"),
    [Output(ids.kpi(k), "children") for k in ids.KPI_KEYS]
    + [Output(ids.WALL_TICKER, "children"), Output(ids.WALL_MAP, "figure")],
    Input(ids.WALL_STATE, "data"), State(ids.WALL_LABELS, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("cityops", "connection"),
    Output(ids.WALL_CONN, "children"),
    Input(ids.WALL_SOCKET, "connected"), State(ids.WALL_LABELS, "data"),
    prevent_initial_call=True,
)
