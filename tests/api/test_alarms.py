"""Sensor alarms: repeats within the window update one open incident; a clear is recorded on it."""
from __future__ import annotations

from channels_helpers import WALL_SECRET, api_app, bearer, client  # noqa: F401
from factories import CORE_CELL, OUTSIDE_CITY, point


def _alarm(device="wl-001", level="warning", at=None, **more):
    lon, lat = point(CORE_CELL)
    return {"device_id": device, "type": "waterlogging", "level": level, "lon": lon, "lat": lat,
            **({"at": at} if at else {}), **more}


def _events(client, code):
    return [e["action"] for e in client.get(f"/api/v1/incidents/{code}/events", headers=bearer()).get_json()["items"]]


def test_repeated_alarms_within_the_window_update_one_incident(client, clock):
    first = client.post("/api/v1/alarms", json=[_alarm()], headers=bearer())
    assert first.status_code == 200
    code = first.get_json()["results"][0]["code"]
    assert first.get_json()["results"][0]["result"] == "created"
    clock.advance(minutes=10)
    again = client.post("/api/v1/alarms", json={"alarms": [_alarm(level="major"), _alarm()]}, headers=bearer())
    assert [r["result"] for r in again.get_json()["results"]] == ["repeated", "repeated"]
    assert {r["code"] for r in again.get_json()["results"]} == {code}
    incident = client.get(f"/api/v1/incidents/{code}", headers=bearer()).get_json()
    assert incident["category"] == "20403" and incident["channel"] == "sensor"
    events = _events(client, code)
    assert events.count("alarm_repeat") == 2
    version = incident["version"]
    cleared = client.post("/api/v1/alarms", json=[_alarm(level="clear")], headers=bearer()).get_json()["results"][0]
    assert cleared == {"index": 0, "result": "cleared", "code": code}
    assert _events(client, code)[-1] == "alarm_clear"
    # system annotations never bump the version (a handler's action must not conflict with a sensor)
    assert client.get(f"/api/v1/incidents/{code}", headers=bearer()).get_json()["version"] == version
    after = client.post("/api/v1/alarms", json=[_alarm()], headers=bearer()).get_json()["results"][0]
    assert after["result"] == "created" and after["code"] != code


def test_an_alarm_after_the_window_opens_a_new_incident(client, clock):
    code = client.post("/api/v1/alarms", json=[_alarm()], headers=bearer()).get_json()["results"][0]["code"]
    clock.advance(minutes=31)
    later = client.post("/api/v1/alarms", json=[_alarm()], headers=bearer()).get_json()["results"][0]
    assert later["result"] == "created" and later["code"] != code


def test_a_clear_without_an_open_incident_is_ignored(client):
    r = client.post("/api/v1/alarms", json=[_alarm(device="quiet", level="clear")], headers=bearer())
    assert r.get_json()["results"][0]["result"] == "ignored"


def test_bad_alarms_are_refused_one_by_one_naming_the_field(client):
    batch = [_alarm(device="ok-1"), _alarm(device=""), {**_alarm(), "type": "ufo"}, _alarm(level="loud"),
             {**_alarm(), "lon": OUTSIDE_CITY[0], "lat": OUTSIDE_CITY[1]}, _alarm(at="2030-01-01T00:00:00+00:00"),
             "not an object"]
    r = client.post("/api/v1/alarms", json=batch, headers=bearer())
    assert r.status_code == 207
    results = r.get_json()["results"]
    assert results[0]["result"] == "created"
    assert [x["error"]["field"] for x in results[1:]] == ["device_id", "type", "level", "location", "at", "alarm"]


def test_alarms_need_a_writing_token(client):
    assert client.post("/api/v1/alarms", json=[_alarm()]).status_code == 401
    assert client.post("/api/v1/alarms", json=[_alarm()], headers=bearer(WALL_SECRET)).status_code == 403
    assert client.post("/api/v1/alarms", json={"x": 1}, headers=bearer()).status_code == 400
