"""The case file (案卷) component: one case as one viewer may see it, in words.

Pure: it gets a prepared ``view`` (plain strings, already masked and named by ``callbacks/case.py``) and a
map figure, and returns the tree. Every string people read comes from the catalog or from the view; user text
is only ever a child string, never markup.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import dash_mantine_components as dmc
from dash import dcc, html

from i18n import t
from layouts import ids
from layouts.components import badge
from layouts.case_decisions import forms as decision_forms
from layouts.photo_flags import photo_flags, provenance
from layouts.verify_task import task_block

#: Where each action is taken today (its page); the case file names the action and links there.
ACTION_PAGES = {
    "file": "/intake", "reject": "/intake", "merge": "/intake", "dispatch": "/intake", "reassign": "/intake",
    "reopen": "/intake", "callback": "/intake", "extension_approve": "/intake", "extension_refuse": "/intake",
    "return": "/workbench", "acknowledge": "/workbench", "resolve": "/workbench", "extension_request": "/workbench",
    "verify_pass": "/verify", "verify_fail": "/verify", "verify_task_sent": "/verify",
    "verify_task_answered": "/workbench",
}


def case_file(lang: str, view: Mapping[str, Any], figure: Any = None) -> html.Div:
    """The whole case file; ``view`` as ``callbacks.case.case_view`` makes it.

    The stores and the notice sit outside the box the case is drawn in, so an action redraws the case (its
    state, timeline and the actions now offered) without losing what it said."""
    return html.Div([
        dcc.Store(id=ids.CASE_CODE, data=view["code"]),
        dcc.Store(id=ids.CASE_REFRESH, data=0),
        html.Div(id=ids.CASE_NOTICE, role="status", className="case-notice"),
        html.Div(case_body(lang, view, figure), id=ids.CASE_BOX),
    ], className="case-file-frame")


def case_body(lang: str, view: Mapping[str, Any], figure: Any = None) -> html.Article:
    """The case itself, redrawn after every action taken in it."""
    code = view["code"]
    return html.Article([
        html.Header([
            html.H1([t("case.title", lang, code=code), " · ", view["category"]], className="case-title"),
            html.Div([badge(view["state_name"], f"state-{view['state']}"),
                      badge(view["severity_name"], f"severity-{view['severity']}"),
                      *([badge(t("wall.overdue", lang), "overdue")] if view["overdue"] else [])],
                     className="case-badges"),
        ], className="case-head"),
        dcc.Store(id=ids.CASE_VERSION, data=f"{code}@{view['version']}"),
        html.Div(pinned(lang, view["instructions"]), id=ids.CASE_PINNED, className="case-pinned-box"),
        *([instruction_form(lang)] if "instruction" in view["actions"] else []),
        html.Div([
            html.Div([
                _section(t("case.report", lang), "case-report", _facts(lang, [
                    ("description", view["description"]), ("address", view["address"]),
                    ("channel", view["channel"]), ("reported_at", view["reported_at"]), ("phone", view["phone"])])),
                _section(t("case.handling", lang), "case-handling", _facts(lang, [
                    ("department", view["department"]), ("assignee", view["assignee"]),
                    ("deadline", _deadline(lang, view))])),
                _section(t("case.actions", lang), "case-actions",
                         [*decision_forms(lang, view.get("decisions") or {}),
                          _actions(lang, view["actions"], set(view.get("decided") or ()), view.get("here", ""))]),
                _section(t("case.photos_before", lang) + " / " + t("case.photos_after", lang), "case-photos",
                         [html.Div([_photos(lang, t("case.photos_before", lang), view["before"], "before"),
                                    _photos(lang, t("case.photos_after", lang), view["after"], "after")],
                                   className="case-photo-pair"),
                          # 核查: reused photos and each photo's receipt time and position (layouts/photo_flags.py)
                          *_optional(photo_flags(lang, view.get("photo_flags") or []),
                                     provenance(lang, view.get("provenance") or []))]),
                *_optional(task_block(lang, view.get("task"))),  # 核查任务's answer (layouts/verify_task.py)
            ], className="case-col"),
            html.Div([
                _section(t("case.place", lang), "case-place", [
                    html.Nav([item for i, (name, code_) in enumerate(view["place"]) for item in (
                        *([html.Span(" › ", className="crumb-sep")] if i else []),
                        html.Span([name, html.Small(code_, className="crumb-code")], className="crumb"))],
                        className="case-crumbs", **{"aria-label": t("case.place", lang)}),
                    *([html.Div(figure, role="group", className="case-map-box",
                                **{"aria-label": t("map.case_label", lang)})] if figure is not None else []),
                ]),
                _section(t("case.timeline", lang), "case-timeline", html.Ol([
                    html.Li([html.Time(s["at"], className="tl-at"), " ", html.Span(s["who"], className="tl-who"),
                             " ", html.Strong(s["action"]), " ", html.Span(s["text"], className="tl-note"),
                             *[html.A(t("case.photo", lang), href=src, className="tl-photo", target="_blank")
                               for src in s["photos"]]],
                            className="tl-item") for s in view["steps"]], className="timeline")),
                _section(t("case.related", lang), "case-related", _related(lang, view["related"])),
            ], className="case-col"),
        ], className="case-body"),
    ], className="case-file", id="case-file", **{"data-code": code})


def _optional(*parts: Any) -> list[Any]:
    return [p for p in parts if p is not None]


def pinned(lang: str, instructions: Sequence[Mapping[str, str]]) -> Any:
    """Leaders' instructions (批示), newest first, above everything else."""
    if not instructions:
        return None
    return html.Section([html.H2(t("action.instruction", lang)), html.Ul([
        html.Li([html.Strong(s["text"]), " ", html.Span(f"{s['who']} · {s['at']}", className="muted")])
        for s in instructions])], className="case-section case-pinned", role="note")


def instruction_form(lang: str) -> html.Section:
    return html.Section([
        html.Label(t("case.instruct_label", lang), htmlFor=ids.CASE_INSTRUCTION),
        dcc.Textarea(id=ids.CASE_INSTRUCTION, maxLength=2000, className="textarea"),
        html.Button(t("case.instruct", lang), id=ids.CASE_INSTRUCT, n_clicks=0, className="primary"),
    ], className="case-section case-instruct")


def _deadline(lang: str, view: Mapping[str, Any]) -> Any:
    """The deadline, the time left counting down in the browser (assets/32_case.js) while the case runs, and
    the model's breach risk."""
    if not view.get("left_ms") and view.get("left_ms") != 0:
        return view["deadline"]
    return html.Span([
        view["deadline"], " (",
        html.Span(view["countdown"], className="countdown", **{
            "data-left-ms": str(view["left_ms"]), "data-left": t("workbench.left", lang),
            "data-over": t("workbench.overdue_by", lang)}),
        ")",
        *([" ", badge(t("case.risk", lang, risk=view["risk"]), "risk")] if view.get("risk") else []),  # known only
    ])


def _section(title: str, cls: str, body: Any) -> html.Section:
    """A titled panel; ``body`` is one component or a list of them (Dash renders no nested lists)."""
    return html.Section([html.H2(title), *(body if isinstance(body, list) else [body])],
                        className=f"case-section {cls}")


def _facts(lang: str, rows: Sequence[tuple[str, str]]) -> html.Dl:
    return html.Dl([item for k, v in rows for item in (html.Dt(t(f"case.{k}", lang)), html.Dd(v or "—"))],
                   className="case-facts")


def _photos(lang: str, title: str, srcs: Sequence[str], kind: str) -> html.Figure:
    body = [html.Img(src=s, alt=f"{title} {n + 1}", className="case-photo") for n, s in enumerate(srcs)]
    return html.Figure([html.Figcaption(title), *(body or [html.P(t("case.no_photos", lang), className="muted")])],
                       className=f"case-photos-{kind}")


def _actions(lang: str, actions: Sequence[str], decided: set[str], here: str = "") -> Any:
    """Actions taken elsewhere (the workbench, verification), named with a link there (or said to be on this
    page, ``here``); those with a form in this case file (``decided``) and the instruction (its own form
    above) are left out."""
    actions = [a for a in actions if a in ACTION_PAGES and a not in decided]
    if decided and not actions:
        return None
    if not actions:
        return html.P(t("case.no_actions", lang), className="muted")
    return html.Ul([html.Li([html.Span(t(f"action.{a}", lang), className="case-action"), " ",
                             html.Span(t("case.actions_here", lang), className="muted") if ACTION_PAGES[a] == here
                             else dcc.Link(t("case.actions_where", lang) + " " + t(f"nav.{ACTION_PAGES[a][1:]}", lang),
                                           href=ACTION_PAGES[a])])
                    for a in actions], className="case-action-list")


def _related(lang: str, related: Sequence[Mapping[str, str]]) -> Any:
    if not related:
        return html.P(t("case.no_related", lang), className="muted")
    return html.Ul([html.Li([html.Span(t(f"case.relation.{r['relation']}", lang), className="rel-kind"), " ",
                             case_link(r["code"]), " ", r["category"], " · ", r["state"],
                             " · ", r["reported_at"]]) for r in related], className="case-related-list")


def case_link(code: str, text: str | None = None) -> dcc.Link:
    """A case's code (or ``text``) that opens its case file: in the drawer beside the page on a plain click
    (assets/32_case.js), on its own page from a new tab or without scripts."""
    return dcc.Link(text or code, href=f"/case/{code}", className="case-link")


def case_drawer(lang: str) -> Any:
    """The drawer every page opens a case file in (focus moves into it; Escape closes it). ``CASE_OPEN`` is
    set by the browser with the code to open."""
    return html.Div([
        dcc.Store(id=ids.CASE_OPEN),
        dmc.Drawer(html.Div(id=ids.CASE_DRAWER_BODY), id=ids.CASE_DRAWER, opened=False, position="right",
                   size="min(1180px, 72vw)", title=t("case.drawer_title", lang), padding="md",
                   closeButtonProps={"aria-label": t("case.close", lang)}, className="case-drawer"),
    ], id="case-drawer-host")


def drawer_contents(lang: str, code: str, panel: Any) -> html.Div:
    """The drawer's case file, under the link to its own page (the link a leader sends)."""
    return html.Div([html.P(dcc.Link(t("case.open_page", lang), href=f"/case/{code}", className="case-page-link"),
                            className="case-deep-link"), panel])


def not_found(lang: str, code: str) -> html.Div:
    return html.Div(html.P(t("case.not_found", lang, code=code)), className="case-file case-missing")


__all__ = ["ACTION_PAGES", "case_body", "case_drawer", "case_file", "drawer_contents", "case_link", "instruction_form", "not_found", "pinned"]
