"""API errors as values: JSON ``{code, message, field}`` with the right 4xx (DESIGN.md rule 6)."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from incidents.intake import IntakeError
from incidents.lifecycle import TransitionError


class ApiError(Exception):
    #: True when the refusal behind this error was already counted (by the shared parse or the channel)
    counted = False

    def __init__(self, status: int, code: str, message: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = status, code, message, field, extra

    def response(self) -> Response:
        resp = jsonify(code=self.code, message=self.message, field=self.field, **self.extra)
        resp.status_code = self.status
        return resp


def from_intake(exc: IntakeError) -> ApiError:
    """A refused field: 422 Unprocessable Content, naming the field. The channel service counted it."""
    err = ApiError(422, exc.code, exc.message, exc.field)
    err.counted = True
    return err


def from_transition(exc: TransitionError) -> ApiError:
    if exc.reason == "role":
        return ApiError(403, "forbidden", str(exc), "action")
    if exc.reason == "unknown_action":
        return ApiError(400, "unknown_action", str(exc), "action")
    return ApiError(409, "invalid_state", str(exc), "action")


def unauthorized() -> ApiError:
    return ApiError(401, "unauthenticated", "send Authorization: Bearer <token>", "Authorization")


def forbidden(what: str) -> ApiError:
    return ApiError(403, "forbidden", f"this token's role may not {what}", "Authorization")
