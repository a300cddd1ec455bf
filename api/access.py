"""Who is calling the API: a Bearer token (or Open311 ``api_key``), or a logged-in session for reads.

Rate limits are per token and per minute (``CITYOPS_API_RATE_PER_MIN``, 0 = none), counted in this
process: with several processes the effective limit is that many times higher — documented, and good
enough to stop a runaway client without a shared counter.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app, request
from flask_login import current_user

from api.errors import ApiError, forbidden, unauthorized
from auth.tokens import Token, TokenChecker
from incidents.model import Actor, Role

#: Roles whose tokens may create incidents and send alarms.
WRITERS = frozenset({Role.OPERATOR, Role.ADMIN, Role.GRID_WORKER})


def services() -> Any:
    return current_app.extensions["cityops"]


def checker() -> TokenChecker:
    return current_app.extensions["cityops_tokens"]


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, name: str) -> None:
        if self.per_minute <= 0:
            return
        minute = int(time.monotonic() // 60)
        with self._lock:
            window, count = self._windows.get(name, (minute, 0))
            count = count + 1 if window == minute else 1
            self._windows[name] = (minute, count)
        if count > self.per_minute:
            raise ApiError(429, "rate_limited", f"more than {self.per_minute} requests a minute for this token",
                           "Authorization")


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def token_from(secret: str | None) -> Token:
    token = checker().check(secret)
    if token is None:
        raise unauthorized()
    current_app.extensions["cityops_rate"].hit(token.name)
    return token


def writer() -> Actor:
    """The actor behind a write: a Bearer token is required (a session cookie alone could be forged
    cross-site by a form post; tokens cannot)."""
    return token_from(bearer()).actor


def creator() -> Actor:
    actor = writer()
    if actor.role not in WRITERS:
        raise forbidden("create incidents")
    return actor


def reader() -> Actor:
    """A token, or a logged-in user, may read."""
    secret = bearer()
    if secret:
        return token_from(secret).actor
    if getattr(current_user, "is_authenticated", False):
        return current_user.actor
    raise unauthorized()


def body_limit() -> None:
    limit = services().settings.api_max_body
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"the body is larger than {limit} bytes", None)
