"""Connectors to departments' own systems: their configuration, the messages we send, the signatures,
the retry schedule and how their answers map to our lifecycle actions. Pure (no I/O, no SQLAlchemy), so
each rule is tested in milliseconds; ``dispatch/outbox.py`` does the sending.

Kinds (one per department, ``connectors`` table):

* ``none`` — the department works in our workbench (the default for a department without a row);
* ``webhook`` — we POST a JSON message to ``url``, signed with HMAC-SHA256 of ``timestamp.body`` under the
  department's ``secret`` (headers ``X-CityOps-Timestamp`` and ``X-CityOps-Signature: sha256=<hex>``); its
  ``Idempotency-Key`` header lets the receiver drop repeats (delivery is at least once). A 2xx reply may
  carry ``{"action": "acknowledge"|"return"|"resolve", "note": …, "photos": [urls]}``: we apply it;
* ``open311`` — ``url`` is the department's GeoReport v2 base (``…/open311/v2``); we POST the request
  (``api_key`` = ``secret``), keep its ``service_request_id``, poll ``requests.json`` for updates and map
  each remote status (``status_notes`` first, then ``status``) to one of our actions through
  ``options.status_map`` (default ``{"closed": "resolve"}``). ``options.service_codes`` maps our
  category codes to theirs (default: the same code).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping
from urllib.parse import urlparse

KINDS = ("none", "webhook", "open311")
#: What a department system may do to an incident we sent it (the dept_handler's lifecycle actions).
REMOTE_ACTIONS = ("acknowledge", "return", "resolve")
DEFAULT_STATUS_MAP = {"closed": "resolve"}
SIGNATURE_HEADER = "X-CityOps-Signature"
TIMESTAMP_HEADER = "X-CityOps-Timestamp"
KEY_HEADER = "Idempotency-Key"


class ConnectorError(ValueError):
    """A connector configuration an admin must correct (names the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Connector:
    department: str
    kind: str
    url: str = ""
    secret: str = ""
    enabled: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def connected(self) -> bool:
        return self.enabled and self.kind != "none"

    @property
    def via(self) -> str:
        """What events written on this system's behalf say in ``payload.via``."""
        return f"{self.kind}:{self.department}"

    @property
    def timeout_s(self) -> float:
        return float(self.options.get("timeout_s", 5.0))

    def status_map(self) -> dict[str, str]:
        return dict(self.options.get("status_map") or DEFAULT_STATUS_MAP)

    def service_code(self, category: str) -> str:
        return str((self.options.get("service_codes") or {}).get(category, category))


def validate(c: Connector) -> Connector:
    """Refuse a configuration that could not work, naming the field."""
    if c.kind not in KINDS:
        raise ConnectorError("kind", f"kind must be one of {', '.join(KINDS)}, not {c.kind!r}")
    if c.kind == "none":
        return c
    url = urlparse(c.url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConnectorError("url", "url must be an http(s) address")
    if c.kind == "webhook" and len(c.secret) < 16:
        raise ConnectorError("secret", "a webhook needs a shared secret of at least 16 characters")
    for remote, action in c.status_map().items():
        if action not in REMOTE_ACTIONS:
            raise ConnectorError("options", f"status_map[{remote!r}] must be one of {', '.join(REMOTE_ACTIONS)}")
    return c


# -- messages -----------------------------------------------------------------------------------------


def message_key(code: str, seq: int) -> str:
    """The idempotency key: the incident code and the seq of the event that caused the message — the
    same on every retry and from every process."""
    return f"{code}-{seq}"


def dispatch_message(key: str, incident_view: Mapping[str, Any], action: str, at: datetime) -> dict[str, Any]:
    """The JSON body a webhook receives (and what the outbox row keeps for Open311's form)."""
    return {"key": key, "type": action, "at": at.isoformat(), "incident": dict(incident_view)}


def body_bytes(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, timestamp + "." + body): the timestamp is signed too, so a
    captured message cannot be replayed later with a fresh timestamp."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and our tests' fake department): constant-time comparison."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def webhook_headers(c: Connector, key: str, body: bytes, at: datetime) -> dict[str, str]:
    ts = str(int(at.timestamp()))
    return {"Content-Type": "application/json; charset=utf-8", KEY_HEADER: key, TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(c.secret, ts, body)}


def open311_form(c: Connector, message: Mapping[str, Any]) -> dict[str, str]:
    """The GeoReport v2 ``POST requests`` form for a dispatch message."""
    i = message["incident"]
    form = {"api_key": c.secret, "service_code": c.service_code(i["category"]), "lat": str(i["lat"]),
            "long": str(i["lon"]), "description": f"[{i['code']}] {i.get('description') or ''}".strip(),
            "address_string": i.get("address") or "", "attribute[severity]": i.get("severity") or "normal"}
    if c.options.get("jurisdiction_id"):
        form["jurisdiction_id"] = str(c.options["jurisdiction_id"])
    return form


# -- retries ------------------------------------------------------------------------------------------


def backoff(attempts: int, base_s: float, cap_s: float) -> timedelta:
    """Exponential: base, 2·base, 4·base … capped. ``attempts`` counts the failures so far (≥ 1)."""
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempts - 1)))


# -- answers ------------------------------------------------------------------------------------------


def steps_to(state: str, action: str) -> list[str]:
    """The lifecycle actions that take an incident in ``state`` to where the remote ``action`` says it
    is: a department that reports "resolved" for an incident we still see as dispatched has also
    acknowledged it. Nothing when we are already there or past it (polls repeat; answers are idempotent)."""
    if action == "return":
        return ["return"] if state == "dispatched" else []
    if action == "acknowledge":
        return ["acknowledge"] if state == "dispatched" else []
    if action == "resolve":
        return {"dispatched": ["acknowledge", "resolve"], "in_progress": ["resolve"]}.get(state, [])
    return []


def remote_action(c: Connector, status: str | None, notes: str | None) -> str | None:
    """Our action for an Open311 status: the map's entry for ``status_notes``, else for ``status``."""
    m = c.status_map()
    return m.get((notes or "").strip()) or m.get((status or "").strip())


def reply_action(reply: Any) -> tuple[str, dict[str, Any]] | None:
    """A webhook's reply body → (action, payload) when it asks for one we accept, else ``None``."""
    if not isinstance(reply, dict) or reply.get("action") not in REMOTE_ACTIONS:
        return None
    payload: dict[str, Any] = {}
    if isinstance(reply.get("note"), str) and reply["note"].strip():
        payload["note"] = reply["note"].strip()[:2000]
    photos = reply.get("photos")
    if isinstance(photos, list):
        payload["photos"] = [p for p in photos if isinstance(p, str) and p.startswith(("http://", "https://"))][:20]
    return str(reply["action"]), payload


__all__ = ["Connector", "ConnectorError", "KINDS", "REMOTE_ACTIONS", "backoff", "body_bytes", "dispatch_message",
           "message_key", "open311_form", "remote_action", "reply_action", "sign", "steps_to", "validate", "verify",
           "webhook_headers"]
