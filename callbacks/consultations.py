"""咨询即时办结 at the console, and its count on /analytics (apart from the case indicators).

Kept beside callbacks/intake.py rather than in it: a consultation shares the form's inputs but not the
incident path, and the analytics page reads its count from the consultations table, not from the
indicator views.
"""
from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, html, no_update

from callbacks.access import Forbidden, lang, services, user_with
from callbacks.analytics import VIEWERS, parse
from i18n import t
from incidents.consultation import ConsultationError
from incidents.consultation_service import ConsultationService
from incidents.intake import IntakeError
from incidents.model import Channel, Role
from layouts import ids

#: Every error slot a consultation may fill or must empty (the case form's, plus the answer's).
SLOTS = tuple(dict.fromkeys(ids.INTAKE_FIELDS + ids.CONSULT_FIELDS))
#: Emptied once the question is recorded, ready for the next call (severity and place are left alone).
CLEARED = (ids.INTAKE_PHONE, ids.INTAKE_CATEGORY, ids.INTAKE_DESCRIPTION, ids.CONSULT_ANSWER)


def _errors(field: str | None = None, message: str = "") -> list[str]:
    return [message if f == field else "" for f in SLOTS]


@callback(
    [Output(ids.error(f), "children", allow_duplicate=True) for f in SLOTS]
    + [Output(ids.INTAKE_RESULT, "children", allow_duplicate=True)]
    + [Output(i, "value", allow_duplicate=True) for i in CLEARED],
    Input(ids.CONSULT_SUBMIT, "n_clicks"),
    State(ids.INTAKE_PHONE, "value"), State(ids.INTAKE_CATEGORY, "value"), State(ids.INTAKE_DESCRIPTION, "value"),
    State(ids.CONSULT_ANSWER, "value"),
    prevent_initial_call=True,
)
def answer_on_the_spot(n: int, phone: str | None, category: str | None, question: str | None,
                       answer: str | None) -> list[Any]:
    """Record the question and the answer given, closed at once (即时办结); no case is made."""
    keep = [no_update] * len(CLEARED)
    if not n:
        return [no_update] * len(SLOTS) + [no_update] + keep
    lg = lang()
    try:
        user = user_with(Role.OPERATOR)
    except Forbidden:
        return _errors() + [html.Div(t("error.forbidden", lg), className="error")] + keep
    svc = services()
    raw = {"reporter_phone": phone, "category": category, "question": question, "answer": answer}
    try:
        done = ConsultationService(svc.db, svc.settings.tz).record(
            raw, user.actor, Channel.HOTLINE, svc.clock(), taxonomy=svc.reference.get().taxonomy)
    except IntakeError as e:
        return _errors(e.field, t(f"error.{e.code}", lg, **e.params)) + [no_update] + keep
    except ConsultationError as e:
        return _errors() + [html.Div(t(f"error.{e.code}", lg), className="error")] + keep
    result = html.Div(html.Div(t("consult.done", lg, code=done.code), className="result-status"),
                      className="result consult-done", **{"data-code": done.code})
    return _errors() + [result] + ["", None, "", ""]


@callback(Output(ids.AN_CONSULTATIONS, "children"),
          Input(ids.AN_PERIOD, "start_date"), Input(ids.AN_PERIOD, "end_date"), Input(ids.AN_CATEGORY, "value"))
def consultation_count(start_date: str | None, end_date: str | None, category: str | None) -> Any:
    """即时办结数 for the page's period (and category class): a figure of its own beside the case indicators."""
    lg = lang()
    try:
        user = user_with(*VIEWERS)
    except Forbidden:
        return None
    svc = services()
    q = parse(user, svc, start_date, end_date, None, None, category, None, None, None)
    by_topic = ConsultationService(svc.db, svc.settings.tz).counts_by_category(q.start, q.end, q.filters.category)
    return consultation_card(lg, by_topic, svc.reference.get().taxonomy)


def consultation_card(lg: str, by_topic: dict[str, int], taxonomy: Any) -> Any:
    total = sum(by_topic.values())
    if not total:
        return html.P(t("consult.none", lg), className="muted an-consult-none")

    def name(code: str) -> str:
        if not code:
            return t("consult.topic_none", lg)
        try:
            return str(taxonomy.get(code).name(lg))
        except KeyError:
            return code

    top = sorted(by_topic.items(), key=lambda kv: -kv[1])[:8]
    return html.Div([
        html.Div(t("consult.count_value", lg, n=total), className="an-consult-total", id="an-consult-total"),
        html.Ul([html.Li(f"{name(c)}: {n}") for c, n in top], className="an-consult-topics"),
    ])


@callback(Output(ids.error("answer"), "children", allow_duplicate=True), Input(ids.INTAKE_RESULT, "children"),
          prevent_initial_call=True)
def forget_answer_error(_result: Any) -> str:
    """Whatever the call became (a case, a joined case, a question), the answer's old error no longer applies."""
    return ""


@callback(Output(ids.INTAKE_ADD_CALLER_MESSAGE, "children", allow_duplicate=True), Input(ids.INTAKE_LIKELY, "children"),
          prevent_initial_call=True)
def forget_add_caller_refusal(_offered: Any) -> str:
    """A refusal speaks of the cases offered when it was made: a new offer (another category or place) clears it."""
    return ""
