"""The OpenAPI 3.1 document of ``/api/v1``, built from the same field tables the views check.

Generated rather than hand-written YAML so that a field added to ``rest.CREATE_FIELDS`` cannot be
missing here; ``tests/api/test_rest_openapi.py`` checks that every route the server has is documented
and that answers validate against the schemas.
"""
from __future__ import annotations

from typing import Any

from api.actions import MAX_TEXT, MAX_URLS, PAYLOAD_KEYS
from api.rest import ACTION_FIELDS, CONSULTATION_FIELDS, CREATE_FIELDS, MAX_PAGE
from incidents.events import EVENT_ACTIONS
from incidents.model import Severity, State

_JSON = "application/json"


def _type(kinds: tuple[type, ...]) -> dict[str, Any]:
    if kinds[0] in (int, float):
        return {"type": "integer"} if kinds == (int,) else {"type": "number"}
    return {"type": "object"} if kinds[0] is dict else {"type": "string"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _resp(description: str, schema: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema:
        out["content"] = {_JSON: {"schema": _ref(schema)}}
    return out


_ERRORS = {s: _resp(d, "Error") for s, d in (
    ("400", "malformed request"), ("401", "no valid token or session"), ("403", "role not allowed"),
    ("413", "body too large"), ("422", "a field is refused (named in `field`)"), ("429", "rate limited"))}
_NULLABLE_STR = {"type": ["string", "null"]}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _incident_schema() -> dict[str, Any]:
    props: dict[str, Any] = {
        "code": {"type": "string", "pattern": "^[0-9]{13}$"}, "state": {"enum": [s.value for s in State]},
        "category": {"type": "string"}, "severity": {"enum": [s.value for s in Severity]},
        "lon": {"type": "number"}, "lat": {"type": "number"}, "grid": {"type": "string"},
        "district": {"type": "integer"}, "department": _NULLABLE_STR, "assignee": _NULLABLE_STR,
        "deadline": _NULLABLE_TIME, "overdue": {"type": "boolean"}, "version": {"type": "integer"},
        "description": {"type": "string"}, "address": {"type": "string"},
        "reported_at": {"type": "string", "format": "date-time"}, "channel": {"type": "string"},
    }
    return {"type": "object", "required": list(props), "properties": props}


def document() -> dict[str, Any]:
    create_props = {k: _type(v) for k, v in CREATE_FIELDS.items()}
    create_props["crs"] = {"enum": ["wgs84", "gcj02"], "default": "wgs84"}
    create_props["severity"] = {"enum": [s.value for s in Severity], "default": "normal"}
    create_props["description"] = {"type": "string", "maxLength": 4000}
    action_props = {k: _type(v) for k, v in ACTION_FIELDS.items()}
    action_props["action"] = {"enum": sorted(EVENT_ACTIONS - {"created"})}
    kinds = {"text": {"type": "string", "maxLength": MAX_TEXT}, "number": {"type": "number"},
             "urls": {"type": "array", "maxItems": MAX_URLS, "items": {"type": "string", "format": "uri"}}}
    action_props["payload"] = {"type": "object", "additionalProperties": False,
                               "properties": {k: kinds[v] for k, v in PAYLOAD_KEYS.items()},
                               "description": "hours: an extension's working hours; reason/note: the text a return, "
                                              "refusal or extension needs; photo_urls: the system's own http(s) links"}
    action_props["note"] = {"type": "string", "maxLength": MAX_TEXT}
    code_param = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
    query = [
        {"name": n, "in": "query", "required": False, "schema": s, "description": d} for n, s, d in (
            ("status", {"type": "string"}, "comma-separated states"),
            ("category", {"type": "string"}, "comma-separated category codes"),
            ("district", {"type": "integer"}, "6-digit division code"),
            ("grid", {"type": "string"}, "unit grid code"),
            ("department", {"type": "string"}, "department code"),
            ("since", {"type": "string", "format": "date-time"}, "reported at or after"),
            ("until", {"type": "string", "format": "date-time"}, "reported before (exclusive)"),
            ("overdue", {"enum": ["true", "false"]}, "computed from the deadline now"),
            ("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50}, "page size"),
            ("cursor", {"type": "string"}, "next_cursor of the previous page"),
        )
    ]
    secured = [{"bearer": []}, {"session": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "CityOps 一网统管 API", "version": "1.0.0",
                 "description": "Machine intake and incident API. Writes need `Authorization: Bearer <token>`; "
                                "reads accept a token or a logged-in session. Errors are `{code, message, field}`. "
                                "Rate limits are per token (writes: per token, or per address without one), "
                                "shared by every process through Redis (429 with Retry-After)."},
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/incidents": {
                "post": {"operationId": "createIncident", "security": [{"bearer": []}],
                         "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                         "schema": {"type": "string", "maxLength": 128},
                                         "description": "a retry with the same key returns the first result"}],
                         "requestBody": {"required": True, "content": {_JSON: {"schema": {
                             "type": "object", "additionalProperties": False,
                             "required": ["category", "description", "lon", "lat"], "properties": create_props}}}},
                         "responses": {"201": _resp("created", "Created"),
                                       "200": _resp("replayed for an Idempotency-Key", "Created"), **_ERRORS}},
                "get": {"operationId": "listIncidents", "security": secured, "parameters": query,
                        "responses": {"200": _resp("one page, newest first", "Page"), **_ERRORS}},
            },
            "/api/v1/incidents/{code}": {
                "get": {"operationId": "getIncident", "security": secured, "parameters": [code_param],
                        "responses": {"200": _resp("the incident", "Incident"), "404": _resp("unknown", "Error"),
                                      **_ERRORS}},
            },
            "/api/v1/incidents/{code}/actions": {
                "post": {"operationId": "actOnIncident", "security": [{"bearer": []}], "parameters": [code_param],
                         "requestBody": {"required": True, "content": {_JSON: {"schema": {
                             "type": "object", "additionalProperties": False, "required": ["action", "version"],
                             "properties": action_props}}}},
                         "responses": {"200": _resp("the incident after the action", "Incident"),
                                       "404": _resp("unknown", "Error"),
                                       "409": _resp("stale version (fresh incident in `incident`) or state",
                                                    "Conflict"), **_ERRORS}},
            },
            "/api/v1/incidents/{code}/events": {
                "get": {"operationId": "timeline", "security": secured, "parameters": [code_param],
                        "responses": {"200": _resp("the event timeline", "Timeline"),
                                      "404": _resp("unknown", "Error"), **_ERRORS}},
            },
            "/api/v1/kpis": {
                "get": {"operationId": "kpis", "security": secured,
                        "responses": {"200": _resp("the KPI snapshot", "Kpis"), **_ERRORS}},
            },
            "/api/v1/alarms": {
                "post": {"operationId": "alarms", "security": [{"bearer": []}],
                         "requestBody": {"required": True, "content": {_JSON: {"schema": {"oneOf": [
                             {"type": "array", "items": _ref("Alarm")},
                             {"type": "object", "properties": {"alarms": {"type": "array", "items": _ref("Alarm")}}},
                         ]}}}},
                         "responses": {"200": _resp("every alarm taken", "AlarmResults"),
                                       "207": _resp("some alarms refused", "AlarmResults"),
                                       "422": _resp("every alarm refused", "AlarmResults"),
                                       **{k: v for k, v in _ERRORS.items() if k != "422"}}},
            },
            "/api/v1/consultations": {
                "post": {"operationId": "answerConsultation", "security": [{"bearer": []}],
                         "description": "A question answered on the call (咨询, 即时办结): recorded and closed at once, "
                                        "counted apart from incidents. Operator (or system) tokens only.",
                         "requestBody": {"required": True, "content": {_JSON: {"schema": {
                             "type": "object", "additionalProperties": False, "required": ["question", "answer"],
                             "properties": {**{k: _type(v) for k, v in CONSULTATION_FIELDS.items()},
                                            "question": {"type": "string", "maxLength": 4000},
                                            "answer": {"type": "string", "maxLength": 4000}}}}}},
                         "responses": {"201": _resp("recorded and closed", "Consultation"), **_ERRORS}},
            },
            "/api/v1/openapi.json": {"get": {"operationId": "openapi", "security": [],
                                             "responses": {"200": {"description": "this document"}}}},
            "/api/v1/docs": {"get": {"operationId": "docs", "security": [],
                                     "responses": {"200": {"description": "HTML reference"}}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message", "field"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}, "field": _NULLABLE_STR}},
                "Incident": _incident_schema(),
                "Created": {"allOf": [_ref("Incident"), {"type": "object", "required": ["waiting", "duplicates"],
                            "properties": {"waiting": {"enum": [None, "duplicate", "ambiguous"]},
                                           "duplicates": {"type": "array", "items": {"type": "string"}}}}]},
                "Conflict": {"allOf": [_ref("Error"), {"type": "object", "required": ["incident"],
                                                      "properties": {"incident": _ref("Incident")}}]},
                "Page": {"type": "object", "required": ["items", "next_cursor"], "properties": {
                    "items": {"type": "array", "items": _ref("Incident")}, "next_cursor": _NULLABLE_STR}},
                "Timeline": {"type": "object", "required": ["items"], "properties": {"items": {
                    "type": "array", "items": {"type": "object", "required": ["seq", "at", "actor", "action", "to_state",
                                                                              "version", "payload"], "properties": {
                        "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                        "actor": {"type": "string"}, "action": {"enum": sorted(EVENT_ACTIONS)},
                        "from_state": _NULLABLE_STR, "to_state": {"type": "string"},
                        "department": _NULLABLE_STR, "assignee": _NULLABLE_STR, "deadline": _NULLABLE_TIME,
                        "version": {"type": "integer"}, "payload": {"type": "object"}}}}}},
                "Kpis": {"type": "object", "required": ["intake_today", "open", "overdue", "closed_today", "ontime_rate"],
                         "properties": {"intake_today": {"type": "integer"}, "open": {"type": "integer"},
                                        "overdue": {"type": "integer"}, "closed_today": {"type": "integer"},
                                        "ontime_rate": {"type": ["number", "null"]}}},
                "Consultation": {"type": "object", "required": ["code", "channel", "category", "question", "answer",
                                                                "closed_at"], "properties": {
                    "code": {"type": "string", "pattern": "^ZX[0-9]{14,}$"}, "channel": {"type": "string"},
                    "category": _NULLABLE_STR, "question": {"type": "string"}, "answer": {"type": "string"},
                    "closed_at": {"type": "string", "format": "date-time"}}},
                "Alarm": {"type": "object", "required": ["device_id", "type", "level"], "properties": {
                    "device_id": {"type": "string", "maxLength": 64}, "type": {"type": "string"},
                    "level": {"enum": ["warning", "major", "critical", "clear"]},
                    "lon": {"type": "number"}, "lat": {"type": "number"}, "crs": {"enum": ["wgs84", "gcj02"]},
                    "at": {"type": "string", "format": "date-time"}, "description": {"type": "string"}}},
                "AlarmResults": {"type": "object", "required": ["results"], "properties": {"results": {
                    "type": "array", "items": {"type": "object", "required": ["index", "result", "code"], "properties": {
                        "index": {"type": "integer"},
                        "result": {"enum": ["created", "repeated", "cleared", "ignored", "error"]},
                        "code": _NULLABLE_STR, "error": _ref("Error")}}}}},
            },
        },
    }
