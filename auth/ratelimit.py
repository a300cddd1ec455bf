"""Request rate limits shared by every process: one Flask-Limiter ``Limiter`` per app, counting in Redis
(``REDIS_URL``) or, without it, in this process.

Why Redis: behind a load balancer each process sees only its share of a client's requests; a per-process
counter lets N processes accept N times the limit. Keys carry ``CITYOPS_RATE_KEY_PREFIX`` so deployments
(and test runs) sharing a Redis never count into each other. Moving windows: the N+1th request within any
60 s is refused, with no burst of 2N across a minute boundary.

Redis down fails open: Flask-Limiter logs a warning and counts in this process's memory until the storage
answers again (``in_memory_fallback_enabled``); an error inside the limiter never fails the request
(``swallow_errors``). Logins and intake must keep working when the message queue is down.

This module owns the limiter and the login limit (POSTs to ``/login`` per client address; the failed-login
throttle in ``auth.throttle`` is a different rule, per address *and* username). The API's limits are
declared on its blueprints by ``api.install`` with this limiter.
"""
from __future__ import annotations

import math
import time
from typing import Any

from flask import Flask, request
from flask_limiter import Limiter, RequestLimit
from limits import parse_many

EXTENSION = "cityops_limiter"


class RateSettingError(SystemExit):
    """A rate setting that does not parse; the message names the setting (start-up refuses it)."""


def client_address() -> str:
    """The caller's address as Werkzeug sees it (after ``ProxyFix`` when ``CITYOPS_PROXY_FIX`` is set)."""
    return request.remote_addr or "-"


def checked_rate(value: str | None, setting: str) -> str:
    """``value`` if it is a valid limit string such as ``30/minute`` ("" = no limit), else refuse to start."""
    value = (value or "").strip()
    if value:
        try:
            parse_many(value)
        except ValueError:
            raise RateSettingError(f"{setting}={value!r} is not a rate such as '30/minute' or "
                                   "'10/second;300/hour'") from None
    return value


def make_limiter(server: Flask, settings: Any) -> Limiter:
    """The app's limiter on Redis when configured, else memory; stored as ``server.extensions[EXTENSION]``."""
    redis_url = settings.redis_url
    limiter = Limiter(
        key_func=client_address, app=server, default_limits=[], headers_enabled=False,
        storage_uri=redis_url or "memory://",
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {},
        strategy="moving-window", key_prefix=settings.rate_key_prefix,
        in_memory_fallback_enabled=True, swallow_errors=True,
    )
    server.extensions[EXTENSION] = limiter
    return limiter


def limit_login(server: Flask, limiter: Limiter, rate: str) -> None:
    """Count POSTs to ``/login`` per client address (the form's 429 page is ``auth.login``'s handler)."""
    if rate:
        server.view_functions["login"] = limiter.shared_limit(
            rate, scope="login", key_func=client_address, methods=["POST"])(server.view_functions["login"])


def retry_after(server: Flask) -> int:
    """Whole seconds until the breached limit of this request lets one more through (at least 1)."""
    limiter: Limiter | None = server.extensions.get(EXTENSION)
    current: RequestLimit | None = limiter.current_limit if limiter is not None else None
    if current is None:
        return 60
    try:
        reset_at = current.limiter.get_window_stats(current.limit, *current.request_args).reset_time
    except Exception:  # noqa: BLE001 - the storage went away between the hit and this read
        return int(current.limit.get_expiry())
    return max(1, math.ceil(reset_at - time.time()))


__all__ = ["EXTENSION", "RateSettingError", "checked_rate", "client_address", "limit_login", "make_limiter",
           "retry_after"]
