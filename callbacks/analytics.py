"""The leader's analytics page (/analytics): filters → charts → drill-down → timeline, and exports.

Who sees what is decided here on the server: leaders and admins only, and a leader with a district
(``users.district``) sees only that district whatever the browser sends.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from flask import has_request_context
import plotly.graph_objects as go
from flask_login import current_user

from auth.audit import EXPORT, record_access
from auth.preferences import current_theme
from callbacks.access import Forbidden, lang, services, user_with
from callbacks.maps import display_point, map_base
from callbacks.pages import PageSpec, category_options, core_bounds, department_options, prefecture_bounds
from i18n import t
from incidents import exports
from incidents.analytics import Analytics, Filters
from incidents.model import Role
from incidents.privacy import may_see_phone
from layouts import analytics as view
from layouts import ids
from layouts.map import View, city_map

VIEWERS = (Role.LEADER, Role.ADMIN)
DRILL_LIMIT = 500
#: The page opens on the last 30 days by day: fast at any history size (a year by month is a choice).
DEFAULT_DAYS = 30
LIST_COLUMNS = ("code", "category", "district", "grid", "department", "state", "phone", "reported_at", "deadline")


def analytics_of(svc: Any) -> Analytics:
    """The analytics service: ``services.analytics`` when the composition root sets one, else built here
    (cheap: the definitions are cached)."""
    return getattr(svc, "analytics", None) or Analytics(svc.db, svc.settings.tz)


def district_names(svc: Any) -> dict[str, dict[str, str]]:
    """The districts of the current geography by their code (the name people read, in both languages)."""
    zh = {str(code): name for code, name in svc.grid.districts.items()}
    return {"zh": zh, "en": dict(zh)}


def locked_district(user: Any) -> int | None:
    """A leader with a district sees only it; admins and city-wide leaders see everything."""
    return user.district if user.role == Role.LEADER and getattr(user, "district", None) else None


@dataclass(frozen=True)
class Query:
    start: datetime
    end: datetime
    freq: str
    as_of: datetime
    filters: Filters
    indicator: str


def parse(user: Any, svc: Any, start_date: str | None, end_date: str | None, freq: str | None,
          district: Any, category: str | None, department: str | None, as_of_date: str | None,
          indicator: str | None) -> Query:
    """The filters as the server allows them: dates in the city's zone (end inclusive), the leader's district."""
    tz, now = svc.settings.tz, svc.clock()
    today = now.astimezone(tz).date()
    d1 = date.fromisoformat(end_date[:10]) if end_date else today
    d0 = date.fromisoformat(start_date[:10]) if start_date else d1 - timedelta(days=DEFAULT_DAYS - 1)
    d0, d1 = min(d0, d1), max(d0, d1)
    as_of = now
    if as_of_date:
        as_of = min(now, datetime.combine(date.fromisoformat(as_of_date[:10]) + timedelta(days=1), time(0), tz)
                    .astimezone(timezone.utc))
    lock = locked_district(user)
    dist = lock if lock is not None else (int(district) if district not in (None, "") else None)
    ind = indicator if indicator in analytics_of(svc).defs.indicators else "ontime_close"
    return Query(datetime.combine(d0, time(0), tz).astimezone(timezone.utc),
                 datetime.combine(d1 + timedelta(days=1), time(0), tz).astimezone(timezone.utc),
                 freq if freq in ("day", "week", "month") else "month", as_of,
                 Filters(district=dist, category=category or None, department=department or None), ind)


# -------------------------------------------------------------------------------------------------
# Page
# -------------------------------------------------------------------------------------------------

def analytics_page(svc: Any, lg: str) -> Any:
    ref = svc.reference.get()
    defs = analytics_of(svc).defs
    user = current_user if has_request_context() and current_user.is_authenticated else None
    lock = locked_district(user) if user is not None else None
    names = district_names(svc)["zh"]
    districts = [{"label": n, "value": int(code)} for code, n in names.items() if lock is None or int(code) == lock]
    large = {c.large_key: c.large_name(lg) for c in ref.taxonomy.all()}
    categories = ([{"label": f"{k} {n}", "value": k} for k, n in sorted(large.items())]
                  + category_options(ref, lg))
    departments = department_options(ref, lg)
    indicators = [{"label": i.name(lg), "value": k} for k, i in defs.indicators.items()]
    formulas = [(i.name(lg), defs.formula(k, lg)) for k, i in defs.indicators.items()]
    end = svc.clock().astimezone(svc.settings.tz).date()
    return view.layout(lg, start=end - timedelta(days=DEFAULT_DAYS - 1), end=end, districts=districts, categories=categories,
                       departments=departments, indicators=indicators, formulas=formulas, district_locked=lock,
                       maps=analytics_maps(svc))


def analytics_maps(svc: Any) -> dict[str, Any]:
    """The page's three maps, on our own layers: districts shaded by the indicator (the prefecture), cells
    shaded by it (the city core) and the hotspot cells with the recurring places. Each shading is a layer
    whose ``hideout`` (values by code) the page's callback sets; the browser shades and labels the areas
    (assets/15_map.js ``shade``/``shadeTip``), so a filter change sends numbers, not geometry."""
    from dash_leaflet import GeoJSON

    base = map_base(svc)
    shade = {"style": {"variable": "cityops.map.shade"}, "onEachFeature": {"variable": "cityops.map.shadeTip"},
             "hideout": {"values": {}, "text": {}, "max": 1}}
    core = View(bounds=core_bounds(svc), zoom=11)
    return {
        "district": city_map(ids.AN_DISTRICT_MAP, base, View(bounds=prefecture_bounds(svc), zoom=8), layers=("labels",),
                             class_name="an-leaflet", scroll_zoom=False,
                             overlays=[GeoJSON(id=ids.AN_DISTRICT_SHADE, url=base.layers["districts"], **shade)]),
        "grid": city_map(ids.AN_GRID_MAP, base, core, layers=("districts", "streets", "labels"),
                         class_name="an-leaflet", scroll_zoom=False,
                         overlays=[GeoJSON(id=ids.AN_GRID_SHADE, url=base.layers["cells"], **shade)]),
        "hot": city_map(ids.AN_HOT_MAP, base, core, layers=("districts", "streets", "labels"),
                        class_name="an-leaflet", scroll_zoom=False,
                        overlays=[GeoJSON(id=ids.AN_HOT_SHADE, url=base.layers["cells"], **shade),
                                  GeoJSON(id=ids.AN_HOT_MARKS, data=EMPTY, pointToLayer={"variable": "cityops.map.mark"},
                                          onEachFeature={"variable": "cityops.map.markTip"})]),
    }


# A layer that fetches its areas ignores a new hideout while it is fetching them (dash-leaflet 1.1), and the
# first values usually arrive then: the browser hands them over once the areas are drawn.
for _values, _layer, _map in ((ids.AN_DISTRICT_VALUES, ids.AN_DISTRICT_SHADE, ids.AN_DISTRICT_MAP),
                              (ids.AN_GRID_VALUES, ids.AN_GRID_SHADE, ids.AN_GRID_MAP),
                              (ids.AN_HOT_VALUES, ids.AN_HOT_SHADE, ids.AN_HOT_MAP)):
    clientside_callback(ClientsideFunction("cityops", "shadeWhenLoaded"), Output(_layer, "hideout"),
                        Input(_values, "data"), State(_layer, "id"), State(_map, "id"), prevent_initial_call=True)


def shading(values: dict[str, Any], text: dict[str, str], outline: bool = False) -> dict[str, Any]:
    """A shading layer's ``hideout``: the value of each area (by code), its shown text, and the scale's ends
    (the lowest and highest values; one value alone is shaded against 0)."""
    shown = {k: v for k, v in values.items() if v is not None}
    low = min(shown.values(), default=0)
    return {"values": shown, "text": text, "min": low if len(shown) > 1 else 0, "max": max(shown.values(), default=1) or 1,
            "outline": outline}


PAGE = PageSpec("analytics", "/analytics", "CityOps · 决策分析", analytics_page)

_FILTERS = [State(ids.AN_PERIOD, "value"), State(ids.AN_PERIOD_END, "value"), State(ids.AN_FREQ, "value"),
            State(ids.AN_DISTRICT, "value"), State(ids.AN_CATEGORY, "value"), State(ids.AN_DEPARTMENT, "value"),
            State(ids.AN_AS_OF, "value"), State(ids.AN_INDICATOR, "value")]
_DASH_OUTPUTS = [Output(ids.AN_TREND, "figure"), Output(ids.AN_MIX, "figure"), Output(ids.AN_RANKING, "figure"),
                 Output(ids.AN_DISTRICT_VALUES, "data"), Output(ids.AN_GRID_VALUES, "data"),
                 Output(ids.AN_SLA, "figure"), Output(ids.AN_TABLE, "children"), Output(ids.AN_HOT_VALUES, "data"),
                 Output(ids.AN_HOTSPOTS, "children"), Output(ids.AN_RECURRENCE, "children"),
                 Output(ids.AN_HOT_MARKS, "data")]


#: Bars the category mix draws (the most reported classes) and the SLA chart (the categories with the most
#: incidents to handle): each bar keeps a readable label at the card's width.
MIX_SHOWN = 15
SLA_SHOWN = 20
#: The recurrence places the page maps (the largest; it lists the first 30): a month of a busy city can hold
#: thousands, which no one reads on a map and which cost building (the 10 M benchmark: 16.7 k).
RECURRENCE_MAPPED = 200
#: The codes a listed place shows (its latest reports); a click on its mark opens the first of them.
RECURRENCE_EXAMPLES = 6


#: What each filter's change redraws (the rest keeps what it shows): a granularity only the trend; the
#: period or the indicator the trend, charts, maps and table; a place, a class, a department or "as of"
#: everything, hotspots and recurrence too (they read the moment and those filters, not the period).
TREND, GROUPS, HOT = "trend", "groups", "hot"
REDRAWS: dict[str, frozenset[str]] = {
    ids.AN_FREQ: frozenset({TREND}),
    ids.AN_PERIOD: frozenset({TREND, GROUPS}), ids.AN_PERIOD_END: frozenset({TREND, GROUPS}),
    ids.AN_INDICATOR: frozenset({TREND, GROUPS}),
}
EVERYTHING = frozenset({TREND, GROUPS, HOT})
#: Changes that show the same data another way: they redraw the moment already on screen (whose group
#: tables the service still holds) rather than a new "now".
SAME_MOMENT = frozenset({ids.AN_FREQ, ids.AN_INDICATOR})


def redraws(trigger: Any) -> frozenset[str]:
    """The parts of the page a change of ``trigger`` (a filter's id; None on the first call) redraws."""
    return REDRAWS.get(trigger, EVERYTHING) if isinstance(trigger, str) else EVERYTHING


def _trigger() -> Any:
    """The filter whose change called the page's callback (None outside a Dash request, e.g. in tests)."""
    try:
        return ctx.triggered_id
    except Exception:  # no callback context: draw everything
        return None


@callback(*_DASH_OUTPUTS, Output(ids.AN_MOMENT, "data"), *[Input(s.component_id, s.component_property) for s in _FILTERS],
          State(ids.AN_MOMENT, "data"))
def render(start_date: str | None, end_date: str | None, freq: str | None, district: Any, category: str | None,
           department: str | None, as_of: str | None, indicator: str | None,
           moment: str | None = None) -> tuple[Any, ...]:
    """Redraw what the changed filter affects (:func:`redraws`); a change of granularity or indicator
    redraws the moment shown (``moment``), whose data the service still holds."""
    lg = lang()
    try:
        user = user_with(*VIEWERS)
    except Forbidden:
        return (no_update,) * 6 + (view.message(t("analytics.forbidden", lg)),) + (no_update,) * 5
    svc = services()
    q = parse(user, svc, start_date, end_date, freq, district, category, department, as_of, indicator)
    trigger = _trigger()
    parts = redraws(trigger)
    if trigger in SAME_MOMENT and moment and not as_of:  # the moment on screen, unless "as of" was chosen
        q = replace(q, as_of=min(q.as_of, datetime.fromisoformat(moment)))
    an = analytics_of(svc)
    theme = current_theme()
    if GROUPS not in parts:
        data = an.trends(q.start, q.end, q.freq, q.as_of, q.filters)
        return (trend_of(svc, lg, q, data, theme),) + (no_update,) * 11
    data = an.dashboard(q.start, q.end, q.freq, q.as_of, q.filters)
    hot = an.hotspots(q.as_of, q.filters) if HOT in parts else []
    rec = an.recurrences(q.as_of, q.filters, top=RECURRENCE_MAPPED, examples=RECURRENCE_EXAMPLES) if HOT in parts else []
    out = list(render_dashboard(svc, lg, q, data, hot, rec, theme=theme))
    if HOT not in parts:
        out[7:11] = [no_update] * 4
    return tuple(view.themed(o, theme) if isinstance(o, go.Figure) else o for o in out) + (q.as_of.isoformat(),)


def trend_of(svc: Any, lg: str, q: Query, data: dict[str, Any], theme: str = "dark") -> go.Figure:
    """The trend figure of ``data`` (its ``trend`` and ``last_year`` rows) for the query's indicator."""
    ind = analytics_of(svc).defs.indicators[q.indicator]
    return view.trend_figure(data["trend"], data["last_year"], q.indicator, ind.name(lg), t("analytics.last_year", lg),
                             kind=ind.kind, unit=ind.unit, as_of=q.as_of, partial_label=t("charts.partial", lg),
                             partial_hint=t("charts.partial_hint", lg), scheme=theme)


def render_dashboard(svc: Any, lg: str, q: Query, data: dict[str, Any], hot: list[Any], rec: list[Any],
                     theme: str = "dark") -> tuple[Any, ...]:
    """Figures and tables from the service's data (pure apart from the reference names)."""
    ref = svc.reference.get()
    defs = analytics_of(svc).defs
    ind = defs.indicators[q.indicator]
    cat_name = {c.code: c.name(lg) for c in ref.taxonomy.all()}
    dept_name = {d.code: d.name(lg) for d in ref.departments.values()}
    dist_name = district_names(svc)["zh"]
    key = q.indicator
    trend = trend_of(svc, lg, q, data, theme)
    mix = data["mix"][:MIX_SHOWN]
    mix_fig = view.hbar_figure([cat_name.get(m["category"], m["category"]) for m in mix], [m["count"] for m in mix],
                               [m["category"] for m in mix], value_name=t("analytics.col.count", lg), scheme=theme)
    ranked = [r for r in data["department"] if r["department"] and r.get(key) is not None]
    ranking = view.hbar_figure([dept_name.get(r["department"], r["department"]) for r in ranked],
                               [r[key] for r in ranked], [r["department"] for r in ranked], kind=ind.kind,
                               unit=ind.unit, value_name=ind.name(lg), scheme=theme)
    dist = data["district"]
    dist_fig = shading({str(r["district"]): r.get(key) for r in dist},
                       {str(r["district"]): _show(r.get(key), ind.kind) for r in dist})
    cells = [r for r in data["grid"] if r.get(key) is not None]
    grid_fig = shading({r["grid"]: r[key] for r in cells}, {r["grid"]: _show(r[key], ind.kind) for r in cells})
    by_cat = sorted([r for r in data["category"] if r.get("to_resolve")], key=lambda r: -r["to_resolve"])[:SLA_SHOWN]
    sla_ind = defs.indicators["ontime_resolve"]
    sla = view.hbar_figure([cat_name.get(r["category"], r["category"]) for r in by_cat],
                           [r.get("ontime_resolve") for r in by_cat], [r["category"] for r in by_cat], kind=sla_ind.kind,
                           value_name=sla_ind.name(lg), color="ok", scheme=theme)
    inds = [(k, i.name(lg), i.kind, defs.formula(k, lg)) for k, i in defs.indicators.items()]
    total = data["total"] | {"district": ""}
    table = view.indicator_table([total] + sorted(data["district"], key=lambda r: r["district"]), "district",
                                 {"": t("analytics.all", lg)} | dist_name, inds, t("analytics.col.district", lg))
    hot_fig = shading({h.grid: h.count for h in hot}, {h.grid: h.explain(lg) for h in hot}, outline=True)
    marks = recurrence_marks(svc, rec, cat_name, lg)
    hot_list = (view.table([t("analytics.col.grid", lg), t("analytics.col.district", lg), t("analytics.col.explain", lg)],
                           [(h.grid, dist_name.get(str(h.district), h.district), h.explain(lg)) for h in hot[:30]],
                           "an-hotspot-table") if hot else view.message(t("analytics.hotspots_none", lg)))
    rec_title = html.H4(t("analytics.recurrence", lg, days=30, radius=50, n=3))
    rec_list = html.Div([rec_title, view.table(
        [t("analytics.col.category", lg), t("analytics.col.count", lg), t("analytics.col.explain", lg),
         t("analytics.col.code", lg)],
        [(cat_name.get(r.category, r.category), r.count, r.explain(lg), " ".join(r.codes)) for r in rec[:30]],
        "an-recurrence-table") if rec else view.message(t("analytics.recurrence_none", lg))])
    return trend, mix_fig, ranking, dist_fig, grid_fig, sla, table, hot_fig, hot_list, rec_list, marks


def recurrence_marks(svc: Any, rec: list[Any], cat_name: dict[str, str], lg: str) -> dict[str, Any]:
    """The recurring-problem places as points (in the display datum) that name themselves on hover; a click
    drills into the first incident of the place (its ``code``)."""
    feats = []
    for r in rec:
        x, y = display_point(svc, r.lon, r.lat)
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                      "properties": {"code": r.codes[0], "name": f"{cat_name.get(r.category, r.category)}: {r.explain(lg)}"}})
    return {"type": "FeatureCollection", "features": feats}


EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}


def _show(v: Any, kind: str) -> str:
    if v is None:
        return "—"
    return f"{v * 100:.1f}%" if kind == "rate" else str(v)


# -------------------------------------------------------------------------------------------------
# Drill-down: a chart mark → the incidents it counts → one incident's timeline
# -------------------------------------------------------------------------------------------------

_CLICKS = [Input(ids.AN_TREND, "clickData"), Input(ids.AN_MIX, "clickData"), Input(ids.AN_RANKING, "clickData"),
           Input(ids.AN_DISTRICT_SHADE, "clickData"), Input(ids.AN_GRID_SHADE, "clickData"), Input(ids.AN_SLA, "clickData"),
           Input(ids.AN_HOT_SHADE, "clickData"), Input(ids.AN_HOT_MARKS, "clickData")]


def drill_spec(source: str, click: dict[str, Any] | None, q: Query) -> dict[str, Any]:
    """What a click on ``source`` asks for: the period, the measure and the group whose incidents to list.

    Rates list their denominator (the incidents the rate is about); a hotspot lists the cell's last week.
    """
    ind = analytics_of(services()).defs.indicators[q.indicator]
    measure = ind.denominator if ind.kind == "rate" else ind.measure
    spec: dict[str, Any] = {"start": q.start.isoformat(), "end": q.end.isoformat(), "measure": measure, "group": None}
    point = ((click or {}).get("points") or [{}])[0]
    data = point.get("customdata")
    area = str(((click or {}).get("properties") or {}).get("code") or "")  # a map's area or mark (a GeoJSON feature)
    if source == ids.AN_TREND and isinstance(data, list) and len(data) == 2:
        spec["start"], spec["end"] = data
    elif source == ids.AN_MIX and data:
        spec["measure"], spec["group"] = None, ["category", str(data)]
    elif source == ids.AN_RANKING and data:
        spec["group"] = ["department", str(data)]
    elif source == ids.AN_DISTRICT_SHADE and area:
        spec["group"] = ["district", area]
    elif source == ids.AN_GRID_SHADE and area:
        spec["group"] = ["grid", area]
    elif source == ids.AN_SLA and data:
        spec["measure"], spec["group"] = "to_resolve", ["category", str(data)]
    elif source == ids.AN_HOT_SHADE and area:
        spec["group"] = ["grid", area]
        spec["start"] = (q.as_of - timedelta(days=7)).isoformat()
        spec["end"] = q.as_of.isoformat()
        spec["measure"] = None
    elif source == ids.AN_HOT_MARKS and area:  # a recurrence mark: its first incident
        spec["measure"], spec["group"] = None, ["code", area]
    return spec


def drill_rows(svc: Any, q: Query, spec: dict[str, Any], limit: int = DRILL_LIMIT) -> list[dict[str, Any]]:
    group = tuple(spec["group"]) if spec.get("group") else None
    if group and group[0] == "district" and q.filters.district is not None and str(q.filters.district) != group[1]:
        return []  # a leader cannot drill into another district
    return analytics_of(svc).drill(datetime.fromisoformat(spec["start"]), datetime.fromisoformat(spec["end"]), q.as_of,
                                   q.filters, measure=spec.get("measure"), group=group, limit=limit)  # type: ignore[arg-type]


def _list_head(lg: str) -> list[str]:
    return [t(f"analytics.col.{c}", lg) for c in LIST_COLUMNS]


def _list_values(rows: list[dict[str, Any]], role: Any, svc: Any, lg: str) -> list[list[Any]]:
    ref = svc.reference.get()
    cat = {c.code: c.name(lg) for c in ref.taxonomy.all()}
    tz = svc.settings.tz
    out = []
    for r in exports.table_rows(rows, LIST_COLUMNS, role):
        r[1] = cat.get(r[1], r[1])
        r[5] = t(f"state.{r[5]}", lg)
        for k in (7, 8):
            r[k] = datetime.fromisoformat(r[k]).astimezone(tz).strftime("%Y-%m-%d %H:%M") if r[k] else ""
        out.append(r)
    return out


@callback(Output(ids.AN_DRILL, "children"), Output(ids.AN_DRILL_SPEC, "data"), *_CLICKS, *_FILTERS,
          prevent_initial_call=True)
def on_click(*args: Any) -> tuple[Any, Any]:
    clicks, filters = args[:len(_CLICKS)], args[len(_CLICKS):]
    source = ctx.triggered_id if isinstance(ctx.triggered_id, str) else ids.AN_TREND
    click = clicks[[c.component_id for c in _CLICKS].index(source)] if source in [c.component_id for c in _CLICKS] else None
    return drill_view(source, click, *filters)


def drill_view(source: str, click: dict[str, Any] | None, *filters: Any) -> tuple[Any, Any]:
    lg = lang()
    try:
        user = user_with(*VIEWERS)
    except Forbidden:
        return view.message(t("analytics.forbidden", lg)), no_update
    svc = services()
    q = parse(user, svc, *filters)
    spec = drill_spec(source, click, q)
    rows = drill_rows(svc, q, spec)
    values = _list_values(rows, user.role, svc, lg)
    return (view.drill_list(values, [r["code"] for r in rows], _list_head(lg),
                            t("analytics.drill_count", lg, n=len(rows), limit=DRILL_LIMIT), t("case.open", lg)), spec)


@callback(Output(ids.AN_TIMELINE, "children"), Input({"type": ids.AN_CODE, "code": ALL}, "n_clicks"),
          prevent_initial_call=True)
def on_code(clicks: list[int | None]) -> Any:
    if not any(clicks or []) or not isinstance(ctx.triggered_id, dict):
        return no_update
    return timeline_view(ctx.triggered_id["code"])


def timeline_view(code: str) -> Any:
    lg = lang()
    try:
        user = user_with(*VIEWERS)
    except Forbidden:
        return view.message(t("analytics.forbidden", lg))
    svc = services()
    events = analytics_of(svc).timeline(code)
    lock = locked_district(user)
    if not events or (lock is not None and events[0]["district"] != lock):
        return view.message(t("analytics.empty", lg))
    tz = svc.settings.tz
    rows = [(e["seq"], e["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M"), e["actor"], t(f"action.{e['action']}", lg),
             t(f"state.{e['to_state']}", lg), e["department"] or "") for e in events]
    head = [t(f"analytics.col.{c}", lg) for c in ("seq", "at", "actor", "action", "state", "department")]
    return html.Div([html.B(code), view.table(head, rows, "an-timeline-table")])


# -------------------------------------------------------------------------------------------------
# Exports
# -------------------------------------------------------------------------------------------------

@callback(Output(ids.AN_DOWNLOAD, "data"), Input(ids.AN_EXPORT_LIST_CSV, "n_clicks"),
          Input(ids.AN_EXPORT_LIST_XLSX, "n_clicks"), Input(ids.AN_EXPORT_TABLE_CSV, "n_clicks"),
          Input(ids.AN_EXPORT_TABLE_XLSX, "n_clicks"), State(ids.AN_DRILL_SPEC, "data"), *_FILTERS,
          prevent_initial_call=True)
def on_export(_a: int, _b: int, _c: int, _d: int, spec: dict[str, Any] | None, *filters: Any) -> Any:
    which = {ids.AN_EXPORT_LIST_CSV: ("list", "csv"), ids.AN_EXPORT_LIST_XLSX: ("list", "xlsx"),
             ids.AN_EXPORT_TABLE_CSV: ("table", "csv"), ids.AN_EXPORT_TABLE_XLSX: ("table", "xlsx")}
    if ctx.triggered_id not in which:
        return no_update
    return export_file(*which[ctx.triggered_id], spec, *filters)


def export_file(what: str, fmt: str, spec: dict[str, Any] | None, *filters: Any) -> Any:
    """A download of the drilled list (or, with no drill yet, the period's incidents) or the indicator table
    by district; phones as the viewer's role may see them."""
    lg = lang()
    try:
        user = user_with(*VIEWERS)
    except Forbidden:
        return no_update
    svc = services()
    q = parse(user, svc, *filters)
    if what == "list":
        spec = spec or {"start": q.start.isoformat(), "end": q.end.isoformat(), "measure": None, "group": None}
        records = drill_rows(svc, q, spec, limit=100_000)
        columns, headers = list(LIST_COLUMNS), _list_head(lg)
    else:
        defs = analytics_of(svc).defs
        an = analytics_of(svc)
        records = [r | {"district": ""} for r in an.table(q.start, q.end, q.as_of, q.filters)] + \
            an.table(q.start, q.end, q.as_of, q.filters, by="district")
        columns = ["district", *defs.indicators, *defs.measures]
        headers = [t("analytics.col.district", lg)] + [i.name(lg) for i in defs.indicators.values()] + \
            [m.name(lg) for m in defs.measures.values()]
    name = f"cityops-{what}-{q.start.astimezone(svc.settings.tz):%Y%m%d}-{q.end.astimezone(svc.settings.tz):%Y%m%d}"
    record_access(svc.db, user.actor, svc.clock(), EXPORT, f"{name}.{fmt}", {
        "rows": len(records), "filters": [None if f is None else str(f) for f in filters], "drill": spec,
        "phones": ("full" if may_see_phone(user.role) else "masked") if "phone" in columns else "none"})
    if fmt == "csv":
        return dcc.send_bytes(exports.to_csv(records, columns, headers, user.role), f"{name}.csv")
    return dcc.send_bytes(exports.to_xlsx(records, columns, headers, user.role), f"{name}.xlsx")


__all__ = ["PAGE", "render", "render_dashboard", "drill_view", "drill_spec", "timeline_view", "export_file", "parse"]
