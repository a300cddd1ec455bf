"""核查任务 on the pages: the verifier sends a grid worker from /verify; the worker sees the task on /workbench and
answers with a verdict, a note and a photo (with the device's position when the browser gives it); the answer
and any reused photo show in the case file.

Every callback checks the caller's role on the server, and the service checks the case and the worker; this
module only parses, calls one service and renders.
"""
from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update

from callbacks.access import Forbidden, act_on_selection, lang, services, user_with
from callbacks.workbench import decode_photos, local
from dispatch.handling import HandlingError
from dispatch.verify_task import TaskStatus, task_status
from i18n import t
from incidents.events import task_worker
from incidents.model import Role
from incidents.photo_hash import position_of
from layouts import ids
from layouts.case_file import case_link

SENDERS = (Role.VERIFIER, Role.ADMIN)
#: Roles the case file warns of reused photos: the center, who judge the handler's result.
FLAG_ROLES = frozenset({Role.VERIFIER, Role.ADMIN, Role.OPERATOR, Role.LEADER})


# -- /verify: send a grid worker ---------------------------------------------------------------

@callback(Output(ids.VT_WORKER, "data"), Output(ids.VT_WORKER, "value"), Input(ids.VERIFY_SELECT, "value"))
def worker_choices(selected: str | None) -> tuple[list[dict[str, str]], str | None]:
    """Every active grid worker, the picked case's cell worker preselected (not its own handler)."""
    try:
        user_with(*SENDERS)
    except Forbidden:
        return [], None
    svc = services()
    options = [{"label": f"{name} ({user})" if name != user else user, "value": user}
               for user, name in svc.verify_tasks.workers()]
    if not selected or "@" not in selected:
        return options, None
    try:
        default = svc.verify_tasks.default_worker(svc.incidents.get(selected.rsplit("@", 1)[0]))
    except KeyError:
        default = None
    return options, default


@callback(Output(ids.VT_SEND_CONFIRM, "message"), Input(ids.VERIFY_SELECT, "value"), Input(ids.VT_WORKER, "value"))
def confirm_send(selected: str | None, worker: str | None) -> str:
    """The confirmation names the case and the worker."""
    code = selected.rsplit("@", 1)[0] if selected and "@" in selected else ""
    return t("verify_task.confirm_send", lang(), code=code, worker=worker or "")


@callback(Output(ids.VT_MESSAGE, "children"), Output(ids.VERIFY_VERSION, "data", allow_duplicate=True),
          Input(ids.VT_SEND_CONFIRM, "submit_n_clicks"), State(ids.VERIFY_SELECT, "value"),
          State(ids.VT_WORKER, "value"), State(ids.VT_NOTE, "value"), State(ids.VERIFY_VERSION, "data"),
          prevent_initial_call=True)
def send(_n: int, selected: str | None, worker: str | None, note: str | None, version: int | None) -> tuple[Any, Any]:
    """Runs once the verifier confirmed; the case file below shows the task from then on."""
    def run(user: Any, svc: Any, code: str, seen: int) -> str:
        new = svc.verify_tasks.send(code, user.actor, seen, svc.clock(), worker, note)
        return t("verify_task.sent", lang(), code=code, worker=task_worker(new.extra) or worker or "")

    return act_on_selection(selected, version, SENDERS, run, keyed_alone=True)


@callback(Output(ids.VERIFY_VERSION, "data", allow_duplicate=True), Input("verify-socket", "data-delta"),
          State(ids.VERIFY_SELECT, "value"), State(ids.VERIFY_VERSION, "data"), prevent_initial_call=True)
def on_answer(delta: dict[str, Any] | None, selected: str | None, version: int | None) -> Any:
    """A worker answered the task of the case on screen: reload its case file to show the answer."""
    code = selected.rsplit("@", 1)[0] if selected and "@" in selected else None
    if not code or not delta:
        return no_update
    answered = any(e.get("action") == "verify_task_answered" and e.get("code") == code
                   for e in delta.get("events") or [])
    return (version or 0) + 1 if answered else no_update


# -- /workbench: the grid worker's tasks ---------------------------------------------------------

@callback(Output(ids.VT_TASKS, "options"), Output(ids.VT_SECTION, "hidden"),
          Input(ids.WB_VERSION, "data"), Input(ids.VT_VERSION, "data"))
def my_tasks(_wb: int, _vt: int) -> tuple[list[dict[str, str]], bool]:
    """The worker's open tasks (a push to their room bumps the workbench's version, so a new one appears), and
    whether the section stays hidden: for everyone but a grid worker with an open task."""
    try:
        user = user_with(Role.GRID_WORKER)
    except Forbidden:
        return [], True
    svc = services()
    lg, ref = lang(), svc.reference.get()
    options = [{"label": f"{i.code} · {ref.taxonomy.get(i.category).name(lg)} · {i.address or i.grid}",
                "value": f"{i.code}@{i.version}"} for i in svc.verify_tasks.open_for(user.actor)]
    return options, not options  # nothing to answer: the section stays out of the worker's way


@callback(Output(ids.VT_TASK_LINK, "children"), Input(ids.VT_TASKS, "value"))
def task_link(selected: str | None) -> Any:
    """The picked task's case file (the worker may read it while the task is open): what to look at."""
    if not selected or "@" not in selected:
        return None
    return case_link(selected.rsplit("@", 1)[0], t("case.open", lang()))


@callback(Output(ids.VT_PHOTO_NAME, "children"), Input(ids.VT_PHOTO, "filename"), prevent_initial_call=True)
def photo_name(name: str | None) -> str:
    return name or ""


# The device's position when the photo is picked, if the browser gives it (permission refused → nothing).
clientside_callback(
    ClientsideFunction(namespace="verifyTask", function_name="position"),
    Output(ids.VT_POSITION, "data"), Input(ids.VT_PHOTO, "contents"), prevent_initial_call=True)
# The same for the handler's resolve photos; the workbench's resolve reads it as a State.
clientside_callback(
    ClientsideFunction(namespace="verifyTask", function_name="position"),
    Output(ids.WB_PHOTO_POSITION, "data"), Input(ids.WB_PHOTOS, "contents"), prevent_initial_call=True)


@callback(Output(ids.VT_ANSWER_MESSAGE, "children"), Output(ids.VT_VERSION, "data"), Output(ids.VT_PHOTO, "contents"),
          Input(ids.VT_ANSWER, "n_clicks"), State(ids.VT_TASKS, "value"), State(ids.VT_VERDICT, "value"),
          State(ids.VT_ANSWER_NOTE, "value"), State(ids.VT_PHOTO, "contents"), State(ids.VT_PHOTO, "filename"),
          State(ids.VT_POSITION, "data"), State(ids.VT_VERSION, "data"), prevent_initial_call=True)
def answer(_n: int, selected: str | None, verdict: str | None, note: str | None, contents: str | None,
           filename: str | None, position: Any, version: int | None) -> tuple[Any, Any, Any]:
    done: list[str] = []

    def run(user: Any, svc: Any, code: str, seen: int) -> str:
        photos = decode_photos([contents] if contents else [], [filename or ""])
        svc.verify_tasks.answer(code, user.actor, seen, svc.clock(), verdict, note, photos, position_of(position))
        done.append(code)
        return t("verify_task.answered", lang(), code=code)

    message, bumped = act_on_selection(selected, version, (Role.GRID_WORKER,), run, keyed_alone=True)
    return message, bumped, None if done else no_update  # a refused answer keeps the photo for another try


# -- the case file: the task's answer and reused photos ------------------------------------------

def case_extras(svc: Any, cf: Any, actor: Any, lg: str) -> dict[str, Any]:
    """What the case file adds for 核查: the latest task and its answer (``task``); for the center's roles, the
    photos also attached to another case (``photo_flags``) and each photo's receipt time and position."""
    code = cf.incident.code
    out: dict[str, Any] = {"task": _task_view(task_status(svc.incidents.timeline(code)), code, svc, lg),
                           "photo_flags": [], "provenance": []}
    if actor.role not in FLAG_ROLES:
        return out
    try:
        flags = svc.verify_tasks.reuse(code, actor)
        rows = svc.verify_tasks.provenance(code, actor)
    except HandlingError:
        return out
    out["photo_flags"] = [{"src": f"/uploads/{code}/{r.name}", "other_code": r.other_code,
                           "identical": r.identical, "distance": r.distance} for r in flags]
    out["provenance"] = [{"src": f"/uploads/{code}/{r.name}", "at": local(r.received_at, svc.settings.tz),
                          "lon": None if r.lon is None else f"{r.lon:.5f}", "lat": None if r.lat is None else f"{r.lat:.5f}",
                          "acc": "–" if r.accuracy_m is None else f"{r.accuracy_m:.0f}"} for r in rows]
    return out


def _task_view(status: TaskStatus | None, code: str, svc: Any, lg: str) -> dict[str, Any] | None:
    if status is None:
        return None
    tz = svc.settings.tz
    names = svc.case_files.display_names([status.worker])
    return {"worker": names.get(status.worker, status.worker), "sent_at": local(status.sent_at, tz),
            "note": status.note, "open": status.open, "verdict": status.verdict, "answer_note": status.answer_note,
            "answered_at": local(status.answered_at, tz) if status.answered_at else "",
            "photos": [f"/uploads/{code}/{n}" for n in status.photos if svc.handling.photo_file(code, n) is not None]}


__all__ = ["answer", "case_extras", "my_tasks", "on_answer", "send", "worker_choices"]
