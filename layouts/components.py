"""Small shared pieces: labelled fields with their error slot, dropdowns in the UI's language, KPI tiles, the
socket component."""
from __future__ import annotations

from typing import Any

from dash import dcc, html
from dash_socketio import DashSocketIO

from i18n import t
from layouts import ids


def field(label: str, control: Any, name: str, hint: str = "") -> html.Div:
    """A form row: label, control, and the slot where that field's error appears."""
    return html.Div([
        html.Label(label, htmlFor=getattr(control, "id", None)),
        control,
        html.Div(hint, className="field-hint") if hint else None,
        html.Div(id=ids.error(name), className="field-error", role="alert"),
    ], className="field")


def dropdown(lang: str, **props: Any) -> dcc.Dropdown:
    """``dcc.Dropdown`` whose own words (its search box, "no options", select all, clear) come from the
    catalog: Dash 4 writes them in English otherwise ("Search" in the Chinese UI)."""
    return dcc.Dropdown(labels={k: t(f"dropdown.{k}", lang) for k in DROPDOWN_LABELS}, **props)


def grid_locale(lang: str) -> dict[str, str]:
    """AG Grid's ``localeText`` from the catalog (its filter menus and empty overlay are English otherwise)."""
    return {k: t(f"grid.{k}", lang) for k in GRID_LOCALE_KEYS}


#: The AG Grid words the catalog carries (``[grid]``): the ones its filter and column menus, overlays and pager show.
GRID_LOCALE_KEYS = (
    "noRowsToShow", "loadingOoo", "filterOoo", "searchOoo", "selectAll", "blanks", "contains", "notContains", "equals",
    "notEqual", "startsWith", "endsWith", "blank", "notBlank", "lessThan", "greaterThan", "lessThanOrEqual",
    "greaterThanOrEqual", "inRange", "inRangeStart", "inRangeEnd", "andCondition", "orCondition", "applyFilter",
    "resetFilter", "clearFilter", "cancelFilter", "before", "after", "empty", "columns", "pinColumn", "pinLeft",
    "pinRight", "noPin", "autosizeThisColumn", "autosizeAllColumns", "resetColumns", "sortAscending", "sortDescending",
    "sortUnSort", "page", "of", "to", "nextPage", "previousPage", "firstPage", "lastPage")
#: The words a Dash 4 dropdown writes itself (its ``labels`` prop).
DROPDOWN_LABELS = ("select_all", "deselect_all", "selected_count", "search", "clear_search", "clear_selection",
                   "no_options_found")


def kpi_tile(key: str, label: str) -> html.Div:
    return html.Div([
        html.Div(label, className="kpi-label"),
        html.Div("–", id=ids.kpi(key), className="kpi-value"),
    ], className=f"kpi-tile kpi-{key}")


def socket(id_: str, events: list[str]) -> DashSocketIO:
    """The page's Socket.IO connection; websocket only, so no sticky sessions are needed for polling."""
    return DashSocketIO(id=id_, eventNames=events, options={"transports": ["websocket"]})
