"""``POST /api/v1/incidents/{code}/actions``: each action through the same service as the page that takes it.

Why: a handler's action over the API must meet the workbench's rules (ownership, one open extension request,
bounded hours, a reason to return), and an operator's dispatch or reassignment the console's (the department
and assignee must exist, the deadline rule of DESIGN). Calling the store directly, as a generic path would,
skips them. Only the lifecycle's remaining actions and annotations (file, reject, reopen, note, …) go through
the incident service directly, with their payload checked here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from api.errors import ApiError
from dispatch.handling import HANDLER_ROLES, HandlingError
from dispatch.handling_service import HANDLER_ACTIONS
from dispatch.routing import RoutingError
from i18n import t
from incidents.intake import is_web_link
from incidents.model import Actor, Incident

#: Payload keys a client may send, and what each holds. Anything else is refused naming the key.
PAYLOAD_KEYS: dict[str, str] = {
    "reason": "text", "note": "text", "remark": "text", "comment": "text", "result": "text",
    "satisfaction": "text", "external_id": "text", "hours": "number", "photo_urls": "urls",
    "worker": "text", "verdict": "text",
}
MAX_TEXT = 2000
MAX_URLS = 10
#: Which request field a refusal of the handling or routing service is about.
REFUSAL_FIELDS: dict[str, str] = {
    "reason_required": "note", "note_required": "note", "too_long": "note", "bad_hours": "payload.hours",
    "extension_pending": "action", "no_extension": "action", "not_yours": "code", "unknown_action": "action",
    "department": "department", "assignee": "assignee", "reason": "note", "unchanged": "department",
    "task_open": "action", "no_task": "action", "task_worker": "payload.worker", "task_self": "payload.worker",
    "task_verdict": "payload.verdict", "photo_required": "payload.photo_urls",
}
#: Refusals that are about the case's present state (a task already open, none to answer): 409 like a conflict.
STATE_REFUSALS = ("extension_pending", "no_extension", "task_open", "no_task")
#: Actions that only the routing service writes (they move a case between departments and people).
ROUTED = ("dispatch", "reassign")


def when(value: str, field: str) -> datetime:
    """An ISO 8601 datetime with a zone, or a 422 naming ``field``."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ApiError(422, "invalid_datetime", f"{field} must be an ISO 8601 datetime with a time zone", field)
    return at


def checked_payload(raw: Any) -> dict[str, Any]:
    """The client's payload with known keys of the right kind: texts of at most 2,000 characters, numbers,
    and at most ten absolute http(s) photo links (shown as links, never fetched as images)."""
    out: dict[str, Any] = {}
    for key, value in dict(raw or {}).items():
        kind = PAYLOAD_KEYS.get(key)
        field = f"payload.{key}"
        if kind is None:
            raise ApiError(422, "unknown_field", f"unknown payload field {key!r}", field)
        if kind == "text":
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                raise ApiError(422, "wrong_type", f"{field} must be a text of at most {MAX_TEXT} characters", field)
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ApiError(422, "wrong_type", f"{field} must be a number", field)
        elif not isinstance(value, list) or len(value) > MAX_URLS or not all(map(is_web_link, value)):
            raise ApiError(422, "invalid_url", f"{field} must list at most {MAX_URLS} http(s) URLs", field)
        out[key] = value
    return out


def refusal(exc: HandlingError | RoutingError) -> ApiError:
    """A service's refusal as the API's error: its catalog message (English), the field it is about."""
    prefix = "handling.error" if isinstance(exc, HandlingError) else "routing.error"
    status = 403 if exc.key == "not_yours" else 409 if exc.key in STATE_REFUSALS else 422
    return ApiError(status, exc.key, t(f"{prefix}.{exc.key}", "en"), REFUSAL_FIELDS.get(exc.key))


def perform(svc: Any, code: str, action: str, actor: Actor, version: int, now: datetime,
            body: Mapping[str, Any], payload: dict[str, Any]) -> Incident:
    """Run ``action`` through its service; ``payload`` is already checked."""
    text = body.get("note") or payload.get("reason") or payload.get("note")
    extra = {"via": "api", **{k: payload[k] for k in ("photo_urls", "external_id") if k in payload}}
    if action in HANDLER_ACTIONS and actor.role in HANDLER_ROLES:
        return svc.handling.act(code, action, actor, version, now, text=text, extra=extra)
    if action == "extension_request" and actor.role in HANDLER_ROLES:
        return svc.handling.request_extension(code, actor, version, now, payload.get("hours"), text, extra=extra)
    if action in ("extension_approve", "extension_refuse"):
        return svc.handling.decide_extension(code, actor, version, now, approve=action == "extension_approve",
                                             reason=text, extra=extra)
    if action in ("verify_pass", "verify_fail"):
        return svc.handling.verify(code, actor, version, now, passed=action == "verify_pass", reason=text,
                                   extra=extra)
    if action == "verify_task_sent":
        return svc.verify_tasks.send(code, actor, version, now, payload.get("worker"), text, extra=extra)
    if action == "verify_task_answered":
        return svc.verify_tasks.answer(code, actor, version, now, payload.get("verdict"), text, extra=extra)
    for name in ("worker", "verdict"):
        if name in payload:
            raise ApiError(422, "unknown_field", f"payload.{name} belongs to verify_task_sent/answered",
                           f"payload.{name}")
    if action == "dispatch":
        return svc.routing.dispatch(code, actor, version, now, body.get("department"), body.get("assignee"))
    if action == "reassign":
        return svc.routing.reassign(code, actor, version, now, department=body.get("department"),
                                    assignee=body.get("assignee"), reason=text)
    for name in ("department", "assignee"):
        if body.get(name):
            raise ApiError(422, "unknown_field", f"{name} is set only by dispatch or reassign", name)
    routing: dict[str, Any] = {}
    if body.get("deadline"):
        if action != "deadline_changed":
            raise ApiError(422, "unknown_field", "deadline is set only by deadline_changed", "deadline")
        routing["deadline"] = when(body["deadline"], "deadline")
    merged = {**payload, **extra}
    if body.get("note"):
        merged["note"] = body["note"]
    return svc.incidents.act(code, action, actor, version, now, payload=merged, **routing)


__all__ = ["PAYLOAD_KEYS", "checked_payload", "perform", "refusal", "when"]
