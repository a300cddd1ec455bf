"""Shared rate limits (auth/ratelimit.py, api.declare_limits): API writes per token or per address, login
posts per address, answered 429 with ``Retry-After``; counted in Redis across processes when configured."""
from __future__ import annotations

import logging
import os
from typing import Any, Iterator

import pytest

import app as cityops_app
from auth.ratelimit import RateSettingError
from channels_helpers import TOKENS, WALL_SECRET, bearer
from factories import WATER_COVER, report
from webapp import PASSWORD, post_login


def _make(settings_factory: Any, clock: Any, **overrides: Any) -> Any:
    return cityops_app.create_app(settings_factory(api_tokens=TOKENS, **overrides), clock, background=False)


@pytest.fixture
def limited(settings_factory: Any, clock: Any) -> Iterator[Any]:
    """Three writes a minute, three login posts a minute; requests in general unlimited."""
    web = _make(settings_factory, clock, api_write_rate="3/minute", login_rate="3/minute")
    yield web
    web.services.db.dispose()


def _retry_after(r: Any) -> int:
    value = int(r.headers["Retry-After"])
    assert 1 <= value <= 60, value
    return value


def test_the_fourth_write_in_a_minute_is_refused_with_retry_after(limited):
    client = limited.server.test_client()
    statuses = [client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).status_code
                for _ in range(3)]
    assert statuses == [201, 201, 201]
    r = client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer())
    body = r.get_json()
    assert r.status_code == 429 and set(body) >= {"code", "message", "field"}
    assert body["code"] == "rate_limited" and body["field"] == "Authorization"
    assert "3 per 1 minute" in body["message"] and "this token" in body["message"]
    _retry_after(r)
    # alarms and actions are writes of the same token: the same counter
    assert client.post("/api/v1/alarms", json={"alarms": []}, headers=bearer()).status_code == 429


def test_reads_are_not_counted_against_writes(limited):
    client = limited.server.test_client()
    for _ in range(10):
        assert client.get("/api/v1/kpis", headers=bearer()).status_code == 200
    assert [client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).status_code
            for _ in range(3)] == [201, 201, 201]
    assert client.get("/api/v1/incidents", headers=bearer()).status_code == 200  # reads still answer


def test_each_token_has_its_own_write_count(limited):
    client = limited.server.test_client()
    for _ in range(3):
        client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer())
    assert client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).status_code == 429
    # the wall token is not rate limited by the feeder's writes: it is refused for its role, not its rate
    assert client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer(WALL_SECRET)).status_code == 403


def test_writes_without_a_valid_token_are_limited_per_address(limited):
    client = limited.server.test_client()
    guesses = [client.post("/api/v1/incidents", json=report(), headers=bearer(f"guess-{i:08d}")).status_code
               for i in range(3)]
    assert guesses == [401, 401, 401]
    r = client.post("/api/v1/incidents", json=report(), headers=bearer("guess-99999999"))
    assert r.status_code == 429 and r.get_json()["field"] == "Authorization"
    assert "without a valid token" in r.get_json()["message"]
    _retry_after(r)
    # an Open311 post without api_key from the same address shares that count: its own error format
    r = client.post("/open311/v2/requests.json", data={"service_code": WATER_COVER, "lat": "43.17", "long": "124.35"})
    assert r.status_code == 429 and r.get_json()[0]["code"] == 429
    assert "Authorization" in r.get_json()[0]["description"]
    _retry_after(r)
    # another address, and a valid token from this one, are not affected
    assert client.post("/api/v1/incidents", json=report(), headers=bearer("guess-x1234567"),
                       environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 401
    assert client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).status_code == 201


def test_open311_posts_count_against_the_tokens_writes(limited):
    client = limited.server.test_client()
    form = {"service_code": WATER_COVER, "lat": str(report()["lat"]), "long": str(report()["lon"]),
            "api_key": "op-secret-123456"}
    assert [client.post("/open311/v2/requests.json", data=form).status_code for _ in range(2)] == [200, 200]
    assert client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).status_code == 201
    r = client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 429 and "this token" in r.get_json()[0]["description"]


def test_anonymous_open311_reads_are_limited_per_address_and_a_key_is_not(settings_factory, clock):
    """Public Open311 reads need no key; without one they count per address, so codes cannot be swept."""
    web = _make(settings_factory, clock, open311_read_rate="3/minute")
    client = web.server.test_client()
    url = "/open311/v2/requests/2026031000001.json"
    assert [client.get(url).status_code for _ in range(3)] == [404, 404, 404]
    r = client.get(url)
    assert r.status_code == 429 and "this address" in r.get_json()[0]["description"] and _retry_after(r) > 0
    assert client.get(url, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 404  # another address
    assert client.get(url + "?api_key=op-secret-123456").status_code == 404  # a key counts as its token's
    web.services.db.dispose()


def test_requests_per_token_per_minute_still_count_reads(settings_factory, clock):
    """``CITYOPS_API_RATE_PER_MIN`` is every request of a token (reads too); a session read is not a token's."""
    web = _make(settings_factory, clock, api_rate_per_min=2)
    client = web.server.test_client()
    assert [client.get("/api/v1/kpis", headers=bearer()).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/v1/kpis", headers=bearer(WALL_SECRET)).status_code == 200
    web.services.db.dispose()


def test_login_posts_are_limited_per_address_with_the_form_page(limited):
    client = limited.server.test_client()
    for user in ("operator", "verifier", "nobody"):  # three different names: the failed-login throttle is per name
        assert post_login(client, {"username": user, "password": "wrong"}).status_code == 401
    r = post_login(client, {"username": "admin", "password": PASSWORD})
    page = r.get_data(as_text=True)
    assert r.status_code == 429 and "登录尝试过于频繁" in page and 'id="login-submit"' in page
    _retry_after(r)
    # reading the form is not a post; another address still reaches the password check (no such user: 401)
    assert client.get("/login").status_code == 200
    assert post_login(client, {"username": "admin", "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "10.4.4.4"}).status_code == 401


def test_a_rate_setting_that_does_not_parse_refuses_to_start(settings_factory, clock):
    with pytest.raises(RateSettingError, match="CITYOPS_LOGIN_RATE"):
        _make(settings_factory, clock, login_rate="lots")
    with pytest.raises(RateSettingError, match="CITYOPS_API_WRITE_RATE"):
        _make(settings_factory, clock, api_write_rate="3 per fortnight")


def test_redis_down_fails_open_to_counting_in_this_process(settings_factory, clock, caplog):
    """A Redis that does not answer must not refuse requests: a warning, then counting in memory."""
    web = _make(settings_factory, clock, api_write_rate="2/minute", redis_url="redis://127.0.0.1:9/0")
    client = web.server.test_client()
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        statuses = [client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).status_code
                    for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert any("falling back to in-memory" in rec.getMessage() for rec in caplog.records)
    web.services.db.dispose()


# -- several processes: one counter in Redis -----------------------------------------------------------


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this run (pid) whose keys are removed before and after, so reruns never collide."""
    import redis

    prefix = f"cityops-test-rate-{os.getpid()}"
    conn = redis.Redis.from_url(redis_url)

    def clear() -> None:
        for key in conn.scan_iter(match=f"*{prefix}*"):
            conn.delete(key)

    clear()
    yield prefix
    clear()
    conn.close()


def test_two_apps_on_one_redis_share_the_write_and_login_counts(settings_factory, clock, redis_url, redis_prefix):
    apps = [_make(settings_factory, clock, redis_url=redis_url, rate_key_prefix=redis_prefix,
                  api_write_rate="4/minute", login_rate="4/minute") for _ in range(2)]
    a, b = (web.server.test_client() for web in apps)
    # four writes split across both processes reach the limit together; each alone saw only two
    statuses = [c.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).status_code
                for c in (a, b, a, b)]
    assert statuses == [201, 201, 201, 201]
    for c in (a, b):
        r = c.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer())
        assert r.status_code == 429 and r.get_json()["field"] == "Authorization"
        _retry_after(r)
    # the same for login posts from one address
    assert [post_login(c, {"username": f"u{i}", "password": "x"}).status_code
            for i, c in enumerate((a, b, a, b))] == [401, 401, 401, 401]
    assert post_login(b, {"username": "u9", "password": "x"}).status_code == 429
    for web in apps:
        web.services.db.dispose()
