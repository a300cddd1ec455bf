"""Open311 reads show the public report, never the reporter; ``CITYOPS_OPEN311_READS=key`` closes them.

Guards the probe's findings: anonymous lists carried reporters' contact data and exact points, id lists
took a thousand sequential codes, and ``media_url=javascript:…`` was stored and served back.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

import app as cityops_app
from api.open311_public import MAX_IDS, public_text
from channels_helpers import OPERATOR_SECRET, TOKENS, WALL_SECRET, api_app, client  # noqa: F401
from factories import WATER_COVER, point

BASE = "/open311/v2"
PRIVATE = ("13912345678", "a.reporter@example.org", "Zhang", "Wei", "device-77", "acct-42")


def _post(client, key=OPERATOR_SECRET, **fields):
    lon, lat = point()
    form = {"api_key": key, "service_code": WATER_COVER, "lat": f"{lat:.6f}", "long": f"{lon:.6f}",
            "description": "井盖缺失，请回电 139-1234-5678 或 a.reporter@example.org", "phone": "13912345678",
            "email": "a.reporter@example.org", "first_name": "Zhang", "last_name": "Wei", "device_id": "device-77",
            "account_id": "acct-42", "address_string": "铁西区北一路 100 号 (电话 13912345678)", **fields}
    return client.post(f"{BASE}/requests.json", data={k: v for k, v in form.items() if v is not None})


def test_anonymous_list_in_public_mode_has_no_reporter_data_and_rounded_points(client):
    r = _post(client)
    assert r.status_code == 200, r.data
    rid = r.get_json()[0]["service_request_id"]
    for path in (f"{BASE}/requests.json", f"{BASE}/requests/{rid}.json", f"{BASE}/requests.xml"):
        resp = client.get(path)  # no api_key
        assert resp.status_code == 200
        text = resp.get_data(as_text=True)
        assert rid in text
        for secret in PRIVATE:
            assert secret not in text, (path, secret)
        assert "1234-5678" not in text
    row = next(x for x in client.get(f"{BASE}/requests.json").get_json() if x["service_request_id"] == rid)
    assert "井盖缺失" in row["description"] and "***" in row["description"]
    assert row["address"].startswith("铁西区北一路 100 号")  # the house number stays, the phone goes
    for coord in (row["lat"], row["long"]):
        assert coord == round(coord, 3) and len(json.dumps(coord).split(".")[1]) <= 3


def test_public_text_masks_numbers_and_emails_but_not_short_numbers():
    assert public_text("电话 13800138000") == "电话 ***"
    assert public_text("call +86 138 0013 8000 now") == "call *** now"
    assert public_text("座机 0434-3211234") == "座机 ***"
    assert public_text("mail me: x_y@mail.example.cn.") == "mail me: ***."
    assert public_text("北一路 100 号 3 单元") == "北一路 100 号 3 单元"
    assert public_text(None) is None


@pytest.fixture
def key_client(settings_factory, clock):
    dash_app = cityops_app.create_app(settings_factory(api_tokens=TOKENS, open311_reads="key"), clock,
                                      background=False)
    yield dash_app.server.test_client()
    dash_app.services.db.dispose()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_key_mode_refuses_reads_without_a_valid_key_in_the_spec_format(key_client, fmt):
    rid = _post(key_client).get_json()[0]["service_request_id"]
    for path in (f"{BASE}/requests.{fmt}", f"{BASE}/requests/{rid}.{fmt}", f"{BASE}/tokens/{rid}.{fmt}",
                 f"{BASE}/requests.{fmt}?api_key=not-a-key"):
        r = key_client.get(path)
        assert r.status_code == 403, path
        if fmt == "json":
            assert r.get_json()[0]["code"] == 403 and "api_key" in r.get_json()[0]["description"]
        else:
            assert ET.fromstring(r.data).tag == "errors"
    assert key_client.get(f"{BASE}/services.{fmt}").status_code == 200  # the catalogue stays public


def test_key_mode_answers_with_a_key_still_without_reporter_data(key_client):
    rid = _post(key_client).get_json()[0]["service_request_id"]
    for key in (OPERATOR_SECRET, WALL_SECRET):  # any valid key reads
        r = key_client.get(f"{BASE}/requests.json?api_key={key}")
        assert r.status_code == 200 and rid in r.get_data(as_text=True)
        assert not any(secret in r.get_data(as_text=True) for secret in PRIVATE)
    assert key_client.get(f"{BASE}/requests/{rid}.json?api_key={OPERATOR_SECRET}").status_code == 200


@pytest.mark.parametrize("url", ["javascript:alert(5)", "JavaScript:alert(5)", "java\tscript:alert(5)",
                                 "data:text/html,<script>alert(5)</script>", "//evil.example/x.png", "photo.jpg",
                                 "http://"])
def test_media_url_must_be_an_absolute_http_url(client, url):
    r = _post(client, media_url=url)
    assert r.status_code == 400
    assert r.get_json()[0]["description"].startswith("media_url")


def test_an_http_media_url_is_kept_and_an_old_unsafe_one_is_not_served(client, api_app):
    good = _post(client, media_url="https://photos.example.org/1.jpg").get_json()[0]["service_request_id"]
    assert client.get(f"{BASE}/requests/{good}.json").get_json()[0]["media_url"] == "https://photos.example.org/1.jpg"
    old = _post(client).get_json()[0]["service_request_id"]
    from sqlalchemy import text
    with api_app.services.db.write.begin() as s:  # a row stored before the check
        s.execute(text("UPDATE incidents SET extra = :x WHERE code = :c"),
                  {"x": json.dumps({"media_url": "javascript:alert(5)"}), "c": old})
    assert api_app.services.incidents.get(old).extra["media_url"] == "javascript:alert(5)"
    assert client.get(f"{BASE}/requests/{old}.json").get_json()[0]["media_url"] is None


def test_id_lists_are_capped(client):
    rid = _post(client).get_json()[0]["service_request_id"]
    ok = client.get(f"{BASE}/requests.json?service_request_id=" + ",".join([rid] * 200))  # repeats count once
    assert ok.status_code == 200 and len(ok.get_json()) == 1
    many = ",".join(str(20990101_00001 + n) for n in range(MAX_IDS + 1))
    r = client.get(f"{BASE}/requests.json?service_request_id={many}")
    assert r.status_code == 400 and f"at most {MAX_IDS}" in r.get_json()[0]["description"]
    fifty = ",".join(str(20990101_00001 + n) for n in range(MAX_IDS))
    assert client.get(f"{BASE}/requests.json?service_request_id={fifty}").status_code == 200
