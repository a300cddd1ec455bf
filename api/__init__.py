"""Machine intake edges: the JSON API (``rest``), Open311 GeoReport v2 (``open311``), their tokens.

``install`` registers both blueprints on the Flask server, the token checker and rate limits, JSON
404/405 answers under ``/api/``, and a WSGI shim that merges doubled slashes (real Open311 clients
build ``//requests.json``), so such paths reach the view instead of a redirect a POST would not follow.
"""
from __future__ import annotations

import re
from typing import Any

_SLASHES = re.compile(r"/{2,}")


class _MergeSlashes:
    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            merged = _SLASHES.sub("/", path)
            if merged.startswith(("/open311/", "/api/")):
                environ["PATH_INFO"] = merged
        return self.app(environ, start_response)


def install(server: Any, services: Any) -> None:
    from flask import request
    from werkzeug.exceptions import HTTPException

    from api import docs, open311, refusals, rest
    from api.errors import ApiError
    from auth.tokens import TokenChecker

    server.extensions["cityops_tokens"] = TokenChecker(services.settings.api_tokens, services.db.read)
    declare_limits(server, services.settings)
    server.register_blueprint(rest.bp)
    server.register_blueprint(docs.bp)
    server.register_blueprint(open311.bp)
    server.wsgi_app = _MergeSlashes(server.wsgi_app)

    def _http_error(exc: HTTPException) -> Any:
        refusals.count(exc.code or 500, None, "too_large" if exc.code == 413 else None)
        if exc.code == 413 and request.path.startswith(("/api/", "/open311/")):  # also chunked bodies (ops.body_limit)
            limit = services.settings.api_max_body
            if request.path.startswith("/api/"):
                return ApiError(413, "too_large", f"the body is larger than {limit} bytes", None).response()
            return open311.error_response(413, f"the body is larger than {limit} bytes")
        if request.path.startswith("/api/"):
            return ApiError(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "",
                            None).response()
        if request.path.startswith("/open311/"):
            return open311.error_response(exc.code or 500, exc.description or exc.name or "error")
        return exc

    for status in (404, 405, 413):
        server.register_error_handler(status, _http_error)


#: Methods counted as writes by ``CITYOPS_API_WRITE_RATE`` (reads are not counted against writes).
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def declare_limits(server: Any, settings: Any) -> None:
    """The API's limits on the app's shared limiter (``auth.ratelimit``), one counter per scope across
    ``/api/v1`` and Open311: requests per token (``CITYOPS_API_RATE_PER_MIN``), and writes per token or,
    without a valid token, per address (``CITYOPS_API_WRITE_RATE``). Each blueprint answers its own 429."""
    from api import open311, rest
    from api.access import rate_key, with_token, without_token
    from auth.ratelimit import EXTENSION, checked_rate

    limiter = server.extensions.get(EXTENSION)
    if limiter is None:
        return
    write = checked_rate(settings.api_write_rate, "CITYOPS_API_WRITE_RATE")
    anonymous_reads = checked_rate(settings.open311_read_rate, "CITYOPS_OPEN311_READ_RATE")
    if anonymous_reads:  # keyed by address; a request with a valid key is counted per token above instead
        limiter.shared_limit(anonymous_reads, scope="open311-read", key_func=rate_key, methods=["GET"],
                             exempt_when=with_token)(open311.bp)
    for bp in (rest.bp, open311.bp):
        if settings.api_rate_per_min > 0:
            limiter.shared_limit(f"{settings.api_rate_per_min}/minute", scope="api-token", key_func=rate_key,
                                 exempt_when=without_token)(bp)
        if write:
            limiter.shared_limit(write, scope="api-write", key_func=rate_key, methods=WRITE_METHODS)(bp)
