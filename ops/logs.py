"""Process logging: one format switch (text or JSON lines), a request id on every line, no secrets.

Why a handler filter and not a logger filter: records of child loggers (``werkzeug``, ``cityops.*``,
``engineio``) propagate to the root's handlers without passing the root logger's filters, so the
masking must sit on the handler to see every line. A full phone number is masked with the same
function the UI uses (``incidents.privacy.mask_phone``), Bearer tokens, ``api_key`` / ``password`` /
``token`` values, Authorization headers and device-login links are replaced by ``[redacted]``.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from incidents.privacy import mask_phone

#: Mainland mobile numbers (optionally +86) and landlines with an area code, not inside longer digit runs
#: (incident codes are 13 digits, ids and timestamps longer: they stay as they are).
PHONE = re.compile(r"(?<![\d*])(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?!\d)")
SECRET = re.compile(r"(?i)(bearer\s+|authorization[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?|"
                    r"(?:api_key|password|token|secret)[\"']?\s*[:=]\s*[\"']?)([^\s&\"',;]+)")


#: A kiosk's one-time device link carries its secret in the path (auth/devices.py), so access logs hold it.
DEVICE_LINK = re.compile(r"(/device/)([^\s/?\"']+)")


def scrub(text: str) -> str:
    """``text`` without full phone numbers or secrets (idempotent)."""
    text = SECRET.sub(lambda m: m.group(1) + "[redacted]", text)
    text = DEVICE_LINK.sub(lambda m: m.group(1) + "[redacted]", text)
    return PHONE.sub(lambda m: mask_phone(m.group(0)), text)


class ScrubFilter(logging.Filter):
    """Rewrites each record's message (arguments merged first) without phones and secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the current request's, or ``-`` outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def current_request_id() -> str:
    try:
        from flask import g, has_request_context

        if has_request_context():
            return str(getattr(g, "request_id", "-"))
    except Exception:  # noqa: BLE001
        pass
    return "-"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_text or record.exc_info:
            out["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(out, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (a replaced or closed stream is never kept)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        import sys

        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(fmt: str = "text", level: int = logging.INFO) -> logging.Handler | None:
    """One stderr handler on the root logger in ``fmt`` (``text`` | ``json``), like ``basicConfig``:
    when another owner (a test runner) has already put handlers there, logging is left to it."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "cityops", False)]:
        root.removeHandler(old)
    if root.handlers:
        return None
    handler = _Stderr()
    handler.cityops = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ScrubFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def install_request_id(server: Any) -> None:
    """Every request gets an id (the proxy's ``X-Request-ID`` when it is sane, else a new one), echoed back."""
    from flask import g, request

    @server.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if 0 < len(given) <= 64 and given.replace("-", "").isalnum() else uuid.uuid4().hex

    @server.after_request
    def _echo(resp: Any) -> Any:
        resp.headers["X-Request-ID"] = getattr(g, "request_id", "")
        return resp


__all__ = ["JsonFormatter", "RequestIdFilter", "ScrubFilter", "configure", "install_request_id", "scrub"]
