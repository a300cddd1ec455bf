"""The administration page (/admin, admin role): callbacks that read and change users, departments,
dispatch rules and time limits through :class:`auth.admin.AdminService`, and kiosks' device logins through
:class:`auth.devices.DeviceService`; both audit every change."""
from __future__ import annotations

from typing import Any, Callable

from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from flask import request

from auth.admin import LOGIN_ROLES, AdminError
from callbacks.access import Forbidden, lang, services, user_with
from callbacks.pages import PageSpec, category_options, department_options
from i18n import t
from incidents.model import Role
from layouts import admin as view
from layouts import admin_more
from layouts import ids


def admin_page(svc: Any, lg: str) -> Any:
    ref = svc.reference.get()
    roles = [{"label": t(f"role.{r.value}", lg), "value": r.value} for r in LOGIN_ROLES]
    departments, categories = department_options(ref, lg), category_options(ref, lg)
    year = svc.clock().astimezone(svc.settings.tz).year
    return view.layout(lg, roles, departments, categories,
                       extra=admin_more.sections(lg, categories, departments, year))


PAGE = PageSpec("admin", "/admin", "CityOps · 系统管理", admin_page)


def _local(dt: Any) -> str:
    return dt.astimezone(services().settings.tz).strftime("%Y-%m-%d %H:%M:%S")


@callback(Output(ids.ADMIN_USERS, "children"), Output(ids.ADMIN_USER_SELECT, "data"),
          Output(ids.ADMIN_AUDIT, "children"), Input(ids.ADMIN_VERSION, "data"))
def show_admin(_version: int) -> tuple[Any, Any, Any]:
    """Users and the latest audit entries (who, when, what)."""
    lg = lang()
    try:
        user_with(Role.ADMIN)
    except Forbidden:
        return html.Div(t("error.forbidden", lg)), [], ""
    adm = services().admin
    users = adm.users()
    yes, no = t("admin.yes", lg), t("admin.no", lg)
    head = [t(f"admin.{c}", lg) for c in ("username", "display", "role", "department", "district", "active")]
    depts = services().reference.get().departments  # names people read, the code after them
    dept = {c: f"{d.name(lg)} · {c}" for c, d in depts.items()}
    rows = [(u.username, u.display_name, t(f"role.{u.role}", lg), dept.get(u.department or "", u.department),
             u.district, yes if u.active else no) for u in users]
    audit_head = [t(f"admin.col_{c}", lg) for c in ("at", "actor", "action", "target", "detail")]
    audit = [(_local(a.at), a.actor, a.action, a.target, a.detail) for a in adm.audit(100)]
    return (view.table(head, rows), [{"label": f"{u.display_name} · {u.username}", "value": u.username} for u in users],
            view.table(audit_head, audit))


@callback(Output(ids.ADMIN_RULES, "children"), Input(ids.ADMIN_VERSION, "data"), Input(ids.ADMIN_RULE_KIND, "value"))
def show_rules(_version: int, kind: str | None) -> Any:
    lg = lang()
    try:
        user_with(Role.ADMIN)
    except Forbidden:
        return t("error.forbidden", lg)
    rows = services().admin.rules(kind or "grid_workers")
    return view.table([t("admin.rule_key", lg), t("admin.rule_value", lg)], rows)


@callback(Output(ids.ADMIN_SLA, "children"), Input(ids.ADMIN_VERSION, "data"), Input(ids.ADMIN_SLA_CATEGORY, "value"))
def show_sla(_version: int, category: str | None) -> Any:
    """The time limits of the chosen category (all categories would be a few hundred rows)."""
    lg = lang()
    try:
        user_with(Role.ADMIN)
    except Forbidden:
        return t("error.forbidden", lg)
    rows = [(c, t(f"severity.{s}", lg), f"{limit:g}", t(f"admin.unit_{u}", lg))
            for c, s, limit, u in services().admin.sla() if category and c == category]
    return view.table([t(f"admin.sla_{c}", lg) for c in ("category", "severity", "limit", "unit")], rows)


@callback(Output(ids.ADMIN_USERNAME, "value"), Output(ids.ADMIN_DISPLAY, "value"), Output(ids.ADMIN_ROLE, "value"),
          Output(ids.ADMIN_DEPARTMENT, "value"), Output(ids.ADMIN_DISTRICT, "value"), Output(ids.ADMIN_ACTIVE, "value"),
          Input(ids.ADMIN_USER_SELECT, "value"), prevent_initial_call=True)
def load_user(username: str | None) -> tuple[Any, ...]:
    try:
        user_with(Role.ADMIN)
    except Forbidden:
        return (no_update,) * 6
    found = next((u for u in services().admin.users() if u.username == username), None)
    if found is None:
        return (no_update,) * 6
    return (found.username, found.display_name, found.role, found.department,
            "" if found.district is None else str(found.district), ["active"] if found.active else [])


ACTIONS = {ids.ADMIN_USER_CREATE: "user_create", ids.ADMIN_USER_SAVE: "user_save",
           ids.ADMIN_USER_PASSWORD: "user_password", ids.ADMIN_DEPT_SAVE: "department",
           ids.ADMIN_RULE_SAVE: "rule", ids.ADMIN_SLA_SAVE: "sla"}


@callback(
    Output(ids.ADMIN_MESSAGE, "children"), Output(ids.ADMIN_VERSION, "data"),
    [Input(i, "n_clicks") for i in ACTIONS],
    State(ids.ADMIN_USERNAME, "value"), State(ids.ADMIN_DISPLAY, "value"), State(ids.ADMIN_PASSWORD, "value"),
    State(ids.ADMIN_ROLE, "value"), State(ids.ADMIN_DEPARTMENT, "value"), State(ids.ADMIN_DISTRICT, "value"),
    State(ids.ADMIN_ACTIVE, "value"),
    State(ids.ADMIN_DEPT_CODE, "value"), State(ids.ADMIN_DEPT_ZH, "value"), State(ids.ADMIN_DEPT_EN, "value"),
    State(ids.ADMIN_DEPT_KIND, "value"),
    State(ids.ADMIN_RULE_KIND, "value"), State(ids.ADMIN_RULE_KEY, "value"), State(ids.ADMIN_RULE_VALUE, "value"),
    State(ids.ADMIN_SLA_CATEGORY, "value"), State(ids.ADMIN_SLA_SEVERITY, "value"), State(ids.ADMIN_SLA_LIMIT, "value"),
    State(ids.ADMIN_SLA_UNIT, "value"), State(ids.ADMIN_VERSION, "data"),
    prevent_initial_call=True,
)
def on_admin_action(*args: Any) -> tuple[Any, Any]:
    n = len(ACTIONS)
    names = ("username", "display", "password", "role", "department", "district", "active", "dept_code", "dept_zh",
             "dept_en", "dept_kind", "rule_kind", "rule_key", "rule_value", "sla_category", "sla_severity",
             "sla_limit", "sla_unit")
    form = dict(zip(names, args[n:n + len(names)]))
    return admin_action(ACTIONS[ctx.triggered_id], form, args[-1])


def admin_action(action: str, form: dict[str, Any], version: int | None) -> tuple[Any, Any]:
    """Run one audited change as the logged-in admin; the message says what was saved or why not."""
    lg = lang()
    try:
        user = user_with(Role.ADMIN)
    except Forbidden:
        return t("error.forbidden", lg), no_update
    svc = services()
    adm, now, me, g = svc.admin, svc.clock(), user.username, form.get
    try:
        if action == "user_create":
            target = g("username") or ""
            adm.create_user(me, now, username=target, password=g("password") or "", role=g("role") or "",
                            display_name=g("display") or "", department=g("department"), district=g("district"))
        elif action == "user_save":
            target = g("username") or ""
            adm.update_user(me, now, target, role=g("role"), department=g("department"), district=g("district"),
                            active="active" in (g("active") or []), display_name=g("display"))
        elif action == "user_password":
            target = g("username") or ""
            adm.reset_password(me, now, target, g("password") or "")
        elif action == "department":
            target = (g("dept_code") or "").upper()
            adm.save_department(me, now, code=target, zh=g("dept_zh") or "", en=g("dept_en") or "",
                                kind=g("dept_kind") or "dept")
        elif action == "rule":
            target = f"{g('rule_kind')}:{g('rule_key') or ''}"
            adm.set_rule(me, now, g("rule_kind") or "", g("rule_key") or "", g("rule_value"))
        elif action == "sla":
            target = f"{g('sla_category')}/{g('sla_severity')}"
            adm.set_sla(me, now, category=g("sla_category") or "", severity=g("sla_severity") or "",
                        limit=g("sla_limit"), unit=g("sla_unit") or "")
        else:
            return t("admin.error.rule_kind", lg), no_update
    except AdminError as e:
        return t(f"admin.error.{e.key}", lg), no_update
    return t("admin.done", lg, target=target), (version or 0) + 1


# -- kiosks' device logins ---------------------------------------------------------------------------


@callback(Output(ids.ADMIN_DEVICES, "children"), Output(ids.ADMIN_DEVICE_USER, "data"),
          Input(ids.ADMIN_DEVICE_VERSION, "data"), Input(ids.ADMIN_VERSION, "data"))
def show_devices(_version: int, _users_version: int) -> tuple[Any, Any]:
    """The device logins (newest first) and the wall users one can be made for."""
    lg = lang()
    try:
        user_with(Role.ADMIN)
    except Forbidden:
        return t("error.forbidden", lg), []
    svc = services()
    rows = [dict(id=d.id, name=d.name, username=d.username, created=_local(d.created_at), by=d.created_by,
                 seen=_local(d.last_seen_at) if d.last_seen_at else "",
                 revoked=_local(d.revoked_at) if d.revoked_at else "") for d in svc.devices.devices()]
    walls = [{"label": f"{u.display_name} · {u.username}", "value": u.username} for u in svc.admin.users()
             if u.role == Role.WALL.value and u.active]
    return view.device_table(lg, rows), walls


@callback(Output(ids.ADMIN_DEVICE_LINK, "children"), Output(ids.ADMIN_DEVICE_VERSION, "data"),
          Input(ids.ADMIN_DEVICE_CREATE, "n_clicks"), Input({"type": ids.DEVICE_REVOKE, "device": ALL}, "n_clicks"),
          State(ids.ADMIN_DEVICE_NAME, "value"), State(ids.ADMIN_DEVICE_USER, "value"),
          State(ids.ADMIN_DEVICE_VERSION, "data"), prevent_initial_call=True)
def on_device_action(_create: int, _revokes: list[int], name: str | None, username: str | None,
                     version: int | None) -> tuple[Any, Any]:
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0].get("value"):  # a revoke button just drawn, not clicked
        return no_update, no_update
    if isinstance(trigger, dict):
        return device_revoke(int(trigger["device"]), version)
    return device_create(name, username, version)


def device_create(name: str | None, username: str | None, version: int | None) -> tuple[Any, Any]:
    """Make a device login as the logged-in admin; the answer shows its link once."""
    def create(user: Any, svc: Any, lg: str) -> Any:
        _id, secret = svc.devices.create(user.username, svc.clock(), name=name or "", username=username or "")
        return view.device_link(lg, f"{request.host_url.rstrip('/')}/device/{secret}")

    return _as_admin(version, create)


def device_revoke(device_id: int, version: int | None) -> tuple[Any, Any]:
    """Revoke a device login as the logged-in admin: the kiosk's session ends at its next request."""
    def revoke(user: Any, svc: Any, lg: str) -> Any:
        svc.devices.revoke(user.username, svc.clock(), device_id)
        return t("admin.done", lg, target=f"device:{device_id}")

    return _as_admin(version, revoke)


def _as_admin(version: int | None, work: Callable[[Any, Any, str], Any]) -> tuple[Any, Any]:
    """``work(user, services, lang)`` as the logged-in admin (checked on the server): its answer and the
    next version, or the refusal in the user's language and no new version."""
    lg = lang()
    try:
        user = user_with(Role.ADMIN)
    except Forbidden:
        return t("error.forbidden", lg), no_update
    try:
        return work(user, services(), lg), (version or 0) + 1
    except AdminError as e:
        return t(f"admin.error.{e.key}", lg), no_update
