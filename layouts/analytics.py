"""The leader's analytics page (/analytics): shared filters, charts, maps, tables and the drill-down.

Pure: component trees and figures from data handed in (callbacks fetch it). Every chart mark carries
``customdata`` that names what it counts, so a click can list exactly those incidents.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping, Sequence

import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.case_file import case_link
from layouts.components import date_input, select

LINE = "#0072B2"
GREY = "#999999"
BAR = "#56B4E9"


#: Chart text and grid lines per colour scheme (figures are transparent: the card behind them shows through).
#: Text ≥ 7:1 against the card (#121b2e dark, #ffffff light).
CHART_INK = {"dark": ("#e6edf6", "#2b3b5a"), "light": ("#1b2430", "#dde3ec")}


def _graph(id_: str, figure: Any = None, height: int = 300) -> dcc.Graph:
    return dcc.Graph(id=id_, figure=figure or placeholder_figure(), config={"displayModeBar": False},
                     style={"height": f"{height}px"})


def empty_figure() -> go.Figure:
    fig = go.Figure()
    fig.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 40}, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)")
    return fig


def placeholder_figure() -> go.Figure:
    """What a chart shows until its data arrives: nothing, in either scheme (no axes to colour)."""
    fig = empty_figure()
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def themed(fig: Any, theme: str) -> Any:
    """``fig`` with text and grid lines legible in ``theme`` (Plotly bakes colours into the figure, so the
    server colours it for the scheme the page is painted in)."""
    ink, grid = CHART_INK.get(theme, CHART_INK["dark"])
    fig.update_layout(paper_bgcolor="rgba(0,0,0,0)", font={"color": ink})
    if fig.layout.plot_bgcolor is None or fig.layout.plot_bgcolor == "rgba(0,0,0,0)":
        fig.update_layout(plot_bgcolor="rgba(0,0,0,0)")
    fig.update_xaxes(gridcolor=grid, zerolinecolor=grid, linecolor=grid)
    fig.update_yaxes(gridcolor=grid, zerolinecolor=grid, linecolor=grid)
    return fig


def layout(lang: str, *, start: date, end: date, districts: Sequence[Mapping[str, Any]],
           categories: Sequence[Mapping[str, Any]], departments: Sequence[Mapping[str, Any]],
           indicators: Sequence[Mapping[str, Any]], formulas: Sequence[tuple[str, str]],
           district_locked: int | None) -> html.Div:
    def section(title: str, *children: Any, wide: bool = False) -> html.Section:
        return html.Section([html.H3(title), *children], className="an-card" + (" an-wide" if wide else ""))

    freq = [{"label": t(f"analytics.freq_{f}", lang), "value": f} for f in ("day", "week", "month")]
    return html.Div([
        html.H2(t("analytics.title", lang)),
        html.Div([html.A(t("report_page.download_pdf", lang), id=ids.AN_REPORT_PDF, href="/analytics/report.pdf",
                         className="button", target="_blank", rel="noopener"),
                  html.A(t("report_page.download_png", lang), id=ids.AN_REPORT_PNG, href="/analytics/report.png",
                         className="button", target="_blank", rel="noopener")], className="an-exports an-report"),
        html.Div([
            html.Div([html.Span(t("analytics.period", lang)),
                      html.Div([date_input(lang, id=ids.AN_PERIOD, value=start.isoformat(),
                                           placeholder=t("analytics.start", lang),
                                           **{"aria-label": t("analytics.start", lang)}),
                                date_input(lang, id=ids.AN_PERIOD_END, value=end.isoformat(),
                                           placeholder=t("analytics.end", lang),
                                           **{"aria-label": t("analytics.end", lang)})], className="an-period")],
                     className="an-filter"),
            html.Div([html.Span(t("analytics.freq", lang), id="an-freq-label"),
                      dmc.SegmentedControl(id=ids.AN_FREQ, data=freq, value="day", **{"aria-labelledby": "an-freq-label"})],
                     className="an-filter"),
            html.Label([t("analytics.district", lang),
                        select(lang, id=ids.AN_DISTRICT, options=list(districts), value=district_locked,
                                     disabled=district_locked is not None, placeholder=t("analytics.all", lang))]),
            html.Label([t("analytics.category", lang),
                        select(lang, id=ids.AN_CATEGORY, options=list(categories), placeholder=t("analytics.all", lang))]),
            html.Label([t("analytics.department", lang),
                        select(lang, id=ids.AN_DEPARTMENT, options=list(departments),
                                     placeholder=t("analytics.all", lang))]),
            html.Label([t("analytics.indicator", lang),
                        select(lang, id=ids.AN_INDICATOR, options=list(indicators), value="ontime_close",
                                     clearable=False)]),
            html.Label([t("analytics.as_of", lang),
                        date_input(lang, id=ids.AN_AS_OF, clearable=True, placeholder=t("analytics.as_of_now", lang))]),
        ], className="an-filters"),
        html.Div([
            section(t("analytics.trend", lang), _graph(ids.AN_TREND), wide=True),
            # 即时办结: questions answered on the spot, counted apart (never inside the case indicators)
            section(t("consult.count_title", lang), html.P(t("consult.count_rule", lang), className="field-hint"),
                    html.Div(id=ids.AN_CONSULTATIONS, className="an-consultations"), wide=True),
            section(t("analytics.mix", lang), _graph(ids.AN_MIX)),
            section(t("analytics.ranking", lang), _graph(ids.AN_RANKING)),
            section(t("analytics.district_map", lang), _graph(ids.AN_DISTRICT_MAP, height=360)),
            section(t("analytics.grid_map", lang), _graph(ids.AN_GRID_MAP, height=360)),
            section(t("analytics.sla", lang), _graph(ids.AN_SLA), wide=True),
            section(t("analytics.table", lang), html.Div(id=ids.AN_TABLE),
                    html.Div([html.Button(t("analytics.export_table_csv", lang), id=ids.AN_EXPORT_TABLE_CSV, n_clicks=0),
                              html.Button(t("analytics.export_table_xlsx", lang), id=ids.AN_EXPORT_TABLE_XLSX,
                                          n_clicks=0)], className="an-exports"),
                    html.Details([html.Summary(t("analytics.formulas", lang)),
                                  html.Dl([x for name, formula in formulas for x in (html.Dt(name), html.Dd(formula))])],
                                 id="an-formulas", open=False),
                    wide=True),
            section(t("analytics.hotspots", lang), html.P(t("analytics.hotspots_rule", lang), className="field-hint"),
                    _graph(ids.AN_HOT_MAP, height=320), html.Div(id=ids.AN_HOTSPOTS), html.Div(id=ids.AN_RECURRENCE),
                    html.P(t("analytics.risk_rule", lang), className="field-hint"), wide=True),
            section(t("analytics.drill", lang), html.P(t("analytics.drill_hint", lang), className="field-hint"),
                    html.Div([html.Button(t("analytics.export_list_csv", lang), id=ids.AN_EXPORT_LIST_CSV, n_clicks=0),
                              html.Button(t("analytics.export_list_xlsx", lang), id=ids.AN_EXPORT_LIST_XLSX,
                                          n_clicks=0)], className="an-exports"),
                    html.Div(id=ids.AN_DRILL), html.H4(t("analytics.timeline", lang)), html.Div(id=ids.AN_TIMELINE),
                    wide=True),
        ], className="an-grid"),
        dcc.Store(id=ids.AN_DRILL_SPEC),
        dcc.Download(id=ids.AN_DOWNLOAD),
    ], className="analytics-page", id="analytics")


def trend_figure(rows: Sequence[Mapping[str, Any]], last_year: Sequence[Mapping[str, Any]], key: str, name: str,
                 last_year_name: str) -> go.Figure:
    """The chosen indicator per period; last year's same periods dashed. customdata = [start, end]."""
    fig = empty_figure()
    x = [r["period"] for r in rows]
    fig.add_trace(go.Scatter(x=x, y=[r.get(key) for r in rows], mode="lines+markers", name=name,
                             line={"color": LINE}, customdata=[[r["start"], r["end"]] for r in rows]))
    if last_year and any(r.get(key) is not None for r in last_year):
        fig.add_trace(go.Scatter(x=x[:len(last_year)], y=[r.get(key) for r in last_year][:len(x)], mode="lines",
                                 name=last_year_name, line={"color": GREY, "dash": "dash"},
                                 customdata=[[r["start"], r["end"]] for r in last_year][:len(x)]))
    # numeric dates: Plotly's month names are English whatever the page's language
    fig.update_xaxes(tickformat="%Y-%m-%d")
    fig.update_layout(legend={"orientation": "h", "y": 1.1}, clickmode="event")
    return fig


def bar_figure(labels: Sequence[str], values: Sequence[float | None], keys: Sequence[str], *,
               horizontal: bool = False, color: str = BAR) -> go.Figure:
    """A bar per key; ``keys`` (category / department codes) travel in customdata for the drill-down."""
    fig = empty_figure()
    vals = [v if v is not None else 0 for v in values]
    bar = (go.Bar(y=list(labels), x=vals, orientation="h", customdata=list(keys), marker={"color": color})
           if horizontal else go.Bar(x=list(labels), y=vals, customdata=list(keys), marker={"color": color}))
    fig.add_trace(bar)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    fig.update_layout(clickmode="event", margin={"l": 120 if horizontal else 40, "r": 10, "t": 10, "b": 80})
    return fig


def _fmt(v: Any, kind: str) -> str:
    if v is None:
        return "—"
    if kind == "rate":
        return f"{v * 100:.1f}%"
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def table(head: Sequence[str], rows: Sequence[Sequence[Any]], id_: str | None = None) -> html.Table:
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                       html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                      className="an-table", **({"id": id_} if id_ else {}))


def indicator_table(rows: Sequence[Mapping[str, Any]], group_key: str, group_names: Mapping[str, str],
                    indicators: Sequence[tuple[str, str, str, str]], group_title: str) -> html.Table:
    """One row per group; ``indicators`` = (key, name, kind, formula) — the formula is each header's tooltip."""
    head = [html.Th(group_title)] + [html.Th(name, title=formula) for _k, name, _kind, formula in indicators]
    body = [html.Tr([html.Td(group_names.get(str(r[group_key]), str(r[group_key])))]
                    + [html.Td(_fmt(r.get(k), kind)) for k, _n, kind, _f in indicators]) for r in rows]
    return html.Table([html.Thead(html.Tr(head)), html.Tbody(body)], className="an-table", id="an-indicator-table")


def drill_list(rows: Sequence[Sequence[Any]], codes: Sequence[str], head: Sequence[str], summary: str,
               open_label: str = "") -> html.Div:
    """The incident list: the code cell is a button that opens the timeline below, the last cell
    (``open_label``) opens the whole case file in the drawer."""
    body = [html.Tr([html.Td(html.Button(code, id=ids.an_code(code), n_clicks=0, className="link-button"))]
                    + [html.Td(c) for c in r[1:]] + ([html.Td(case_link(code, open_label))] if open_label else []))
            for code, r in zip(codes, rows)]
    head_row = html.Tr([html.Th(h) for h in head] + ([html.Th(open_label)] if open_label else []))
    return html.Div([html.P(summary), html.Table([html.Thead(head_row), html.Tbody(body)],
                                                 className="an-table", id="an-drill-table")])


def message(text: str) -> html.Div:
    return html.Div(text, className="queue-empty")


__all__ = ["layout", "trend_figure", "bar_figure", "indicator_table", "drill_list", "table", "message",
           "empty_figure", "placeholder_figure", "themed", "CHART_INK"]
