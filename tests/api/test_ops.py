"""Operations: readiness, Prometheus metrics, request ids, JSON logs without phones or secrets, the
secret-key rule, attachment retention."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from channels_helpers import OPERATOR_SECRET, api_app, bearer, client  # noqa: F401
from factories import WATER_COVER, report
from ops.backup import purge_uploads
from ops.logs import JsonFormatter, RequestIdFilter, ScrubFilter, scrub

ROOT = Path(__file__).resolve().parents[2]


def test_readyz_answers_200_when_the_store_answers(client):
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json() == {"status": "ready", "checks": {"store": "ok"}}


def test_readyz_answers_503_when_redis_is_unreachable(api_app, client):
    api_app.services.settings.redis_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    r = client.get("/readyz")
    body = r.get_json()
    assert r.status_code == 503 and body["status"] == "unavailable"
    assert body["checks"]["store"] == "ok" and "ConnectionError" in body["checks"]["redis"]


def test_readyz_answers_503_when_the_store_is_gone(api_app, client, monkeypatch):
    def broken() -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(api_app.services.db, "read", broken)
    assert client.get("/readyz").status_code == 503


def test_metrics_expose_states_intake_latencies_sockets_and_lag(client):
    assert client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).status_code == 201
    assert client.post("/api/v1/incidents", json=report(WATER_COVER, east_m=300.0), headers=bearer()).status_code == 201
    client.application.extensions["cityops"].broadcaster.flush()
    r = client.get("/metrics")
    assert r.status_code == 200 and r.content_type.startswith("text/plain; version=0.0.4")
    text = r.get_data(as_text=True)
    assert 'cityops_incidents{state="dispatched"} 2.0' in text
    assert 'cityops_intake_total{channel="api"} 2.0' in text
    assert "cityops_dispatch_latency_seconds_count 2.0" in text
    assert "cityops_push_latency_seconds_count 1.0" in text
    assert "cityops_scheduler_lag_seconds 0.0" in text
    assert "# TYPE cityops_socket_clients gauge" in text


def test_every_response_carries_a_request_id_and_keeps_a_sane_one_from_the_proxy(client):
    fresh = client.get("/healthz").headers["X-Request-ID"]
    assert len(fresh) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "lb-42"}).headers["X-Request-ID"] == "lb-42"
    assert len(client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]) == 32


def test_scrub_masks_phones_and_redacts_secrets_but_keeps_incident_codes():
    line = ("POST /api/v1/incidents?reporter_phone=13812341234 Authorization: Bearer op-secret-123456 "
            "api_key=abc123 code 2026031000001 tel 0434-3281234")
    out = scrub(line)
    assert "13812341234" not in out and "138****1234" in out
    assert "op-secret-123456" not in out and "abc123" not in out and out.count("[redacted]") == 2
    assert "2026031000001" in out and "3281234" not in out
    assert scrub(out) == out
    kiosk = scrub('127.0.0.1 - - "GET /device/Zk3_x-9qLm HTTP/1.1" 302 -')
    assert "Zk3_x-9qLm" not in kiosk and "/device/[redacted] HTTP/1.1" in kiosk


def test_json_logs_carry_the_request_id_and_no_phone(api_app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ScrubFilter())
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("cityops.test_ops")
    log.addHandler(handler)
    try:
        with api_app.server.test_request_context("/x", headers={"X-Request-ID": "req-1"}):
            api_app.server.preprocess_request()
            log.warning("caller %s said %s", "+86 139-0000-1111".replace("-", ""), "Bearer tok-1")
    finally:
        log.removeHandler(handler)
    record = json.loads(stream.getvalue())
    assert record["request_id"] == "req-1" and record["level"] == "WARNING"
    assert "13900001111" not in record["message"] and "139****1111" in record["message"]
    assert "tok-1" not in record["message"]


def test_outside_the_demo_the_app_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CITYOPS_SECRET_KEY"}
    env.update(CITYOPS_DEMO="0", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    r = subprocess.run([sys.executable, "app.py", "--port", "1"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1 and "CITYOPS_SECRET_KEY" in r.stderr
    assert not (tmp_path / "x.db").exists()  # refused before touching anything


def test_purge_uploads_removes_only_attachments_older_than_the_retention(tmp_path):
    old, new = tmp_path / "2026010100001" / "a.jpg", tmp_path / "2026031000001" / "b.jpg"
    for p in (old, new):
        p.parent.mkdir()
        p.write_bytes(b"\xff\xd8\xff")
    now = time.time()
    os.utime(old, (now - 40 * 86400, now - 40 * 86400))
    assert purge_uploads(tmp_path, 0, now) == []
    assert purge_uploads(tmp_path, 30, now) == [old]
    assert new.exists() and not old.parent.exists()


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookies_are_httponly_samesite_and_secure_behind_tls(settings_factory, clock, secure):
    import app as cityops_app
    from webapp import PASSWORD, _hash, post_login
    from incidents.records import UserRow

    web = cityops_app.create_app(settings_factory(secure_cookies=secure), clock, background=False)
    with web.services.db.write.begin() as s:
        s.add(UserRow(username="operator", password_hash=_hash(), role="operator", display_name="op"))
    r = post_login(web.server.test_client(), {"username": "operator", "password": PASSWORD})
    cookies = [c for c in r.headers.getlist("Set-Cookie") if c.startswith(("session=", "remember_token="))]
    assert len(cookies) == 2
    for c in cookies:
        assert "HttpOnly" in c and "SameSite=Lax" in c and (("Secure" in c) == secure)
    web.services.db.dispose()
