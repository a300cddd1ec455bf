"""/admin sections for the gazetteer, the working calendar, on-the-spot rules and the fallback department.

A pure component tree, placed by :func:`layouts.admin.layout` before the audit log; the callbacks in
``callbacks/admin_more.py`` fill the tables and run the audited changes.
"""
from __future__ import annotations

from typing import Any, Sequence

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.admin import _f
from layouts.components import select

Options = Sequence[dict[str, Any]]
PLACE_KINDS = ("street", "community", "road", "landmark")


def sections(lang: str, categories: Options, departments: Options, year: int) -> list[html.Section]:
    """The four sections; ``year`` is the calendar year shown first (the city's current year)."""
    k = "admin_more."
    place_kinds = [{"label": t(f"{k}kind_{p}", lang), "value": p} for p in PLACE_KINDS]
    places = html.Section([
        html.H2(t(k + "places", lang)),
        html.Div([
            _f(t(k + "place_query", lang), dcc.Input(id=ids.ADMIN_PLACE_QUERY, type="text", maxLength=64,
                                                      debounce=True)),
            _f(t(k + "place_select", lang), select(lang, id=ids.ADMIN_PLACE_SELECT, options=[], searchable=True)),
        ], className="admin-form"),
        html.Div([
            _f(t(k + "place_kind", lang), select(lang, id=ids.ADMIN_PLACE_KIND, options=place_kinds,
                                                       value="landmark", clearable=False)),
            _f(t(k + "place_name", lang), dcc.Input(id=ids.ADMIN_PLACE_NAME, type="text", maxLength=64)),
            _f(t(k + "place_alias", lang), dcc.Input(id=ids.ADMIN_PLACE_ALIAS, type="text", maxLength=128)),
            _f(t(k + "place_lon", lang), dcc.Input(id=ids.ADMIN_PLACE_LON, type="number", step="any")),
            _f(t(k + "place_lat", lang), dcc.Input(id=ids.ADMIN_PLACE_LAT, type="number", step="any")),
        ], className="admin-form"),
        html.Div([
            html.Button(t(k + "place_add", lang), id=ids.ADMIN_PLACE_ADD, n_clicks=0, className="primary"),
            html.Button(t(k + "place_save", lang), id=ids.ADMIN_PLACE_SAVE, n_clicks=0),
            html.Button(t(k + "place_delete", lang), id=ids.ADMIN_PLACE_DELETE, n_clicks=0, className="danger"),
        ], className="queue-actions"),
        html.Div(id=ids.ADMIN_PLACES, className="admin-table"),
    ], className="admin-places")
    cal_kinds = [{"label": t(f"{k}cal_{c}", lang), "value": c} for c in ("holiday", "workday")]
    calendar = html.Section([
        html.H2(t(k + "calendar", lang)),
        html.Div([
            _f(t(k + "cal_day", lang), dcc.Input(id=ids.ADMIN_CAL_DAY, type="text", maxLength=10,
                                                 placeholder="YYYY-MM-DD")),
            _f(t(k + "cal_kind", lang), select(lang, id=ids.ADMIN_CAL_KIND, options=cal_kinds, value="holiday",
                                                     clearable=False)),
            _f(t(k + "cal_name", lang), dcc.Input(id=ids.ADMIN_CAL_NAME, type="text", maxLength=32)),
        ], className="admin-form"),
        html.Div([
            html.Button(t(k + "cal_set", lang), id=ids.ADMIN_CAL_SET, n_clicks=0, className="primary"),
            html.Button(t(k + "cal_remove", lang), id=ids.ADMIN_CAL_REMOVE, n_clicks=0),
        ], className="queue-actions"),
        html.Div([
            _f(t(k + "hours", lang), dcc.Input(id=ids.ADMIN_HOURS, type="text", maxLength=64,
                                               placeholder="08:30-12:00,13:30-17:30")),
            html.Button(t(k + "hours_save", lang), id=ids.ADMIN_HOURS_SAVE, n_clicks=0),
        ], className="admin-form"),
        _f(t(k + "cal_year", lang), select(lang, id=ids.ADMIN_CAL_YEAR, value=year, clearable=False,
                                                 options=[year - 1, year, year + 1])),
        html.Div(id=ids.ADMIN_CALENDAR, className="admin-table"),
    ], className="admin-calendar")
    onspot_values = [{"label": t(f"{k}onspot_{v or 'default'}", lang), "value": v} for v in ("1", "0", "")]
    onspot = html.Section([
        html.H2(t(k + "onspot", lang)),
        html.Div([
            _f(t(k + "onspot_category", lang), select(lang, id=ids.ADMIN_ONSPOT_CATEGORY, options=list(categories),
                                                            searchable=True)),
            _f(t(k + "onspot_value", lang), select(lang, id=ids.ADMIN_ONSPOT_VALUE, options=onspot_values,
                                                         value="1", clearable=False)),
        ], className="admin-form"),
        html.Button(t(k + "onspot_save", lang), id=ids.ADMIN_ONSPOT_SAVE, n_clicks=0),
        html.Div(id=ids.ADMIN_ONSPOT, className="admin-table"),
    ], className="admin-onspot")
    fallback = html.Section([
        html.H2(t(k + "fallback", lang)),
        html.Div([
            _f(t(k + "fallback_department", lang), select(lang, id=ids.ADMIN_FALLBACK, options=list(departments),
                                                                placeholder=t(k + "fallback_none", lang))),
            html.Button(t(k + "fallback_save", lang), id=ids.ADMIN_FALLBACK_SAVE, n_clicks=0),
        ], className="admin-form"),
        html.Div(id=ids.ADMIN_SETTINGS, className="admin-table"),
    ], className="admin-fallback")
    return [places, calendar, onspot, fallback]


__all__ = ["PLACE_KINDS", "sections"]
