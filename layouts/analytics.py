"""The leader's analytics page (/analytics): shared filters, charts, maps, tables and the drill-down.

Pure: component trees and figures from data handed in (callbacks fetch it). Every chart mark carries
``customdata`` that names what it counts, so a click can list exactly those incidents.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Mapping, Sequence

import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.case_file import case_link
from layouts.components import date_input, select
from layouts.theme import SCHEME_TOKENS, chart_template, normalise_theme

#: Last year's line: the theme's muted grey is too close to the dark card; this mid grey reads on both.
GREY = "#8c96a5"

#: A label's width in Latin letters (a CJK character counts two) above which a bar's label is cut with "…";
#: the full name is in the bar's hover text. 24 = 12 Chinese characters, ~170 px at the charts' 13 px.
LABEL_WIDTH = 24
#: Pixels a horizontal bar takes (the bar and its gap), so every label has room and none is skipped.
BAR_PX = 26


def _graph(id_: str, figure: Any = None, height: int | None = 300) -> dcc.Graph:
    """A chart; ``height=None`` lets the figure size it (bar charts grow with their number of bars)."""
    return dcc.Graph(id=id_, figure=figure or placeholder_figure(), config={"displayModeBar": False},
                     style={"height": f"{height}px"} if height else {"minHeight": "220px"})


def _map(maps: Mapping[str, Any] | None, name: str) -> html.Div:
    """One of the page's maps (built by the page's callbacks module on our own layers), in its frame."""
    return html.Div((maps or {}).get(name), className=f"an-map an-map-{name}")


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


@lru_cache(maxsize=None)
def _template(scheme: str) -> go.layout.Template:
    """The scheme's template, validated once (Plotly checks a template given as a dict on every figure:
    ~60 ms each, most of the page's figure time)."""
    return go.layout.Template(chart_template(scheme))


def themed(fig: Any, scheme: str) -> Any:
    """``fig`` in the design system's template for ``scheme`` (Plotly bakes colours into the figure, so the
    server draws it for the scheme the page is painted in)."""
    fig.update_layout(template=_template(normalise_theme(scheme)))
    return fig


@dataclass(frozen=True)
class Scale:
    """How an indicator's values read: rates as % (stored 0–1, drawn 0–100), means with their unit."""

    factor: float
    suffix: str
    digits: int

    def text(self, v: float | None) -> str:
        return "—" if v is None else f"{v * self.factor:.{self.digits}f}{self.suffix}"


def scale_of(kind: str, unit: str = "") -> Scale:
    if kind == "rate":
        return Scale(100.0, "%", 1)
    if kind == "mean":
        return Scale(1.0, f" {unit}" if unit else "", 1)
    return Scale(1.0, "", 0)


def _scaled(values: Sequence[float | None], sc: Scale) -> list[float | None]:
    return [None if v is None else round(v * sc.factor, 4) for v in values]


def label_width(text: str) -> int:
    """Display width in Latin letters: East Asian wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def truncate(text: str, width: int = LABEL_WIDTH) -> str:
    """``text`` cut to ``width`` (see :func:`label_width`) with "…" when longer, so a long name never
    pushes the bars off the card; the whole name stays in the hover text."""
    if label_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = label_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out.rstrip() + "…"


def hbar_figure(labels: Sequence[str], values: Sequence[float | None], keys: Sequence[str], *, kind: str = "count",
                unit: str = "", value_name: str = "", color: str = "accent", scheme: str = "dark") -> go.Figure:
    """Horizontal bars, largest at the top, one row per key with its (truncated) name on the axis and the
    full name and value on hover; every label is drawn (the figure is as tall as its bars need).

    ``keys`` (category / department codes) are the bars' positions and travel in customdata for the
    drill-down; values with no figure (None) sort last and draw no bar. Rates read in %. ``color`` names a
    token of the scheme (``accent``, ``ok``)."""
    sc = scale_of(kind, unit)
    order = sorted(range(len(keys)), key=lambda i: (values[i] is None, -(values[i] or 0), labels[i]))
    keys_ = [str(keys[i]) for i in order]
    names = [labels[i] for i in order]
    shown = [sc.text(values[i]) for i in order]
    fig = themed(empty_figure(), scheme)
    fig.add_trace(go.Bar(
        y=keys_, x=_scaled([values[i] for i in order], sc), orientation="h", customdata=keys_,
        hovertext=[f"{n}<br>{value_name}: {v}" if value_name else f"{n}: {v}" for n, v in zip(names, shown)],
        hovertemplate="%{hovertext}<extra></extra>", marker={"color": SCHEME_TOKENS[normalise_theme(scheme)][color]},
        text=shown, textposition="outside", cliponaxis=False, name=value_name))
    # codes as a category axis (never numbers), every one ticked, each with its name
    fig.update_yaxes(type="category", autorange="reversed", tickmode="array", tickvals=keys_,
                     ticktext=[truncate(n) for n in names], automargin=True)
    # a rate's axis is 0–100 % (room on the right for the value written past the bar)
    fig.update_xaxes(ticksuffix=sc.suffix.strip() if kind == "rate" else "", rangemode="tozero", automargin=True,
                     **({"range": [0, 112], "tick0": 0, "dtick": 20} if kind == "rate" else {}))
    fig.update_layout(clickmode="event", height=max(220, BAR_PX * len(keys_) + 60), bargap=0.25,
                      margin={"l": 10, "r": 48, "t": 10, "b": 30}, showlegend=False)
    return fig


def _moment(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def trend_figure(rows: Sequence[Mapping[str, Any]], last_year: Sequence[Mapping[str, Any]], key: str, name: str,
                 last_year_name: str, *, kind: str = "rate", unit: str = "", as_of: str | datetime | None = None,
                 partial_label: str = "", partial_hint: str = "", scheme: str = "dark") -> go.Figure:
    """The chosen indicator per period, rates in %. customdata = [start, end] of each period.

    A period still running at ``as_of`` (this day, week or month) is drawn apart — a dashed segment to an
    open marker over a shaded band labelled ``partial_label`` — so its small count does not read as a
    plunge. Last year's same periods are a dashed grey line only when they hold figures (for a count, one
    that is not zero); otherwise there is no such trace and nothing about it in the legend."""
    sc = scale_of(kind, unit)
    cut = _moment(as_of) if as_of is not None else None
    partial = [cut is not None and _moment(r["end"]) > cut for r in rows]
    done = [r for r, p in zip(rows, partial) if not p]
    running = [r for r, p in zip(rows, partial) if p]
    fig = themed(empty_figure(), scheme)
    hover = "%{x|%Y-%m-%d}<br>" + name + ": %{y:." + str(sc.digits) + "f}" + sc.suffix + "<extra></extra>"

    def points(rs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return {"x": [r["period"] for r in rs], "y": _scaled([r.get(key) for r in rs], sc),
                "customdata": [[r["start"], r["end"]] for r in rs]}

    color = SCHEME_TOKENS[normalise_theme(scheme)]["accent"]
    fig.add_trace(go.Scatter(**points(done), mode="lines+markers", name=name, line={"width": 2.5, "color": color},
                             marker={"color": color}, hovertemplate=hover, legendgroup="now"))
    if running:
        # from the last complete period to the running one, dotted, the running one an open marker
        tail = ([done[-1]] if done else []) + running
        fig.add_trace(go.Scatter(
            **points(tail), mode="lines+markers", name=f"{name} · {partial_label}", legendgroup="now", showlegend=False,
            line={"dash": "dot", "width": 2.5, "color": color},
            marker={"color": color, "size": 9,
                    "symbol": ["circle"] * (len(tail) - len(running)) + ["circle-open"] * len(running)},
            hovertemplate="%{x|%Y-%m-%d} · " + partial_label + "<br>" + name + ": %{y:." + str(sc.digits) + "f}"
            + sc.suffix + "<extra></extra>"))
        # the band spans the running periods' days, half a day either side of their marks
        x0 = f"{date.fromisoformat(running[0]['period']) - timedelta(days=1)} 12:00"
        x1 = f"{_local_day(running[-1])} 12:00"
        fig.add_vrect(x0=x0, x1=x1, fillcolor="rgba(128,128,128,0.2)", line_width=0, layer="below",
                      name="partial-period")
        fig.add_annotation(x=x1, y=1, yref="paper", xanchor="right", yanchor="bottom", showarrow=False,
                           text=partial_label, hovertext=partial_hint or None, name="partial-period", font={"size": 12})
    ly = [r.get(key) for r in last_year]
    has_last_year = any(v is not None for v in ly) if kind == "rate" else any(v for v in ly)
    if has_last_year:
        n = min(len(rows), len(last_year))
        fig.add_trace(go.Scatter(
            x=[r["period"] for r in rows[:n]], y=_scaled(ly[:n], sc), mode="lines+markers", name=last_year_name,
            line={"dash": "dash", "width": 1.5, "color": GREY}, marker={"size": 6, "color": GREY},
            customdata=[[r["start"], r["end"]] for r in last_year[:n]], text=[r["period"] for r in last_year[:n]],
            hovertemplate=last_year_name + " %{text}<br>" + name + ": %{y:." + str(sc.digits) + "f}" + sc.suffix
            + "<extra></extra>", connectgaps=False))
    # numeric dates: Plotly's month names are English whatever the page's language
    fig.update_xaxes(tickformat="%Y-%m-%d")
    fig.update_yaxes(ticksuffix=sc.suffix.strip(), rangemode="tozero", automargin=True)
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"},
                      clickmode="event",
                      margin={"l": 10, "r": 16, "t": 36, "b": 40}, hovermode="closest")
    return fig


def _local_day(row: Mapping[str, Any]) -> str:
    """The last local day of a period row, as the x axis reads it (periods are labelled by their first day)."""
    start = _moment(row["start"])
    days = (_moment(row["end"]) - start).days
    return (date.fromisoformat(row["period"]) + timedelta(days=max(days - 1, 0))).isoformat() \
        if days > 1 else row["period"]


def layout(lang: str, *, start: date, end: date, districts: Sequence[Mapping[str, Any]],
           categories: Sequence[Mapping[str, Any]], departments: Sequence[Mapping[str, Any]],
           indicators: Sequence[Mapping[str, Any]], formulas: Sequence[tuple[str, str]],
           district_locked: int | None, maps: Mapping[str, Any] | None = None) -> html.Div:
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
            section(t("analytics.mix", lang), _graph(ids.AN_MIX, height=None)),
            section(t("analytics.ranking", lang), _graph(ids.AN_RANKING, height=None)),
            section(t("analytics.district_map", lang), _map(maps, "district")),
            section(t("analytics.grid_map", lang), _map(maps, "grid")),
            section(t("analytics.sla", lang), _graph(ids.AN_SLA, height=None), wide=True),
            section(t("analytics.table", lang), html.Div(id=ids.AN_TABLE),
                    html.Div([html.Button(t("analytics.export_table_csv", lang), id=ids.AN_EXPORT_TABLE_CSV, n_clicks=0),
                              html.Button(t("analytics.export_table_xlsx", lang), id=ids.AN_EXPORT_TABLE_XLSX,
                                          n_clicks=0)], className="an-exports"),
                    html.Details([html.Summary(t("analytics.formulas", lang)),
                                  html.Dl([x for name, formula in formulas for x in (html.Dt(name), html.Dd(formula))])],
                                 id="an-formulas", open=False),
                    wide=True),
            section(t("analytics.hotspots", lang), html.P(t("analytics.hotspots_rule", lang), className="field-hint"),
                    _map(maps, "hot"), html.Div(id=ids.AN_HOTSPOTS), html.Div(id=ids.AN_RECURRENCE),
                    html.P(t("analytics.risk_rule", lang), className="field-hint"), wide=True),
            section(t("analytics.drill", lang), html.P(t("analytics.drill_hint", lang), className="field-hint"),
                    html.Div([html.Button(t("analytics.export_list_csv", lang), id=ids.AN_EXPORT_LIST_CSV, n_clicks=0),
                              html.Button(t("analytics.export_list_xlsx", lang), id=ids.AN_EXPORT_LIST_XLSX,
                                          n_clicks=0)], className="an-exports"),
                    html.Div(id=ids.AN_DRILL), html.H4(t("analytics.timeline", lang)), html.Div(id=ids.AN_TIMELINE),
                    wide=True),
        ], className="an-grid"),
        dcc.Store(id=ids.AN_DRILL_SPEC),
        *[dcc.Store(id=i) for i in (ids.AN_DISTRICT_VALUES, ids.AN_GRID_VALUES, ids.AN_HOT_VALUES)],
        dcc.Store(id=ids.AN_MOMENT),
        dcc.Download(id=ids.AN_DOWNLOAD),
    ], className="analytics-page", id="analytics")


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


__all__ = ["layout", "trend_figure", "hbar_figure", "indicator_table", "drill_list", "table", "message",
           "empty_figure", "placeholder_figure", "themed", "truncate", "label_width", "scale_of", "Scale"]
