"""The wall's callbacks: clientside (assets/20_wall.js), so pushes never cost an HTTP round trip.

The one server callback starts a replay: it names this page's own socket (``socketId``), and the
server checks that socket belongs to the logged-in user before streaming a past day to it alone.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update

from callbacks.access import Forbidden, services, user_with
from callbacks.pages import PageSpec, wall_page
from auth.roles import PAGE_ROLES
from layouts import ids

PAGE = PageSpec("wall", "/wall", "CityOps · 大屏", wall_page)
WALL_VIEWERS = tuple(PAGE_ROLES["/wall"])

clientside_callback(
    ClientsideFunction("cityops", "wallApply"),
    [Output(ids.kpi(k), "children") for k in ids.KPI_KEYS]
    + [Output(ids.WALL_TICKER, "children"), Output(ids.WALL_RANKING, "children"), Output(ids.WALL_ALERT, "children"),
       Output(ids.WALL_ALERT, "className"), Output(ids.WALL_REPLAY_BADGE, "className"), Output(ids.WALL_STATE, "data")],
    Input(ids.WALL_SOCKET, "data-snapshot"), Input(ids.WALL_SOCKET, "data-delta"),
    Input(ids.WALL_SOCKET, "data-replay"), State(ids.WALL_LABELS, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("cityops", "wallDraw"),
    Output(ids.WALL_MIX, "children"),
    Input(ids.WALL_STATE, "data"), State(ids.WALL_LABELS, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("cityops", "wallCard"),
    Output(ids.WALL_CARD, "children"), Output(ids.WALL_CARD, "className"),
    Input(ids.WALL_INCIDENTS, "clickData"), State(ids.WALL_LABELS, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("cityops", "connection"),
    Output(ids.WALL_CONN, "children"),
    Input(ids.WALL_SOCKET, "connected"), State(ids.WALL_LABELS, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.WALL_REPLAY_REQUEST, "data"),
    Input(ids.WALL_REPLAY_GO, "n_clicks"),
    State(ids.WALL_REPLAY_DAY, "value"), State(ids.WALL_REPLAY_SPEED, "value"), State(ids.WALL_SOCKET, "socketId"),
    prevent_initial_call=True,
)
def start_replay(_n: int, day: str | None, speed: Any, socket_id: str | None) -> Any:
    """Ask the broadcaster to stream ``day`` at ``speed``× to this page's socket only."""
    try:
        user = user_with(*WALL_VIEWERS)
    except Forbidden:
        return no_update
    if not day or not socket_id:
        return no_update
    try:
        started = services().broadcaster.start_replay(socket_id, user.username, date.fromisoformat(day),
                                                      float(speed or 60))
    except ValueError:
        return {"ok": False}
    return {"ok": started, "day": day, "speed": speed}
