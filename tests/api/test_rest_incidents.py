"""The JSON API through Flask's test client: create, refusals, idempotency, list, actions, timeline."""
from __future__ import annotations

import pytest

import app as cityops_app
from channels_helpers import OPERATOR_SECRET, TOKENS, WALL_SECRET, api_app, bearer, client  # noqa: F401
from factories import CORE_CELL, GARBAGE, OTHER_EVENT, OUTSIDE_CITY, RURAL_CELL, WATER_COVER, point, report
from geo.crs import wgs84_to_gcj02
from incidents.records import IdempotencyKeyRow, IncidentRow
from sqlalchemy import func, select


def _count(app) -> int:
    with app.services.db.read() as s:
        return s.scalar(select(func.count()).select_from(IncidentRow))


def test_create_needs_a_bearer_token(client):
    assert client.post("/api/v1/incidents", json=report()).status_code == 401
    r = client.post("/api/v1/incidents", json=report(), headers=bearer("not-a-token"))
    assert r.status_code == 401 and r.get_json()["field"] == "Authorization"


def test_a_wall_token_may_read_but_not_create(client):
    assert client.post("/api/v1/incidents", json=report(), headers=bearer(WALL_SECRET)).status_code == 403
    assert client.get("/api/v1/kpis", headers=bearer(WALL_SECRET)).status_code == 200


def test_created_incident_is_dispatched_and_readable(client):
    r = client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer())
    assert r.status_code == 201
    body = r.get_json()
    assert body["state"] == "dispatched" and body["department"] == "SWJ" and body["channel"] == "api"
    assert r.headers["Location"] == f"/api/v1/incidents/{body['code']}"
    got = client.get(f"/api/v1/incidents/{body['code']}", headers=bearer()).get_json()
    assert got["code"] == body["code"] and got["version"] == body["version"]


def test_every_bad_field_is_refused_with_its_name_and_nothing_is_stored(client, api_app):
    lon, lat = point()
    cases = [
        ({**report(), "category": None}, 422, "category"),
        ({**report(), "category": "99999"}, 422, "category"),
        ({**report(), "lon": OUTSIDE_CITY[0], "lat": OUTSIDE_CITY[1]}, 422, "location"),
        ({**report(), "lon": "abc"}, 422, "lon"),
        ({**report(), "lat": True}, 422, "lat"),
        ({**report(), "description": "x" * 4001}, 422, "description"),
        ({**report(), "description": 12}, 422, "description"),
        ({**report(), "severity": "apocalyptic"}, 422, "severity"),
        ({**report(), "crs": "bd09"}, 422, "crs"),
        ({**report(), "colour": "red"}, 422, "colour"),
        ({**report(), "reported_at": "2030-01-01T00:00:00+08:00"}, 422, "reported_at"),
    ]
    for body, status, field in cases:
        r = client.post("/api/v1/incidents", json=body, headers=bearer())
        assert (r.status_code, r.get_json()["field"]) == (status, field), body
        assert set(r.get_json()) >= {"code", "message", "field"}
    assert client.post("/api/v1/incidents", data="[1,", headers={**bearer(), "Content-Type": "application/json"}
                       ).status_code == 400
    assert _count(api_app) == 0


def test_a_body_over_the_limit_is_refused(settings_factory, clock):
    app = cityops_app.create_app(settings_factory(api_tokens=TOKENS, api_max_body=2000), clock, background=False)
    r = app.server.test_client().post("/api/v1/incidents", json={**report(), "description": "长" * 1500},
                                      headers=bearer())
    assert r.status_code == 413 and r.get_json()["code"] == "too_large"
    app.services.db.dispose()


def test_text_is_stored_as_text_and_never_as_html(client):
    evil = "<script>alert(1)</script> & <b>"
    code = client.post("/api/v1/incidents", json=report(description=evil), headers=bearer()).get_json()["code"]
    r = client.get(f"/api/v1/incidents/{code}", headers=bearer())
    assert r.mimetype == "application/json" and r.get_json()["description"] == evil


def test_gcj02_coordinates_are_converted_to_wgs84(client):
    lon, lat = point(CORE_CELL)
    glon, glat = wgs84_to_gcj02(lon, lat)
    body = client.post("/api/v1/incidents", json=report(lon=glon, lat=glat, crs="gcj02"), headers=bearer()).get_json()
    assert abs(body["lon"] - lon) < 1e-7 and abs(body["lat"] - lat) < 1e-7 and body["grid"] == CORE_CELL


def test_an_idempotency_key_returns_the_first_incident_even_after_a_restart(settings_factory, clock):
    settings = settings_factory(api_tokens=TOKENS)
    first_app = cityops_app.create_app(settings, clock, background=False)
    headers = {**bearer(), "Idempotency-Key": "retry-42"}
    first = first_app.server.test_client().post("/api/v1/incidents", json=report(), headers=headers)
    assert first.status_code == 201
    again = first_app.server.test_client().post("/api/v1/incidents", json=report(), headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    first_app.services.db.dispose()
    restarted = cityops_app.create_app(settings, clock, background=False)  # a new app object, same database
    third = restarted.server.test_client().post("/api/v1/incidents", json=report(), headers=headers)
    assert third.status_code == 200 and third.get_json()["code"] == first.get_json()["code"]
    other = restarted.server.test_client().post("/api/v1/incidents", json=report(description="else"), headers=headers)
    assert other.status_code == 422 and other.get_json()["field"] == "Idempotency-Key"
    assert _count(restarted) == 1
    with restarted.services.db.read() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyKeyRow)) == 1
    restarted.services.db.dispose()


def test_a_refused_create_stores_no_idempotency_key(client, api_app):
    headers = {**bearer(), "Idempotency-Key": "k1"}
    assert client.post("/api/v1/incidents", json={**report(), "category": "99999"}, headers=headers).status_code == 422
    assert client.post("/api/v1/incidents", json=report(), headers=headers).status_code == 201


def test_list_filters_and_cursor_pagination(client):
    codes = [client.post("/api/v1/incidents", json=report(WATER_COVER, east_m=100 * k), headers=bearer()).get_json()["code"]
             for k in range(5)]
    waiting = client.post("/api/v1/incidents", json=report(OTHER_EVENT, cell=RURAL_CELL), headers=bearer()).get_json()
    assert waiting["state"] == "reported" and waiting["waiting"] == "ambiguous"
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/incidents", query_string={"limit": 2, "status": "dispatched",
                                                             **({"cursor": cursor} if cursor else {})},
                          headers=bearer()).get_json()
        seen += [i["code"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == codes[::-1]
    only = client.get("/api/v1/incidents", query_string={"category": OTHER_EVENT}, headers=bearer()).get_json()
    assert [i["code"] for i in only["items"]] == [waiting["code"]]
    assert client.get("/api/v1/incidents?overdue=true", headers=bearer()).get_json()["items"] == []
    assert client.get("/api/v1/incidents?district=220302&department=SWJ", headers=bearer()).get_json()["items"]
    for bad in ("status=nope", "overdue=maybe", "limit=0", "cursor=%%%", "since=yesterday", "district=x"):
        r = client.get(f"/api/v1/incidents?{bad}", headers=bearer())
        assert r.status_code == 422 and r.get_json()["field"] == bad.split("=")[0], bad


def test_reads_accept_a_logged_in_session(api_app):
    from webapp import _hash
    from incidents.records import UserRow

    with api_app.services.db.write.begin() as s:
        s.add(UserRow(username="leader", password_hash=_hash(), role="leader", display_name="leader"))
    c = api_app.server.test_client()
    assert c.get("/api/v1/kpis").status_code == 401
    from webapp import login

    login(c, "leader")
    assert c.get("/api/v1/kpis").get_json().keys() >= {"open", "overdue", "intake_today"}
    assert c.post("/api/v1/incidents", json=report()).status_code == 401  # writes need a token


def test_actions_check_the_version_and_answer_409_with_the_fresh_incident(client):
    made = client.post("/api/v1/incidents", json=report(OTHER_EVENT, cell=RURAL_CELL), headers=bearer()).get_json()
    code, v = made["code"], made["version"]
    ok = client.post(f"/api/v1/incidents/{code}/actions", json={"action": "dispatch", "version": v,
                                                                 "department": "SWJ"}, headers=bearer())
    assert ok.status_code == 200 and ok.get_json()["state"] == "dispatched"
    stale = client.post(f"/api/v1/incidents/{code}/actions", json={"action": "reassign", "version": v,
                                                                    "department": "CGJ"}, headers=bearer())
    assert stale.status_code == 409 and stale.get_json()["field"] == "version"
    assert stale.get_json()["incident"]["version"] == ok.get_json()["version"]
    note = client.post(f"/api/v1/incidents/{code}/actions",
                       json={"action": "note", "version": ok.get_json()["version"], "note": "called the reporter"},
                       headers=bearer())
    assert note.status_code == 200
    wrong_role = client.post(f"/api/v1/incidents/{code}/actions",
                             json={"action": "acknowledge", "version": note.get_json()["version"]}, headers=bearer())
    assert wrong_role.status_code == 403
    assert client.post(f"/api/v1/incidents/{code}/actions", json={"action": "note"}, headers=bearer()).status_code == 422
    assert client.post("/api/v1/incidents/2099010100001/actions", json={"action": "note", "version": 1},
                       headers=bearer()).status_code == 404
    timeline = client.get(f"/api/v1/incidents/{code}/events", headers=bearer()).get_json()["items"]
    assert [e["action"] for e in timeline] == ["created", "file", "dispatch", "note"]
    assert timeline[-1]["payload"] == {"note": "called the reporter", "via": "api"}


def test_unknown_incident_and_unknown_route_answer_json_404(client):
    r = client.get("/api/v1/incidents/2099010100001", headers=bearer())
    assert r.status_code == 404 and r.get_json()["field"] == "code"
    r = client.get("/api/v1/nothing-here", headers=bearer())
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"


def test_stored_tokens_are_hashed_and_work(api_app, clock):
    from auth.tokens import create_token
    from incidents.records import ApiTokenRow

    with api_app.services.db.write.begin() as s:
        secret = create_token("citizen-app", "operator", clock(), session=s)
    with api_app.services.db.read() as s:
        stored = s.scalars(select(ApiTokenRow)).one()
    assert secret not in stored.token_hash and len(stored.token_hash) == 64
    r = api_app.server.test_client().post("/api/v1/incidents", json=report(GARBAGE), headers=bearer(secret))
    assert r.status_code == 201
    events = api_app.server.test_client().get(f"/api/v1/incidents/{r.get_json()['code']}/events",
                                              headers=bearer(secret)).get_json()["items"]
    assert events[0]["actor"] == "citizen-app"


def test_rate_limit_answers_429(settings_factory, clock):
    app = cityops_app.create_app(settings_factory(api_tokens=TOKENS, api_rate_per_min=3), clock, background=False)
    c = app.server.test_client()
    statuses = [c.get("/api/v1/kpis", headers=bearer()).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    app.services.db.dispose()


@pytest.mark.parametrize("extra, field", [
    ({"media_url": "javascript:alert(5)"}, "extra.media_url"),
    ({"media_url": "/healthz"}, "extra.media_url"),
    ({"nested": {"a": 1}}, "extra.nested"),
    ({"<b>": "x"}, "extra"),
    ({f"k{i}": i for i in range(21)}, "extra"),
    ({"note": "x" * 2001}, "extra.note"),
])
def test_a_reports_extra_holds_named_plain_values_and_only_web_links(client, extra, field):
    r = client.post("/api/v1/incidents", json=report(extra=extra), headers=bearer())
    assert r.status_code == 422 and r.get_json()["field"] == field
    ok = client.post("/api/v1/incidents", json=report(extra={"media_url": "https://city.example/p/1.jpg"}),
                     headers=bearer())
    assert ok.status_code == 201
