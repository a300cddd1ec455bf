"""Readiness and metrics endpoints for the load balancer and Prometheus.

``/healthz`` (in app.py) says the process lives; ``/readyz`` says it can serve: the store answers and,
when ``REDIS_URL`` is set, Redis answers too (without Redis a process would take sockets whose walls
never hear of other processes' events). A failing check answers 503 so the balancer takes the process
out of rotation. Both are public, like ``/healthz``; ``deploy/nginx.conf`` keeps ``/metrics`` internal.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify
from sqlalchemy import text

from ops.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("cityops.ops")


def check_store(services: Any) -> str | None:
    """``None`` when the store answers a query, else the reason."""
    try:
        with services.db.read() as s:
            s.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]


def check_redis(url: str | None) -> str | None:
    if not url:
        return None
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"[:200]


def install(server: Any, services: Any) -> Metrics:
    metrics = Metrics(services)
    server.extensions["cityops_metrics"] = metrics

    @server.route("/readyz")
    def readyz() -> Any:
        checks = {"store": check_store(services), "redis": check_redis(services.settings.redis_url)}
        ready = all(v is None for v in checks.values())
        if not ready:
            log.warning("not ready: %s", {k: v for k, v in checks.items() if v})
        body = {"status": "ready" if ready else "unavailable",
                "checks": {k: ("ok" if v is None else v) for k, v in checks.items()
                           if k != "redis" or services.settings.redis_url}}
        return jsonify(body), (200 if ready else 503)

    @server.route("/metrics")
    def metrics_view() -> Response:
        return Response(metrics.exposition(), mimetype=None, content_type=CONTENT_TYPE)

    return metrics


__all__ = ["check_redis", "check_store", "install"]
