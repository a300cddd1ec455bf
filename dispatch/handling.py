"""Who may see and act on an assignment, and the checks on what handlers send (reasons, hours, photos).

Pure on purpose: the workbench's server callbacks, the API and the tests share one policy, and a
handler's rights never depend on what the browser shows. The rule (扁平指挥): a department handler
works on incidents assigned to them, or dispatched to their department without a named assignee; a
grid worker only on their own; a department head sees the whole department. Everything else is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from incidents.access import may_act
from incidents.events import Event
from incidents.model import Actor, Incident, Role

HANDLER_ROLES = frozenset({Role.DEPT_HANDLER, Role.GRID_WORKER, Role.DEPT_HEAD})
MAX_EXTENSION_HOURS = 240.0
#: Accepted photo types by their first bytes (never by the file name a browser sends).
PHOTO_TYPES: dict[str, tuple[bytes, ...]] = {
    "jpg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "webp": (b"RIFF",),
}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class HandlingError(ValueError):
    """A refused request; ``key`` names the catalog message (``handling.error.<key>``)."""

    def __init__(self, key: str, message: str = "") -> None:
        super().__init__(message or key)
        self.key = key


def may_handle(actor: Actor, incident: Incident) -> bool:
    """True when ``actor`` is a handler who may act on ``incident`` (the access policy's ``act`` scope)."""
    return actor.role in HANDLER_ROLES and may_act(actor, incident)


def optional_reason(value: str | None) -> dict[str, str]:
    """``{"reason": …}`` for a payload when the user wrote one (checked as :func:`require_text`), else ``{}``."""
    return {"reason": require_text(value, "reason_required")} if (value or "").strip() else {}


def require_text(value: str | None, key: str, max_len: int = 2000) -> str:
    text = (value or "").strip()
    if not text:
        raise HandlingError(key)
    if len(text) > max_len:
        raise HandlingError("too_long")
    return text


def extension_hours(value: object) -> float:
    """Requested extra working hours: a number in (0, 240]."""
    try:
        hours = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise HandlingError("bad_hours") from None
    if not 0 < hours <= MAX_EXTENSION_HOURS:
        raise HandlingError("bad_hours")
    return hours


def pending_extension(events: Iterable[Event]) -> Event | None:
    """The open extension request of a timeline: the last request not yet approved or refused."""
    pending: Event | None = None
    for e in sorted(events, key=lambda e: e.seq):
        if e.action == "extension_request":
            pending = e
        elif e.action in ("extension_approve", "extension_refuse", "dispatch", "return"):
            pending = None
    return pending


def photo_kind(data: bytes, max_bytes: int) -> str:
    """The photo's type from its magic bytes, refusing other types and oversized files."""
    if len(data) > max_bytes:
        raise HandlingError("photo_too_large")
    for kind, magics in PHOTO_TYPES.items():
        if any(data.startswith(m) for m in magics) and (kind != "webp" or data[8:12] == b"WEBP"):
            return kind
    raise HandlingError("photo_type")


@dataclass(frozen=True)
class Photo:
    """An uploaded photo: the bytes and the name the browser gave (kept only for the display)."""

    filename: str
    data: bytes


__all__ = ["CONTENT_TYPES", "HANDLER_ROLES", "HandlingError", "Photo", "extension_hours", "may_handle",
           "optional_reason", "pending_extension", "photo_kind", "require_text"]
