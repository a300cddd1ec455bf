"""The JSON API under ``/api/v1``: create, get, list, act on incidents; timelines; KPIs; alarms.

Views parse and check types, call one service, serialise. Writes need a Bearer token; reads take a token
or a logged-in session (DESIGN.md "Tokens"). The OpenAPI document (``api.openapi``) describes exactly
these routes; a test walks both.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_limiter import RateLimitExceeded

from api import actions, refusals
from api.access import body_limit, creator, rate_limited, reader, services, writer
from api.actions import MAX_TEXT, checked_payload, when
from api.errors import ApiError, from_intake, from_transition
from auth.audit import VIEW_PHONE, record_access
from dispatch.channels import IdempotencyMismatch
from dispatch.handling import HandlingError
from dispatch.routing import RoutingError
from incidents.access import may_act, may_read, reach_of
from incidents.consultation import ConsultationError
from incidents.consultation_service import ConsultationService
from incidents.intake import IntakeError
from incidents.lifecycle import TransitionError
from incidents.model import Actor, Channel, State
from incidents.privacy import PHONE_KEYS, may_see_phone, payload_for
from incidents.search import Filters
from incidents.service import incident_view
from incidents.store import ConflictError, NotFoundError

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

#: The create body's fields and their JSON types: a wrong type is refused naming the field.
CREATE_FIELDS: dict[str, tuple[type, ...]] = {
    "category": (str,), "severity": (str,), "description": (str,), "lon": (int, float), "lat": (int, float),
    "address": (str,), "reporter_phone": (str,), "reported_at": (str,), "extra": (dict,), "crs": (str,),
}
ACTION_FIELDS: dict[str, tuple[type, ...]] = {
    "action": (str,), "version": (int,), "department": (str,), "assignee": (str,), "deadline": (str,),
    "note": (str,), "payload": (dict,),
}
MAX_PAGE = 500


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    refusals.count(exc.status, exc.field, exc.code, counted=exc.counted)
    return exc.response()


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(exc: RateLimitExceeded) -> Response:
    message, wait = rate_limited(exc)
    resp = ApiError(429, "rate_limited", message, "Authorization").response()
    resp.headers["Retry-After"] = str(wait)
    return resp


@bp.before_request
def _limit() -> None:
    body_limit()


def json_object(fields: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """The request body as a JSON object whose known fields have the right types."""
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object", None)
    for name, value in body.items():
        if name not in fields:
            raise ApiError(422, "unknown_field", f"unknown field {name!r}", name)
        kinds = fields[name]
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
            want = " or ".join("number" if k in (int, float) else {str: "string", dict: "object"}.get(k, k.__name__)
                               for k in kinds[:1])
            raise ApiError(422, "wrong_type", f"{name} must be a {want}", name)
    return body


def incident_json(incident: Any) -> dict[str, Any]:
    return incident_view(incident, services().clock())


@bp.post("/incidents")
def create_incident() -> tuple[Response, int, dict[str, str]]:
    actor = creator()
    body = json_object(CREATE_FIELDS)
    crs = body.pop("crs", None)
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and not 1 <= len(key) <= 128:
        raise ApiError(400, "invalid_choice", "Idempotency-Key must have 1 to 128 characters", "Idempotency-Key")
    try:
        made = services().channels.create(body, actor, Channel.API, services().clock(), crs=crs, key=key)
    except IntakeError as exc:
        raise from_intake(exc) from None
    except IdempotencyMismatch as exc:
        raise ApiError(422, "idempotency_mismatch", str(exc), "Idempotency-Key") from None
    out = {**incident_json(made.incident), "waiting": made.waiting,
           "duplicates": [d.code for d in made.duplicates]}
    headers = {"Location": f"/api/v1/incidents/{made.incident.code}"}
    if made.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(out), (200 if made.replayed else 201), headers


@bp.get("/incidents/<code>")
def get_incident(code: str) -> Response:
    return jsonify(incident_json(readable(reader(), code)))


@bp.get("/incidents")
def list_incidents() -> Response:
    actor = reader()
    filters, after, limit = list_query(request.args)
    now = services().clock()
    items, next_id = services().channels.search(replace(filters, reach=reach_of(actor)), now, after_id=after,
                                                limit=limit)
    return jsonify(items=[incident_view(i, now) for i in items], next_cursor=_cursor(next_id))


@bp.post("/incidents/<code>/actions")
def act(code: str) -> Response:
    actor = writer()
    body = json_object(ACTION_FIELDS)
    action, version = body.get("action"), body.get("version")
    if not action:
        raise ApiError(422, "required", "action is required", "action")
    if version is None:
        raise ApiError(422, "required", "version is required: the version you act on", "version")
    if len(body.get("note") or "") > MAX_TEXT:
        raise ApiError(422, "too_long", f"note must have at most {MAX_TEXT} characters", "note")
    payload = checked_payload(body.get("payload"))
    incident = readable(actor, code)
    if not may_act(actor, incident):
        raise ApiError(403, "not_yours", f"{code} is not a case this token may act on", "code")
    if incident.version != version:  # a stale version is a conflict before anything else is judged
        raise ApiError(409, "conflict", f"{code} is at version {incident.version}, not {version}", "version",
                       incident=incident_json(incident))
    try:
        new = actions.perform(services(), code, str(action), actor, version, services().clock(), body, payload)
    except ConflictError as exc:
        raise ApiError(409, "conflict", str(exc), "version", incident=incident_json(exc.current)) from None
    except NotFoundError as exc:
        raise ApiError(404, "not_found", str(exc), "code") from None
    except TransitionError as exc:
        raise from_transition(exc) from None
    except (HandlingError, RoutingError) as exc:
        raise actions.refusal(exc) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_choice", str(exc), None) from None
    return jsonify(incident_json(new))


@bp.get("/incidents/<code>/events")
def timeline(code: str) -> Response:
    actor = reader()
    readable(actor, code)
    try:
        events = services().incidents.timeline(code)
    except NotFoundError as exc:
        raise ApiError(404, "not_found", str(exc), "code") from None
    if may_see_phone(actor.role) and any(PHONE_KEYS & e.payload.keys() for e in events):
        record_access(services().db, actor, services().clock(), VIEW_PHONE, code, {"via": "api"})
    return jsonify(items=[{
        "seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "from_state": e.from_state,
        "to_state": e.to_state, "department": e.department, "assignee": e.assignee,
        "deadline": e.deadline.isoformat() if e.deadline else None, "version": e.version,
        "payload": payload_for(actor.role, e.payload),
    } for e in events])


@bp.get("/kpis")
def kpis() -> Response:
    reader()
    return jsonify(services().kpis())


@bp.post("/alarms")
def alarms() -> tuple[Response, int]:
    actor = creator()
    body = request.get_json(silent=True, force=True)
    batch = body.get("alarms") if isinstance(body, dict) else body
    if not isinstance(batch, list) or not batch:
        raise ApiError(400, "invalid_json", "send a JSON list of alarms (or {\"alarms\": [...]})", "alarms")
    if len(batch) > 1000:
        raise ApiError(413, "too_large", "at most 1,000 alarms per request", "alarms")
    now = services().clock()
    results = []
    for n, raw in enumerate(batch):
        out = services().channels.alarm(raw, actor, now)
        item: dict[str, Any] = {"index": n, "result": out.result, "code": out.code}
        if out.error is not None:
            item["error"] = {"code": out.error.code, "message": out.error.message, "field": out.error.field}
        results.append(item)
    failed = sum(1 for r in results if r["result"] == "error")
    return jsonify(results=results), (207 if 0 < failed < len(results) else 422 if failed else 200)


#: A consultation's body (咨询, 即时办结): the question and the answer given, closed at once; no case is made.
CONSULTATION_FIELDS: dict[str, tuple[type, ...]] = {
    "question": (str,), "answer": (str,), "category": (str,), "caller_phone": (str,),
}


@bp.post("/consultations")
def create_consultation() -> tuple[Response, int]:
    """A hotline system's question answered on the call: recorded closed, counted apart from incidents."""
    actor = writer()
    body = json_object(CONSULTATION_FIELDS)
    svc = services()
    try:
        done = ConsultationService(svc.db, svc.settings.tz).record(
            body, actor, Channel.API, svc.clock(), taxonomy=svc.reference.get().taxonomy)
    except IntakeError as exc:
        raise ApiError(422, exc.code, exc.message, exc.field) from None
    except ConsultationError as exc:
        raise ApiError(403, "forbidden", str(exc), None) from None
    return jsonify(code=done.code, channel=done.channel.value, category=done.category, question=done.question,
                   answer=done.answer, closed_at=done.closed_at.isoformat()), 201


def readable(actor: Actor, code: str) -> Any:
    """The incident, when ``actor`` may read it; a case outside their scope is "not found", like one that
    does not exist, so codes cannot be probed."""
    try:
        incident = services().incidents.get(code)
    except NotFoundError as exc:
        raise ApiError(404, "not_found", str(exc), "code") from None
    if not may_read(actor, incident):
        raise ApiError(404, "not_found", f"no incident {code}", "code")
    return incident


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def list_query(args: Any) -> tuple[Filters, int | None, int]:
    states = _csv(args.get("status"))
    for s in states:
        if s not in {x.value for x in State}:
            raise ApiError(422, "invalid_choice", f"unknown status {s!r}", "status")
    district = args.get("district")
    if district is not None and not district.isdigit():
        raise ApiError(422, "not_a_number", "district must be a 6-digit division code", "district")
    overdue = args.get("overdue")
    if overdue not in (None, "true", "false"):
        raise ApiError(422, "invalid_choice", "overdue must be true or false", "overdue")
    try:
        limit = int(args.get("limit", 50))
    except ValueError:
        raise ApiError(422, "not_a_number", "limit must be a number", "limit") from None
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError(422, "out_of_range", f"limit must lie between 1 and {MAX_PAGE}", "limit")
    filters = Filters(
        states=states, categories=_csv(args.get("category")), district=int(district) if district else None,
        grid=args.get("grid") or None, department=args.get("department") or None,
        since=when(args["since"], "since") if args.get("since") else None,
        until=when(args["until"], "until") if args.get("until") else None,
        overdue=None if overdue is None else overdue == "true",
    )
    return filters, _after(args.get("cursor")), limit


def _cursor(after_id: int | None) -> str | None:
    return None if after_id is None else base64.urlsafe_b64encode(f"id:{after_id}".encode()).decode().rstrip("=")


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("id:"):
            return int(text[3:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(422, "invalid_cursor", "cursor is not one this server handed out", "cursor")


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str) -> Response:
    """Without this, Dash's page catch-all would answer an unknown API path with the app's HTML."""
    raise ApiError(404, "not_found", f"no such API route: /api/v1/{rest}", None)
