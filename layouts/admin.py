"""The administration page (/admin): users, departments, dispatch rules, time limits, kiosks' device
logins, the audit log.

A pure component tree: the page builder hands in the option lists, the callbacks fill the tables.
"""
from __future__ import annotations

from typing import Any, Sequence

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import select

Options = Sequence[dict[str, Any]]


def _f(label: str, control: Any) -> html.Div:
    return html.Div([html.Label(label, htmlFor=control.id), control], className="field")


def table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> html.Table:
    """A plain table; values are rendered as text (never markup)."""
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                       html.Tbody([html.Tr([html.Td("" if v is None else str(v)) for v in r]) for r in rows])],
                      className="queue-table")


def layout(lang: str, roles: Options, departments: Options, categories: Options,
           extra: Sequence[Any] = ()) -> html.Div:
    """The page; ``extra`` sections (gazetteer, calendar, … from layouts.admin_more) go before the audit log."""
    sev = [{"label": t(f"severity.{s}", lang), "value": s} for s in ("urgent", "high", "normal")]
    units = [{"label": t(f"admin.unit_{u}", lang), "value": u} for u in ("work_hours", "work_days", "hours")]
    kinds = [{"label": t(f"admin.rule_{k}", lang), "value": k} for k in ("grid_workers", "category_department")]
    users = html.Section([
        html.H2(t("admin.users", lang)),
        html.Div(id=ids.ADMIN_USERS, className="admin-table"),
        select(lang, id=ids.ADMIN_USER_SELECT, options=[], placeholder=t("admin.user_select", lang), searchable=True),
        html.Div([
            _f(t("admin.username", lang), dcc.Input(id=ids.ADMIN_USERNAME, type="text", maxLength=64)),
            _f(t("admin.display", lang), dcc.Input(id=ids.ADMIN_DISPLAY, type="text", maxLength=64)),
            _f(t("admin.password", lang), dcc.Input(id=ids.ADMIN_PASSWORD, type="password", maxLength=128)),
            _f(t("admin.role", lang), select(lang, id=ids.ADMIN_ROLE, options=list(roles), clearable=False)),
            _f(t("admin.department", lang), select(lang, id=ids.ADMIN_DEPARTMENT, options=list(departments))),
            _f(t("admin.district", lang), dcc.Input(id=ids.ADMIN_DISTRICT, type="text", maxLength=12)),
            dcc.Checklist(id=ids.ADMIN_ACTIVE, options=[{"label": t("admin.active", lang), "value": "active"}],
                          value=["active"]),
        ], className="admin-form"),
        html.Div([
            html.Button(t("admin.create", lang), id=ids.ADMIN_USER_CREATE, n_clicks=0, className="primary"),
            html.Button(t("admin.save", lang), id=ids.ADMIN_USER_SAVE, n_clicks=0),
            html.Button(t("admin.reset", lang), id=ids.ADMIN_USER_PASSWORD, n_clicks=0),
        ], className="queue-actions"),
    ], className="admin-users")
    depts = html.Section([
        html.H2(t("admin.departments", lang)),
        html.Div([
            _f(t("admin.dept_code", lang), dcc.Input(id=ids.ADMIN_DEPT_CODE, type="text", maxLength=16)),
            _f(t("admin.dept_zh", lang), dcc.Input(id=ids.ADMIN_DEPT_ZH, type="text", maxLength=64)),
            _f(t("admin.dept_en", lang), dcc.Input(id=ids.ADMIN_DEPT_EN, type="text", maxLength=128)),
            _f(t("admin.dept_kind", lang), select(lang, id=ids.ADMIN_DEPT_KIND, value="dept", clearable=False,
                                                        options=[{"label": t(f"admin.dept_kind_{k}", lang), "value": k}
                                                                 for k in ("dept", "grid")])),
        ], className="admin-form"),
        html.Button(t("admin.dept_save", lang), id=ids.ADMIN_DEPT_SAVE, n_clicks=0),
    ], className="admin-departments")
    rules = html.Section([
        html.H2(t("admin.rules", lang)),
        html.Div([
            _f(t("admin.rule_kind", lang), select(lang, id=ids.ADMIN_RULE_KIND, options=kinds, value="grid_workers",
                                                        clearable=False)),
            _f(t("admin.rule_key", lang), dcc.Input(id=ids.ADMIN_RULE_KEY, type="text", maxLength=64)),
            _f(t("admin.rule_value", lang), dcc.Input(id=ids.ADMIN_RULE_VALUE, type="text", maxLength=64)),
        ], className="admin-form"),
        html.Button(t("admin.rule_save", lang), id=ids.ADMIN_RULE_SAVE, n_clicks=0),
        html.Div(id=ids.ADMIN_RULES, className="admin-table"),
    ], className="admin-rules")
    sla = html.Section([
        html.H2(t("admin.sla", lang)),
        html.Div([
            _f(t("admin.sla_category", lang), select(lang, id=ids.ADMIN_SLA_CATEGORY, options=list(categories),
                                                           searchable=True)),
            _f(t("admin.sla_severity", lang), select(lang, id=ids.ADMIN_SLA_SEVERITY, options=sev, value="normal",
                                                           clearable=False)),
            _f(t("admin.sla_limit", lang), dcc.Input(id=ids.ADMIN_SLA_LIMIT, type="number", min=0, step="any")),
            _f(t("admin.sla_unit", lang), select(lang, id=ids.ADMIN_SLA_UNIT, options=units, value="work_hours",
                                                       clearable=False)),
        ], className="admin-form"),
        html.Button(t("admin.sla_save", lang), id=ids.ADMIN_SLA_SAVE, n_clicks=0),
        html.Div(id=ids.ADMIN_SLA, className="admin-table"),
    ], className="admin-sla")
    audit = html.Section([html.H2(t("admin.audit", lang)), html.Div(id=ids.ADMIN_AUDIT, className="admin-table")])
    return html.Div([
        dcc.Store(id=ids.ADMIN_VERSION, data=0),
        html.H1(t("admin.title", lang)),
        html.Div(id=ids.ADMIN_MESSAGE, className="queue-message", role="status"),
        users, device_section(lang), depts, rules, sla, *extra, audit,
    ], className="admin", id="admin")


def device_section(lang: str) -> html.Section:
    return html.Section([
        dcc.Store(id=ids.ADMIN_DEVICE_VERSION, data=0),
        html.H2(t("admin.device.title", lang)),
        html.Div([
            html.Div([html.Label(t("admin.device.name", lang), htmlFor=ids.ADMIN_DEVICE_NAME),
                      dcc.Input(id=ids.ADMIN_DEVICE_NAME, type="text", maxLength=64)], className="field"),
            html.Div([html.Label(t("admin.device.user", lang), htmlFor=ids.ADMIN_DEVICE_USER),
                      select(lang, id=ids.ADMIN_DEVICE_USER, options=[], clearable=False)], className="field"),
        ], className="admin-form"),
        html.Button(t("admin.device.create", lang), id=ids.ADMIN_DEVICE_CREATE, n_clicks=0),
        html.Div(id=ids.ADMIN_DEVICE_LINK, className="queue-message", role="status"),
        html.Div(id=ids.ADMIN_DEVICES, className="admin-table"),
    ], className="admin-devices")


def device_link(lang: str, url: str) -> html.Div:
    """The new device's link, shown once (the server keeps only its hash)."""
    return html.Div([html.Span(t("admin.device.link", lang)), " ", html.Code(url, id="admin-device-url")])


def device_table(lang: str, rows: Sequence[dict[str, Any]]) -> Any:
    """One row per device login; live ones get a revoke button. Values are rendered as text."""
    if not rows:
        return html.P(t("admin.device.none", lang))
    head = [t(f"admin.device.col_{c}", lang) for c in ("name", "user", "created", "by", "seen", "state")] + [""]
    body = []
    for r in rows:
        cells = [html.Td(str(r[k] or "")) for k in ("name", "username", "created", "by", "seen")]
        state = (t("admin.device.revoked", lang, at=r["revoked"]) if r["revoked"] else t("admin.device.live", lang))
        action = "" if r["revoked"] else html.Button(t("admin.device.revoke", lang), id=ids.device_revoke(r["id"]),
                                                     n_clicks=0, className="danger")
        body.append(html.Tr([*cells, html.Td(state), html.Td(action)]))
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)], className="queue-table")
