"""核查任务 components: the verifier's "send a grid worker" controls on /verify, the grid worker's open tasks and
answer form on /workbench, and the task's answer as the case file shows it. Pure component trees."""
from __future__ import annotations

from typing import Any, Mapping

from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import select

VERDICTS = ("resolved", "unresolved")


def verify_controls(lang: str) -> html.Section:
    """On /verify, under pass / rework: whom to send (the cell's grid worker preselected), a note, send."""
    return html.Section([
        html.H3(t("verify_task.title", lang)),
        html.Div([
            html.Div([
                html.Label(t("verify_task.worker", lang), htmlFor=ids.VT_WORKER),
                select(lang, id=ids.VT_WORKER, placeholder=t("verify_task.worker_pick", lang)),
            ], className="field vt-field-worker"),
            html.Div([
                html.Label(t("verify_task.note", lang), htmlFor=ids.VT_NOTE),
                dcc.Input(id=ids.VT_NOTE, type="text", maxLength=2000),
            ], className="field vt-field-note"),
            dcc.ConfirmDialogProvider(
                html.Button(t("verify_task.send", lang), id=ids.VT_SEND, n_clicks=0, className="secondary"),
                id=ids.VT_SEND_CONFIRM, message=t("verify_task.confirm_send", lang, code="", worker="")),
        ], className="vt-send-row"),
        html.Div(id=ids.VT_MESSAGE, className="queue-message", role="status"),
    ], className="verify-task", id="verify-task")


def worker_tasks(lang: str) -> html.Div:
    """On /workbench: the grid worker's open verification tasks, and the answer — verdict, note, one photo.
    The card shows only while the user is a grid worker with an open task (the callback decides, on the
    server); the answer's message stays outside it, so it is read after the last task leaves."""
    card = html.Section([
        html.H3(t("verify_task.my_tasks", lang)),
        dcc.RadioItems(id=ids.VT_TASKS, options=[], className="vt-tasks", labelClassName="vt-task"),
        html.Div(id=ids.VT_TASK_LINK, className="vt-task-link"),
        html.Fieldset([
            html.Legend(t("verify_task.verdict_label", lang)),
            dcc.RadioItems(id=ids.VT_VERDICT, options=[{"label": t(f"verify_task.verdict.{v}", lang), "value": v}
                                                       for v in VERDICTS], className="vt-verdict"),
        ]),
        html.Label(t("verify_task.answer_note", lang), htmlFor=ids.VT_ANSWER_NOTE),
        dcc.Textarea(id=ids.VT_ANSWER_NOTE, maxLength=2000, className="textarea"),
        dcc.Upload(id=ids.VT_PHOTO, children=html.Div(t("verify_task.photo", lang)), multiple=False,
                   accept="image/jpeg,image/png,image/webp", className="upload"),
        html.Div(id=ids.VT_PHOTO_NAME, className="field-hint"),
        html.Button(t("verify_task.answer", lang), id=ids.VT_ANSWER, n_clicks=0, className="primary"),
    ], className="verify-task wb-tasks", id=ids.VT_SECTION, hidden=True)
    return html.Div([
        dcc.Store(id=ids.VT_VERSION, data=0),
        dcc.Store(id=ids.VT_POSITION),
        dcc.Store(id=ids.WB_PHOTO_POSITION),  # where the device was when resolve photos were picked
        card,
        html.Div(id=ids.VT_ANSWER_MESSAGE, className="queue-message", role="status"),
    ], className="vt-worker")


def task_block(lang: str, task: Mapping[str, Any] | None) -> Any:
    """The latest verification task in the case file: sent to whom, and the worker's verdict, note and photos."""
    if not task:
        return None
    lines: list[Any] = [html.P(t("verify_task.sent_to", lang, worker=task["worker"], at=task["sent_at"]))]
    if task.get("note"):
        lines.append(html.P(task["note"], className="tl-note"))
    if task.get("verdict"):
        lines.append(html.P([html.Strong(t(f"verify_task.verdict.{task['verdict']}", lang),
                                         className=f"badge badge-verdict-{task['verdict']}"), " ",
                             html.Span(task.get("answered_at", ""), className="muted")]))
        if task.get("answer_note"):
            lines.append(html.P(task["answer_note"], className="tl-note"))
        lines.append(html.Div([html.Img(src=src, alt=t("verify_task.photo_alt", lang, n=n + 1), className="case-photo")
                               for n, src in enumerate(task.get("photos") or [])], className="vt-photos"))
    else:
        lines.append(html.P(t("verify_task.waiting" if task.get("open") else "verify_task.closed", lang),
                            className="muted"))
    return html.Section([html.H2(t("verify_task.title", lang)), *lines],
                        className="case-section case-verify-task", id="case-verify-task")


__all__ = ["VERDICTS", "task_block", "verify_controls", "worker_tasks"]
