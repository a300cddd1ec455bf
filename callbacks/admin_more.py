"""/admin callbacks for the gazetteer, the working calendar, on-the-spot rules and the fallback department.

No page of its own (the sections sit on /admin): every callback checks the admin role on the server and
calls :class:`auth.reference_admin.ReferenceAdminService`, which audits each change; a change bumps the
page's ``ADMIN_VERSION`` so the audit log and these tables refresh, and shares the page's message line.
"""
from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, ctx, no_update

from auth.admin import AdminError
from callbacks.access import Forbidden, lang, services, user_with
from i18n import t
from incidents.model import Role
from layouts import admin as view
from layouts import ids

K = "admin_more."


def _admin() -> bool:
    try:
        user_with(Role.ADMIN)
    except Forbidden:
        return False
    return True


@callback(Output(ids.ADMIN_PLACES, "children"), Output(ids.ADMIN_PLACE_SELECT, "data"),
          Input(ids.ADMIN_VERSION, "data"), Input(ids.ADMIN_PLACE_QUERY, "value"))
def show_places(_version: int, query: str | None) -> tuple[Any, Any]:
    """Matching places (50 at most) as a table and as the edit selector's options."""
    lg = lang()
    if not _admin():
        return t("error.forbidden", lg), []
    found = services().reference_admin.places(query or "")
    head = [t(f"{K}place_{c}", lg) for c in ("kind", "name", "alias", "lon", "lat", "grid")]
    rows = [(t(f"{K}kind_{p.kind}", lg), p.name, p.alias, f"{p.lon:.6f}", f"{p.lat:.6f}", p.grid) for p in found]
    return view.table(head, rows), [{"label": f"{p.name} ({t(K + 'kind_' + p.kind, lg)})", "value": str(p.id)}
                                    for p in found]


@callback(Output(ids.ADMIN_PLACE_KIND, "value"), Output(ids.ADMIN_PLACE_NAME, "value"),
          Output(ids.ADMIN_PLACE_ALIAS, "value"), Output(ids.ADMIN_PLACE_LON, "value"),
          Output(ids.ADMIN_PLACE_LAT, "value"), Input(ids.ADMIN_PLACE_SELECT, "value"), prevent_initial_call=True)
def load_place(place_id: Any) -> tuple[Any, ...]:
    """The chosen place's fields into the form, for a rename or a move."""
    if not _admin() or place_id in (None, ""):
        return (no_update,) * 5
    p = services().reference_admin.place(place_id)
    return (no_update,) * 5 if p is None else (p.kind, p.name, p.alias, p.lon, p.lat)


@callback(Output(ids.ADMIN_CALENDAR, "children"), Output(ids.ADMIN_ONSPOT, "children"),
          Output(ids.ADMIN_SETTINGS, "children"), Output(ids.ADMIN_HOURS, "value"), Output(ids.ADMIN_FALLBACK, "value"),
          Input(ids.ADMIN_VERSION, "data"), Input(ids.ADMIN_CAL_YEAR, "value"))
def show_reference(_version: int, year: Any) -> tuple[Any, ...]:
    """The chosen year's holidays and make-up days, the on-the-spot rules and the routing settings."""
    lg = lang()
    if not _admin():
        return t("error.forbidden", lg), "", "", no_update, no_update
    ra = services().reference_admin
    days = [(d, t(f"{K}cal_{kind}", lg), name) for d, kind, name in ra.calendar_days(int(year) if year else None)]
    onspot = [(c, t(f"{K}onspot_{v}", lg)) for c, v in ra.onspot_rules()]
    settings = ra.settings()
    shown = [(t(f"{K}setting_{k}", lg), settings.get(k) or t(f"{K}fallback_none", lg))
             for k in ("working_hours", "fallback_department")]
    return (view.table([t(f"{K}cal_{c}", lg) for c in ("day", "kind", "name")], days),
            view.table([t(f"{K}onspot_category", lg), t(f"{K}onspot_value", lg)], onspot),
            view.table([t(f"{K}setting", lg), t(f"{K}value", lg)], shown),
            settings.get("working_hours", ""), settings.get("fallback_department") or None)


ACTIONS = {ids.ADMIN_PLACE_ADD: "place_add", ids.ADMIN_PLACE_SAVE: "place_save",
           ids.ADMIN_PLACE_DELETE: "place_delete", ids.ADMIN_CAL_SET: "calendar_set",
           ids.ADMIN_CAL_REMOVE: "calendar_remove", ids.ADMIN_HOURS_SAVE: "working_hours",
           ids.ADMIN_ONSPOT_SAVE: "onspot", ids.ADMIN_FALLBACK_SAVE: "fallback"}
FIELDS = (("place_id", ids.ADMIN_PLACE_SELECT), ("place_kind", ids.ADMIN_PLACE_KIND),
          ("place_name", ids.ADMIN_PLACE_NAME), ("place_alias", ids.ADMIN_PLACE_ALIAS),
          ("place_lon", ids.ADMIN_PLACE_LON), ("place_lat", ids.ADMIN_PLACE_LAT), ("cal_day", ids.ADMIN_CAL_DAY),
          ("cal_kind", ids.ADMIN_CAL_KIND), ("cal_name", ids.ADMIN_CAL_NAME), ("hours", ids.ADMIN_HOURS),
          ("onspot_category", ids.ADMIN_ONSPOT_CATEGORY), ("onspot_value", ids.ADMIN_ONSPOT_VALUE),
          ("fallback", ids.ADMIN_FALLBACK))


@callback(
    Output(ids.ADMIN_MESSAGE, "children", allow_duplicate=True), Output(ids.ADMIN_VERSION, "data", allow_duplicate=True),
    [Input(i, "n_clicks") for i in ACTIONS],
    [State(i, "value") for _, i in FIELDS], State(ids.ADMIN_VERSION, "data"),
    prevent_initial_call=True,
)
def on_more_action(*args: Any) -> tuple[Any, Any]:
    n = len(ACTIONS)
    form = dict(zip((name for name, _ in FIELDS), args[n:n + len(FIELDS)]))
    return more_action(ACTIONS[ctx.triggered_id], form, args[-1])


def more_action(action: str, form: dict[str, Any], version: int | None) -> tuple[Any, Any]:
    """Run one audited change as the logged-in admin; the message says what was saved or why not."""
    lg = lang()
    try:
        user = user_with(Role.ADMIN)
    except Forbidden:
        return t("error.forbidden", lg), no_update
    svc = services()
    ra, now, me, g = svc.reference_admin, svc.clock(), user.username, form.get
    try:
        if action in ("place_add", "place_save"):
            target = (g("place_name") or "").strip()
            if action == "place_save" and g("place_id") in (None, ""):
                raise AdminError("no_place")  # saving with no place chosen must not add one
            ra.save_place(me, now, place_id=g("place_id") if action == "place_save" else None,
                          kind=g("place_kind") or "", name=target, alias=g("place_alias") or "",
                          lon=g("place_lon"), lat=g("place_lat"))
        elif action == "place_delete":
            found = ra.place(g("place_id")) if g("place_id") not in (None, "") else None
            if found is None:
                raise AdminError("no_place")
            target = found.name
            ra.delete_place(me, now, found.id)
        elif action == "calendar_set":
            target = str(g("cal_day") or "")
            ra.set_calendar_day(me, now, day=target, kind=g("cal_kind") or "", name=g("cal_name") or "")
        elif action == "calendar_remove":
            target = str(g("cal_day") or "")
            ra.remove_calendar_day(me, now, target)
        elif action == "working_hours":
            target = ra.set_working_hours(me, now, g("hours") or "")
        elif action == "onspot":
            target = str(g("onspot_category") or "")
            ra.set_onspot(me, now, target, "" if g("onspot_value") is None else str(g("onspot_value")))
        elif action == "fallback":
            target = g("fallback") or t(K + "fallback_none", lg)
            ra.set_fallback_department(me, now, g("fallback"))
        else:
            return t("admin.error.rule_kind", lg), no_update
    except AdminError as e:
        return t(f"admin.error.{e.key}", lg), no_update
    return t("admin.done", lg, target=target), (version or 0) + 1
