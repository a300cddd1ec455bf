"""Small shared pieces: labelled fields with their error slot, the design system's selects and date pickers in
the UI's language, AG Grid's options (locale and theme), KPI tiles, the socket component."""
from __future__ import annotations

from typing import Any, Sequence

import dash_mantine_components as dmc
from dash import html
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


def select_data(options: Sequence[Any]) -> list[dict[str, Any]]:
    """Options (``{"label", "value"}`` dicts or bare values) as Mantine's ``data``: its values are strings
    (a number would not match the chosen value), so callbacks reading them convert back."""
    out = []
    for o in options:
        if isinstance(o, dict):
            out.append({**{k: v for k, v in o.items() if k in ("label", "disabled")}, "value": str(o["value"]),
                        "label": str(o.get("label", o["value"]))})
        else:
            out.append({"value": str(o), "label": str(o)})
    return out


def select(lang: str, *, options: Sequence[Any] = (), value: Any = None, multi: bool = False,
           searchable: bool = True, clearable: bool = True, **props: Any) -> dmc.Select | dmc.MultiSelect:
    """The design system's select: typing filters the options (searchable by default, as people pick from
    long lists of categories and departments), and its one word of its own ("nothing found") comes from the
    catalog. Picking the chosen option again keeps it (clearing is the clear button's job). ``multi`` gives
    a ``MultiSelect`` (its value a list). Values are strings (see ``select_data``)."""
    data = select_data(options)
    common = dict(data=data, searchable=searchable, clearable=clearable, withScrollArea=False,
                  nothingFoundMessage=t("dropdown.no_options_found", lang), **props)
    if multi:
        return dmc.MultiSelect(value=[str(v) for v in value or []], **common)
    return dmc.Select(value=None if value is None else str(value), allowDeselect=False, **common)


def date_input(lang: str, *, range_: bool = False, **props: Any) -> dmc.DatePickerInput:
    """A date (or a range: ``range_``) typed as ``YYYY-MM-DD``; month and weekday names follow the frame's
    ``DatesProvider`` (Chinese in the Chinese UI)."""
    return dmc.DatePickerInput(type="range" if range_ else "default", valueFormat="YYYY-MM-DD",
                               allowSingleDateInRange=range_, **props)


#: Badge colours by kind (Okabe–Ito, the wall's palette), each with black text: ≥ 5:1 on every one of them
#: (white would be ~3.5:1 on the orange and the green).
BADGE_COLORS = {"severity-urgent": "#D55E00", "severity-high": "#E69F00", "overdue": "#CC79A7",
                "state-closed": "#009E73", "risk": "#F0E442"}


def badge(text: str, kind: str) -> dmc.Badge:
    """A state, severity or warning as a badge: filled for the kinds above, the neutral one otherwise."""
    color = BADGE_COLORS.get(kind)
    if color:
        return dmc.Badge(text, color=color, variant="filled", c="#000000", size="lg", radius="xl",
                         className=f"badge-{kind}")
    return dmc.Badge(text, variant="default", size="lg", radius="xl", className=f"badge-{kind}")


def grid_options(lang: str, **options: Any) -> dict[str, Any]:
    """``dashGridOptions`` every grid shares: the catalog's locale and the theme drawn from our CSS variables
    (so the grid changes with the page's colour scheme instead of staying white)."""
    return {"localeText": grid_locale(lang), "theme": GRID_THEME, **options}


#: AG Grid's Quartz theme with its colours taken from the page's tokens (assets/00_theme.css).
GRID_THEME = {"function": (
    "themeQuartz.withParams({backgroundColor: 'var(--panel)', foregroundColor: 'var(--text)', "
    "headerBackgroundColor: 'var(--panel-2)', borderColor: 'var(--border)', accentColor: 'var(--accent)', "
    "selectedRowBackgroundColor: 'var(--selected)', rowHoverColor: 'var(--hover)', "
    "fontFamily: 'inherit', fontSize: 14, headerFontSize: 14, spacing: 6, wrapperBorderRadius: 6})")}


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

def kpi_tile(key: str, label: str) -> html.Div:
    return html.Div([
        html.Div(label, className="kpi-label"),
        html.Div("–", id=ids.kpi(key), className="kpi-value"),
    ], className=f"kpi-tile kpi-{key}")


def socket(id_: str, events: list[str]) -> DashSocketIO:
    """The page's Socket.IO connection; websocket only, so no sticky sessions are needed for polling."""
    return DashSocketIO(id=id_, eventNames=events, options={"transports": ["websocket"]})
