"""Machine intake edges: the JSON API (``rest``), Open311 GeoReport v2 (``open311``), their tokens.

``install`` registers both blueprints on the Flask server, the token checker and rate limiter, JSON
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
    from api.access import RateLimiter
    from api.errors import ApiError
    from auth.tokens import TokenChecker

    server.extensions["cityops_tokens"] = TokenChecker(services.settings.api_tokens, services.db.read)
    server.extensions["cityops_rate"] = RateLimiter(services.settings.api_rate_per_min)
    server.register_blueprint(rest.bp)
    server.register_blueprint(docs.bp)
    server.register_blueprint(open311.bp)
    server.wsgi_app = _MergeSlashes(server.wsgi_app)

    def _http_error(exc: HTTPException) -> Any:
        refusals.count(exc.code or 500, None, "too_large" if exc.code == 413 else None)
        if request.path.startswith("/api/"):
            return ApiError(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "",
                            None).response()
        if request.path.startswith("/open311/"):
            return open311.error_response(exc.code or 500, exc.description or exc.name or "error")
        return exc

    for status in (404, 405, 413):
        server.register_error_handler(status, _http_error)
