"""Open311 GeoReport v2 under ``/open311/v2`` (the spec's endpoints, fields, formats and errors).

Our taxonomy's small classes are the services; the department is ``agency_responsible``, the deadline
``expected_datetime``; our states map to open/closed with the state's name in ``status_notes``. Requests
are created synchronously, so POST answers with ``service_request_id`` (our incident code) and tokens
resolve only to codes. Tolerated client habits: ``service/{code}``, ``api_key`` in the query string, an
empty ``jurisdiction_id`` and doubled slashes (merged in ``api.install``).

Reads are public unless ``CITYOPS_OPEN311_READS=key``; in both modes an answer is written for anyone to
read (``api.open311_public``): no reporter data, phone numbers and emails masked in the text, points
rounded to ~100 m, ``media_url`` only as an http(s) URL, and at most ``MAX_IDS`` codes per id list.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any, Iterable

from flask import Blueprint, Response, request
from flask_limiter import RateLimitExceeded

from api import refusals
from api.access import WRITERS, rate_limited, request_token, services
from api.open311_public import MAX_IDS, is_web_url, public_media_url, public_point, public_text
from dispatch.channels import IdempotencyMismatch
from i18n import t
from incidents.intake import IntakeError
from incidents.model import FINAL_STATES, OPEN_STATES, Channel, Incident
from incidents.search import Filters
from incidents.store import NotFoundError

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FMT = "<any(json, xml):fmt>"
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
#: The GETs that show requests; ``CITYOPS_OPEN311_READS=key`` puts them behind a valid api_key.
READ_ENDPOINTS = frozenset({"open311.list_requests", "open311.get_request", "open311.token_lookup"})
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")


class Open311Error(Exception):
    def __init__(self, status: int, description: str, field: str = "", code: str = "", counted: bool = False) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        #: the refused field and reason code, for the refusal count; ``counted``: already counted
        self.field, self.code, self.counted = field, code, counted


def _fmt() -> str:
    return "xml" if request.path.rstrip("/").endswith(".xml") else "json"


def error_response(status: int, description: str) -> Response:
    errors = [{"code": status, "description": description}]
    if _fmt() == "xml":
        return Response(_xml("errors", "error", errors), status, mimetype="text/xml")
    return Response(json.dumps(errors, ensure_ascii=False), status, mimetype="application/json")


@bp.errorhandler(Open311Error)
def _error(exc: Open311Error) -> Response:
    refusals.count(exc.status, exc.field, exc.code, counted=exc.counted)
    return error_response(exc.status, exc.description)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(exc: RateLimitExceeded) -> Response:
    message, wait = rate_limited(exc)
    resp = error_response(429, f"Authorization: {message}")
    resp.headers["Retry-After"] = str(wait)
    return resp


@bp.before_request
def _jurisdiction() -> None:
    jid = (request.values.get("jurisdiction_id") or "").strip()
    if jid and jid != services().settings.open311_jurisdiction:
        raise Open311Error(404, f"jurisdiction_id {jid!r} is not served here", "jurisdiction_id", "not_found")
    limit = services().settings.api_max_body
    if request.content_length is not None and request.content_length > limit:
        raise Open311Error(413, f"the body is larger than {limit} bytes", "body", "too_large")
    if request.endpoint in READ_ENDPOINTS and services().settings.open311_reads == "key" and request_token() is None:
        raise Open311Error(403, "api_key is missing or not valid (this server answers requests only with a key)")


def _out(root: str, item: str, rows: list[dict[str, Any]], fmt: str, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, rows), status, mimetype="text/xml")
    return Response(json.dumps(rows, ensure_ascii=False), status, mimetype="application/json")


def _xml(root: str, item: str, rows: Iterable[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        _fill(ET.SubElement(top, item), row)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def _fill(el: ET.Element, row: dict[str, Any]) -> None:
    for key, value in row.items():
        if isinstance(value, list):
            holder = ET.SubElement(el, key)
            for v in value:
                child = ET.SubElement(holder, key[:-1] if key.endswith("s") else key)
                if isinstance(v, dict):
                    _fill(child, v)
                else:
                    child.text = str(v)
        else:
            sub = ET.SubElement(el, key)
            sub.text = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))


# -- services ---------------------------------------------------------------------------------------


def _service(cat: Any) -> dict[str, Any]:
    return {"service_code": cat.code, "service_name": cat.zh, "description": f"{cat.large_zh} · {cat.zh} ({cat.en})",
            "metadata": True, "type": "realtime", "keywords": f"{cat.en}, {cat.large_en}", "group": cat.large_zh}


@bp.get(f"/services.{FMT}")
def service_list(fmt: str) -> Response:
    cats = services().reference.get().taxonomy.all()
    return _out("services", "service", [_service(c) for c in cats], fmt)


@bp.get(f"/services/<code>.{FMT}")
@bp.get(f"/service/<code>.{FMT}")
def service_definition(code: str, fmt: str) -> Response:
    try:
        services().reference.get().taxonomy.get(code)
    except KeyError:
        raise Open311Error(404, f"service_code {code!r} not found") from None
    definition = {"service_code": code, "attributes": [{
        "variable": True, "code": "severity", "datatype": "singlevaluelist", "required": False,
        "datatype_description": "urgent, high or normal", "order": 1, "description": "severity",
        "values": [{"key": v, "name": t(f"severity.{v}", "en")} for v in ("urgent", "high", "normal")],
    }]}
    if fmt == "xml":
        return Response(_definition_xml(definition), mimetype="text/xml")
    return Response(json.dumps(definition, ensure_ascii=False), mimetype="application/json")


def _definition_xml(d: dict[str, Any]) -> bytes:
    top = ET.Element("service_definition")
    ET.SubElement(top, "service_code").text = d["service_code"]
    attrs = ET.SubElement(top, "attributes")
    for a in d["attributes"]:
        el = ET.SubElement(attrs, "attribute")
        _fill(el, {k: v for k, v in a.items() if k != "values"})
        values = ET.SubElement(el, "values")
        for v in a["values"]:
            _fill(ET.SubElement(values, "value"), v)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


# -- requests ---------------------------------------------------------------------------------------


@bp.post(f"/requests.{FMT}")
def create_request(fmt: str) -> Response:
    token = request_token()
    if token is None or token.role not in WRITERS:
        raise Open311Error(403, "api_key is missing or not valid")
    f = request.form
    code = (f.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required", "service_code", "required")
    try:
        name = services().reference.get().taxonomy.get(code).zh
    except KeyError:
        raise Open311Error(404, f"service_code {code!r} not found", "service_code", "unknown_category") from None
    if not f.get("lat") and not f.get("long"):
        raise Open311Error(400, "lat and long are required (address_string / address_id lookup is not offered)",
                           "location", "required")
    media = (f.get("media_url") or "").strip()
    if media and not is_web_url(media):
        raise Open311Error(400, "media_url must be an absolute http:// or https:// URL", "media_url", "invalid")
    extra = {k: f[k] for k in ("email", "device_id", "account_id", "first_name", "last_name", "media_url") if f.get(k)}
    raw = {"category": code, "severity": f.get("attribute[severity]") or "normal",
           "description": f.get("description") or name, "lon": f.get("long"), "lat": f.get("lat"),
           "address": f.get("address_string") or "", "reporter_phone": f.get("phone") or "", "extra": extra}
    try:
        made = services().channels.create(raw, token.actor, Channel.OPEN311, services().clock(),
                                          crs=request.values.get("crs"),
                                          key=request.headers.get("Idempotency-Key") or None)
    except IntakeError as exc:  # counted by the channel service
        raise Open311Error(400, f"{_spec_field(exc.field)}: {exc.message}", counted=True) from None
    except IdempotencyMismatch as exc:  # the same key with another request: the client's error, not ours
        raise Open311Error(400, f"Idempotency-Key: {exc}", "Idempotency-Key", "idempotency_mismatch",
                           counted=True) from None
    return _out("service_requests", "request", [{"service_request_id": made.incident.code, "service_notice": "",
                                                  "account_id": f.get("account_id")}], fmt)


def _spec_field(field: str) -> str:
    return {"category": "service_code", "location": "lat/long", "reporter_phone": "phone"}.get(field, field)


@bp.get(f"/requests.{FMT}")
def list_requests(fmt: str) -> Response:
    args = request.args
    now = services().clock()
    ids = [c.strip() for c in (args.get("service_request_id") or "").split(",") if c.strip()]
    if ids:  # overrides every other filter, per the spec
        ids = list(dict.fromkeys(ids))
        if len(ids) > MAX_IDS:
            raise Open311Error(400, f"service_request_id lists at most {MAX_IDS} ids per request")
        return _out("service_requests", "request", [_request(i) for i in _by_codes(ids)], fmt)
    end = _date(args.get("end_date"), "end_date")
    start = _date(args.get("start_date"), "start_date") or (end or now) - timedelta(days=DEFAULT_DAYS)
    states: list[str] = []
    for status in [s.strip() for s in (args.get("status") or "").split(",") if s.strip()]:
        if status not in ("open", "closed"):
            raise Open311Error(400, "status must be open or closed")
        states += [s.value for s in (OPEN_STATES if status == "open" else FINAL_STATES)]
    cats = [c.strip() for c in (args.get("service_code") or "").split(",") if c.strip()]
    filters = Filters(states=states, categories=cats, since=start, until=end)  # until is exclusive
    items, _ = services().channels.search(filters, now, limit=MAX_REQUESTS)
    return _out("service_requests", "request", [_request(i) for i in items], fmt)


def _by_codes(codes: list[str]) -> list[Incident]:
    found = []
    for code in codes:
        try:
            found.append(services().incidents.get(code))
        except NotFoundError:
            continue
    return found


@bp.get(f"/requests/<rid>.{FMT}")
def get_request(rid: str, fmt: str) -> Response:
    try:
        incident = services().incidents.get(rid)
    except NotFoundError:
        raise Open311Error(404, f"service_request_id {rid!r} not found") from None
    return _out("service_requests", "request", [_request(incident)], fmt)


@bp.get(f"/tokens/<token>.{FMT}")
def token_lookup(token: str, fmt: str) -> Response:
    try:
        incident = services().incidents.get(token)
    except NotFoundError:
        raise Open311Error(404, f"token {token!r} not found") from None
    return _out("service_requests", "request", [{"service_request_id": incident.code, "token": token}], fmt)


def _date(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Open311Error(400, f"{field} must be an ISO 8601 datetime with a time zone")
    return at


def _request(i: Incident) -> dict[str, Any]:
    """One request as the public may see it (``api.open311_public``): the fields are picked one by one,
    so the reporter's phone and ``extra`` (email, names, device and account ids) never reach an answer."""
    svc = services()
    ref = svc.reference.get()
    tz = svc.settings.tz
    try:
        name = ref.taxonomy.get(i.category).zh
    except KeyError:
        name = i.category
    dept = ref.departments.get(i.department) if i.department else None

    def iso(at: datetime | None) -> str | None:
        return at.astimezone(tz).isoformat() if at else None

    return {
        "service_request_id": i.code, "status": "closed" if i.state in FINAL_STATES else "open",
        "status_notes": t(f"state.{i.state.value}", "zh"), "service_name": name, "service_code": i.category,
        "description": public_text(i.description), "agency_responsible": dept.zh if dept else None, "service_notice": "",
        "requested_datetime": iso(i.reported_at), "updated_datetime": iso(i.updated_at or i.reported_at),
        "expected_datetime": iso(i.deadline), "address": public_text(i.address), "address_id": None,
        "zipcode": None, "lat": public_point(i.lat), "long": public_point(i.lon),
        "media_url": public_media_url(i.extra.get("media_url")),
    }


@bp.route("/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str) -> Response:
    raise Open311Error(404, f"no such Open311 resource: {rest}")
