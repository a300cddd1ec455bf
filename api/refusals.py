"""Refusals the API layer makes itself — malformed JSON, unknown fields, wrong types, a body too large,
Open311's own checks — counted in ``refusals`` like the ones the shared parse makes.

One function, called from the error handlers (``rest``, ``open311``, ``api.install``), so no view has to
remember to count. Only the input endpoints count (an incident create, an alarm batch, an Open311
request), and only refusals of the input itself: 401/403/429 are about the caller, not its data, and an
error whose reason the shared parse (or the channel service) already counted is marked ``counted``.
"""
from __future__ import annotations

from flask import request

from api.access import services
from incidents.intake import IntakeError
from incidents.model import Channel

#: endpoint → the channel its refusals are counted for
INPUT_ENDPOINTS = {"api_v1.create_incident": Channel.API, "api_v1.alarms": Channel.SENSOR,
                   "open311.create_request": Channel.OPEN311}
NOT_INPUT = frozenset({401, 403, 429})
STATUS_CODES = {400: "invalid", 404: "not_found", 413: "too_large", 422: "invalid"}


def count(status: int, field: str | None, code: str | None, *, counted: bool = False) -> None:
    """Count this error response as a refusal of the current request's channel, when it is one."""
    channel = INPUT_ENDPOINTS.get(request.endpoint or "")
    if channel is None or counted or not 400 <= status < 500 or status in NOT_INPUT:
        return
    svc = services()
    recorder = getattr(svc.dispatch, "on_refusal", None)
    if recorder is not None:
        recorder(channel, IntakeError(field or "", code or STATUS_CODES.get(status, "invalid"), ""), svc.clock())


__all__ = ["INPUT_ENDPOINTS", "count"]
