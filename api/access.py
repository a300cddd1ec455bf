"""Who is calling the API: a Bearer token (or Open311 ``api_key``), or a logged-in session for reads.

The token is looked up once per request (``request_token``) because the rate limits declared by
``api.install`` key on it before the view runs: requests per token per minute
(``CITYOPS_API_RATE_PER_MIN``) and writes per token, or per client address without a valid token
(``CITYOPS_API_WRITE_RATE``). They count in Redis when configured (``auth.ratelimit``), so every process
behind the balancer shares them.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_limiter import RateLimitExceeded
from flask_login import current_user

from api.errors import ApiError, forbidden, unauthorized
from auth.ratelimit import retry_after
from auth.tokens import Token, TokenChecker
from incidents.model import Actor, Role

#: Roles whose tokens may create incidents and send alarms.
WRITERS = frozenset({Role.OPERATOR, Role.ADMIN, Role.GRID_WORKER})


def services() -> Any:
    return current_app.extensions["cityops"]


def checker() -> TokenChecker:
    return current_app.extensions["cityops_tokens"]


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def request_token() -> Token | None:
    """The valid token this request carries — Bearer, or Open311's ``api_key`` — or None; looked up once."""
    if "cityops_token" not in g:
        secret = request.values.get("api_key") if request.blueprint == "open311" else bearer()
        g.cityops_token = checker().check(secret) if secret else None
    return g.cityops_token


def rate_key() -> str:
    """Whom a write is counted against: its token, or its address when it carries no valid token (so
    guessing tokens or posting anonymously is limited too)."""
    token = request_token()
    return f"token:{token.name}" if token is not None else f"ip:{request.remote_addr or '-'}"


def without_token() -> bool:
    return request_token() is None


def with_token() -> bool:
    return request_token() is not None


def rate_limited(exc: RateLimitExceeded) -> tuple[str, int]:
    """The 429's message (which limit, counted against whom) and its ``Retry-After`` in seconds."""
    whom = "this token" if request_token() is not None else "this address without a valid token"
    wait = retry_after(current_app)
    return f"more than {exc.description} for {whom}; retry after {wait} s", wait


def token_from(secret: str | None) -> Token:
    token = request_token() if secret else None
    if token is None:
        raise unauthorized()
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
    """A token, or a logged-in user, may read: what the access policy (``incidents.access``) lets the actor see."""
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
