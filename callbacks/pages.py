"""Page builders: fetch what a page needs from the services and hand it to the pure layouts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import has_request_context, request
import plotly.graph_objects as go

from geo.figures import (CELL_SCALE, CITY_CENTER, CORE_CENTER, OVERDUE_COLOR, SEVERITIES, SEVERITY_COLORS, city_map,
                         click_layer, display_datum, layer_url, pin_traces, wall_map)
from i18n import t
from incidents.events import EVENT_ACTIONS
from incidents.model import OPEN_STATES, State
from layouts import intake as intake_layout
from layouts import wall as wall_layout

#: The ticker's rows, each shown at least TICKER_DWELL_S seconds (assets/21_wall_lane.js paces them).
TICKER_ROWS = 6
TICKER_DWELL_S = 10
#: Alerts shown in the wall's alert lane; more are summed up as "+k".
ALERT_LANE_SIZE = 3
FOCUS_SIZE = 6  # rows of a focus panel: as many as fit its slot at 16:9 (assets/10_wall.css)
WALL_ZOOM = 8.1


@dataclass(frozen=True)
class PageSpec:
    """A page: its Dash name, path, window title and ``build(services, lang)`` giving the layout.

    A ``callbacks/<page>.py`` module that defines ``PAGE = PageSpec(...)`` is registered by app.py;
    which roles may open it is ``auth.roles.PAGE_ROLES[path]``.
    """

    name: str
    path: str
    title: str
    build: Callable[..., Any]
    #: a path with variables (``/case/<code>``): they reach ``build`` as keyword arguments
    template: str | None = None


def department_options(ref: Any, lang: str) -> list[dict[str, str]]:
    """Departments for a dropdown: the name people read, the code after it (both searchable)."""
    return [{"label": f"{d.name(lang)} · {d.code}", "value": d.code} for d in ref.departments.values()]


def category_options(ref: Any, lang: str) -> list[dict[str, str]]:
    """Small classes for a dropdown: the name, its large class, the code last (all searchable)."""
    return [{"label": f"{c.name(lang)} · {c.large_name(lang)} · {c.code}", "value": c.code} for c in ref.taxonomy.all()]


def base_url() -> str:
    return request.host_url.rstrip("/") if has_request_context() else ""


def severity_names(lang: str) -> dict[str, str]:
    return {s: t(f"severity.{s}", lang) for s in SEVERITIES} | {"overdue": t("wall.overdue", lang)}


def wall_labels(services: Any, lang: str) -> dict[str, Any]:
    """Everything the browser needs to turn pushed codes into words, in the page's language."""
    ref = services.reference.get()
    return {
        "lang": lang,
        "actions": {a: t(f"action.{a}", lang) for a in sorted(EVENT_ACTIONS)},
        "categories": {c.code: c.name(lang) for c in ref.taxonomy.all()},
        "departments": {d.code: d.name(lang) for d in ref.departments.values()},
        "states": {s.value: t(f"state.{s.value}", lang) for s in State},
        "severity_names": {s: t(f"severity.{s}", lang) for s in SEVERITIES},
        "open_states": sorted(s.value for s in OPEN_STATES),
        "connected": t("wall.connected", lang),
        "disconnected": t("wall.disconnected", lang),
        "overdue": t("wall.overdue", lang),
        "at_risk": t("wall_risk.at_risk", lang), "risk_color": "#F0E442",  # breach risk
        "alert_title": t("wall.alert.title", lang),
        "alert_hint": t("wall.alert.hint", lang),
        "card": {k: t(f"wall.card.{k}", lang) for k in ("category", "severity", "state", "department",
                                                          "deadline", "address", "reported_at", "close")},
        "replay_done": t("wall.replay.done", lang),
        "ticker_rows": TICKER_ROWS, "ticker_dwell_s": TICKER_DWELL_S, "ticker_more": t("wall_lane.ticker_more", lang),
        "alert_lane_size": ALERT_LANE_SIZE, "alert_more": t("wall_lane.alert_more", lang),
        "mix_size": 8,
        "ranking_size": FOCUS_SIZE,  # the ranking is one of the focus panels, in the same slot
        "tz": services.settings.timezone,
        "severities": list(SEVERITIES),
        "kpi_keys": ["intake_today", "open", "overdue", "closed_today", "ontime_rate"],
        "ranking_empty": t("wall.ranking_empty", lang),
        "focus": focus_labels(services, lang),
        "zoom": WALL_ZOOM,
        # The wall draws incidents and cell counts as its own MapLibre layers (assets/20_wall.js).
        "severity_colors": dict(SEVERITY_COLORS), "overdue_color": OVERDUE_COLOR, "cell_scale": CELL_SCALE,
        "cells_url": layer_url(base_url(), "grids-core", display_datum(
            services.settings.tile_datum, services.settings.tile_url, getattr(services.settings, "map_style_url", None))),
    }


def focus_labels(services: Any, lang: str) -> dict[str, Any]:
    """The focus slot's settings and words. The browser computes each panel from its own model (no
    query per rotation), so the words come as templates it fills in (``{n}``, ``{t}``, ...)."""
    st = services.settings
    titles = {p: t(f"wall_focus.title.{p}", lang) for p in ("overdue", "risk", "cells")}
    keys = ("none", "cell_name", "cell_open", "cell_overdue", "overdue_by", "risk_left", "risk_past", "days",
            "hours", "minutes")
    return {
        "cycle_s": st.wall_focus_cycle_s,
        "panels": st.wall_focus_panel_list,
        "size": FOCUS_SIZE,
        "titles": titles | {"ranking": t("wall.ranking", lang)},
        "text": {k: t(f"wall_focus.{k}", lang) for k in keys},
        "districts": {str(code): name for code, name in services.grid.districts.items()},
    }


def wall_page(services: Any, lang: str) -> Any:
    st = services.settings
    names = severity_names(lang) | {"cells": t("wall.cells", lang)}
    style = getattr(st, "map_style_url", None)
    fig = wall_map(names, base_url=base_url(), tile_url=st.tile_url, style_url=style, center=CITY_CENTER,
                   zoom=WALL_ZOOM, datum=display_datum(st.tile_datum, st.tile_url, style))
    return wall_layout.layout(lang, fig, wall_labels(services, lang))


def intake_page(services: Any, lang: str) -> Any:
    ref = services.reference.get()
    categories = category_options(ref, lang)
    return intake_layout.layout(lang, console_map(services, lang), categories)


#: The console map's zoom on a picked point: the streets around it.
PICKED_ZOOM = 16.0
#: The console map's size on a 1920×1080 screen (assets/11_intake.css): its click layer covers that view.
CONSOLE_MAP_PX = (900, 360)


def console_map(services: Any, lang: str, point: dict[str, float] | None = None) -> Any:
    """The console's map: the urban core, or centred on the picked point (WGS84) with its pin."""
    st = services.settings
    datum = display_datum(st.tile_datum, st.tile_url)
    center, zoom = point or CORE_CENTER, PICKED_ZOOM if point else 11.5
    fig = city_map([], severity_names(lang), base_url=base_url(), dark=False, tile_url=st.tile_url,
                   center=center, zoom=zoom,
                   uirevision=f"intake-{point['lon']:.5f},{point['lat']:.5f}" if point else "intake", datum=datum)
    # clicks on empty map through Plotly's public clickData: the click layer first (see geo.figures.click_grid)
    fig = go.Figure([click_layer(fig.layout.map.center.to_plotly_json(), zoom, CONSOLE_MAP_PX), *fig.data,
                     *(pin_traces(point, datum) if point else [])], layout=fig.layout)
    fig.update_layout(hovermode="closest", hoverdistance=20, clickmode="event")
    return fig


__all__ = ["PageSpec", "console_map", "intake_page", "wall_page"]
