"""The analytics page's charts as figures: rates in %, every bar named, the running period marked, last year
only with figures, the design system's colours — and which filter change redraws what."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from callbacks.analytics import EVERYTHING, GROUPS, HOT, TREND, redraws
from layouts import ids
from layouts.analytics import LABEL_WIDTH, hbar_figure, label_width, themed, trend_figure, truncate
from layouts.theme import SCHEME_TOKENS, chart_template

CSS = Path(__file__).resolve().parents[2] / "assets" / "00_theme.css"
T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)


def periods(values: list[float | None], key: str = "ontime_close", days: int = 7) -> list[dict[str, Any]]:
    """Weekly trend rows as the read model returns them (period label, [start, end), the indicator)."""
    return [{"period": (T0 + timedelta(days=days * i)).date().isoformat(), key: v,
             "start": (T0 + timedelta(days=days * i)).isoformat(), "end": (T0 + timedelta(days=days * (i + 1))).isoformat()}
            for i, v in enumerate(values)]


def test_a_rate_trend_reads_in_percent_on_its_axis_and_in_its_hover() -> None:
    fig = trend_figure(periods([0.875, 0.9, 0.5]), [], "ontime_close", "按期结案率", "去年同期", kind="rate")
    assert list(fig.data[0].y) == [87.5, 90.0, 50.0]
    assert fig.layout.yaxis.ticksuffix == "%"
    assert "%{y:.1f}%" in fig.data[0].hovertemplate


def test_a_count_trend_keeps_its_numbers() -> None:
    fig = trend_figure(periods([3, 5], key="overdue_open"), [], "overdue_open", "超期未处置数", "去年同期", kind="count")
    assert list(fig.data[0].y) == [3, 5] and not fig.layout.yaxis.ticksuffix


def test_the_period_still_running_is_drawn_apart_and_labelled() -> None:
    rows = periods([0.8, 0.9, 0.2])
    as_of = T0 + timedelta(days=15)  # inside the third week
    fig = trend_figure(rows, [], "ontime_close", "按期结案率", "去年同期", as_of=as_of, partial_label="本期未完")
    solid, dotted = fig.data[0], fig.data[1]
    assert list(solid.x) == [rows[0]["period"], rows[1]["period"]]  # the complete weeks only
    assert list(dotted.x) == [rows[1]["period"], rows[2]["period"]] and dotted.line.dash == "dot"
    assert dotted.showlegend is False and list(dotted.customdata[-1]) == [rows[2]["start"], rows[2]["end"]]
    assert [a.text for a in fig.layout.annotations] == ["本期未完"]
    band = fig.layout.shapes[0]  # the third week's days, half a day either side
    assert (band.x0, band.x1) == (f"{(T0 + timedelta(days=13)).date()} 12:00", f"{(T0 + timedelta(days=20)).date()} 12:00")


def test_no_mark_when_every_period_is_over() -> None:
    fig = trend_figure(periods([0.8, 0.9]), [], "ontime_close", "按期结案率", "去年同期",
                       as_of=T0 + timedelta(days=30), partial_label="本期未完")
    assert len(fig.data) == 1 and not fig.layout.annotations and not fig.layout.shapes


@pytest.mark.parametrize(("kind", "last_year", "drawn"), [
    ("rate", [None, None], False),      # no incident to rate last year
    ("rate", [None, 0.0], True),        # 0 % is a figure
    ("count", [0, 0], False),           # nothing counted at all: no data
    ("count", [0, 4], True),
    ("rate", [], False),                # the read model found no incident then
])
def test_last_year_is_drawn_only_when_it_has_figures(kind: str, last_year: list[Any], drawn: bool) -> None:
    fig = trend_figure(periods([0.8, 0.9]), periods(last_year), "ontime_close", "按期结案率", "去年同期", kind=kind)
    names = [t.name for t in fig.data]
    assert ("去年同期" in names) is drawn
    if drawn:
        ly = next(t for t in fig.data if t.name == "去年同期")
        assert "markers" in ly.mode  # a lone period shows as a point, not an invisible line


def test_bars_are_horizontal_sorted_and_every_name_is_ticked() -> None:
    names = [f"部门{i}" for i in range(17)]
    values = [i / 20 for i in range(17)]
    fig = hbar_figure(names, values, [f"D{i}" for i in range(17)], kind="rate", value_name="按期结案率")
    bar = fig.data[0]
    assert bar.orientation == "h" and list(bar.x) == sorted(bar.x, reverse=True) and bar.x[0] == 80.0
    assert list(fig.layout.yaxis.tickvals) == list(bar.y) and len(fig.layout.yaxis.ticktext) == 17
    assert fig.layout.yaxis.ticktext[0] == "部门16" and fig.layout.yaxis.type == "category"
    assert fig.layout.xaxis.ticksuffix == "%" and fig.layout.xaxis.dtick == 20
    assert fig.layout.height >= 17 * 20  # room for every label: Plotly drops ticks that do not fit
    assert list(bar.customdata) == list(bar.y)  # the codes the drill-down lists


def test_a_long_name_is_cut_on_the_axis_and_whole_on_hover() -> None:
    long = "Housing and Urban-Rural Development Bureau"
    fig = hbar_figure([long, "城管"], [3, 5], ["ZJJ", "CGJ"], value_name="数量")
    shown = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext))
    assert shown["ZJJ"].endswith("…") and label_width(shown["ZJJ"]) <= LABEL_WIDTH and shown["CGJ"] == "城管"
    hover = dict(zip(fig.data[0].y, fig.data[0].hovertext))
    assert long in hover["ZJJ"] and "3" in hover["ZJJ"]


def test_names_are_measured_as_they_are_drawn() -> None:
    assert label_width("城市管理局") == 10 and label_width("CGJ") == 3
    assert truncate("四平市住房和城乡建设局综合执法支队") == "四平市住房和城乡建设局…"
    assert truncate("城市管理局") == "城市管理局"


def _css_tokens(selector: str) -> dict[str, str]:
    block = re.search(re.escape(selector) + r"[^{]*\{([^}]*)\}", CSS.read_text()).group(1)  # type: ignore[union-attr]
    return {k: v.strip() for k, v in re.findall(r"--([\w-]+):\s*([^;]+);", block)}


@pytest.mark.parametrize(("scheme", "selector"), [("dark", "html:root"), ("light", ".theme-light, html[data-mantine-color-scheme=light]")])
def test_chart_colours_are_the_stylesheets_tokens(scheme: str, selector: str) -> None:
    css = _css_tokens(selector)
    assert {k: css[k].lower() for k in SCHEME_TOKENS[scheme]} == {k: v.lower() for k, v in SCHEME_TOKENS[scheme].items()}
    layout = chart_template(scheme)["layout"]
    assert layout["font"]["color"] == css["text"] and layout["xaxis"]["gridcolor"] == css["rule"]


def test_a_figure_drawn_for_a_scheme_carries_only_the_design_systems_template() -> None:
    fig = themed(hbar_figure(["a"], [1], ["a"]), "light")
    assert fig.layout.template.layout.font.color == SCHEME_TOKENS["light"]["text"]
    assert not fig.layout.template.data.bar  # not Plotly's default template (its ~10 KB per figure)


@pytest.mark.parametrize(("trigger", "parts"), [
    (ids.AN_FREQ, {TREND}), (ids.AN_INDICATOR, {TREND, GROUPS}), (ids.AN_PERIOD, {TREND, GROUPS}),
    (ids.AN_DISTRICT, EVERYTHING), (ids.AN_AS_OF, EVERYTHING), (None, EVERYTHING)])
def test_a_filter_change_redraws_only_what_depends_on_it(trigger: Any, parts: set[str]) -> None:
    assert redraws(trigger) == parts
    assert HOT not in redraws(ids.AN_PERIOD)  # hotspots read the moment and places, not the period
