"""Open311 GeoReport v2: the spec's endpoints, fields and errors, in JSON and XML, and clients' habits."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from api.open311 import REQUEST_FIELDS, SERVICE_FIELDS
from channels_helpers import OPERATOR_SECRET, WALL_SECRET, api_app, client  # noqa: F401
from factories import OUTSIDE_CITY, WATER_COVER, point

BASE = "/open311/v2"


def _post(client, fmt="json", key=OPERATOR_SECRET, **fields):
    lon, lat = point()
    form = {"api_key": key, "service_code": WATER_COVER, "lat": lat, "long": lon, "description": "井盖缺失",
            "phone": "13800138000", "email": "a@example.org", **fields}
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in form.items() if v is not None})


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_list_has_the_spec_fields(client, fmt):
    r = client.get(f"{BASE}/services.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        services = r.get_json()
        assert all(set(s) == set(SERVICE_FIELDS) for s in services)
    else:
        root = ET.fromstring(r.data)
        assert root.tag == "services"
        services = [{c.tag: c.text for c in s} for s in root.findall("service")]
        assert all(set(s) == set(SERVICE_FIELDS) for s in services)
    assert len(services) == 99 and any(s["service_code"] == WATER_COVER for s in services)


@pytest.mark.parametrize("path", [f"{BASE}/services/{WATER_COVER}.xml", f"{BASE}/service/{WATER_COVER}.xml"])
def test_service_definition_in_xml_also_under_the_singular_path(client, path):
    root = ET.fromstring(client.get(path).data)
    assert root.tag == "service_definition" and root.findtext("service_code") == WATER_COVER
    attr = root.find("attributes/attribute")
    assert {c.tag for c in attr} >= {"variable", "code", "datatype", "required", "datatype_description", "order",
                                      "description", "values"}


def test_post_then_get_a_request_in_both_formats(client):
    r = _post(client)
    assert r.status_code == 200
    rid = r.get_json()[0]["service_request_id"]
    one = client.get(f"{BASE}/requests/{rid}.json").get_json()
    assert len(one) == 1 and set(one[0]) == set(REQUEST_FIELDS)
    req = one[0]
    assert req["status"] == "open" and req["service_code"] == WATER_COVER and req["agency_responsible"]
    assert req["expected_datetime"].endswith("+08:00") and req["requested_datetime"].endswith("+08:00")
    root = ET.fromstring(client.get(f"{BASE}/requests/{rid}.xml").data)
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == list(REQUEST_FIELDS)
    x = ET.fromstring(_post(client, "xml", description="第二次").data)
    assert x.find("request/service_request_id").text


def test_post_with_api_key_in_the_query_string_empty_jurisdiction_and_doubled_slash(client):
    lon, lat = point(east_m=300)
    r = client.post(f"/open311/v2//requests.json?api_key={OPERATOR_SECRET}&jurisdiction_id=",
                    data={"service_code": WATER_COVER, "lat": lat, "long": lon, "description": "x"})
    assert r.status_code == 200 and r.get_json()[0]["service_request_id"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_follow_the_spec(client, fmt):
    def errors(resp):
        if fmt == "json":
            return resp.get_json()
        root = ET.fromstring(resp.data)
        assert root.tag == "errors"
        return [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in root]

    cases = [
        (_post(client, fmt, key=None), 403),
        (_post(client, fmt, key=WALL_SECRET), 403),
        (_post(client, fmt, service_code=None), 400),
        (_post(client, fmt, service_code="99999"), 404),
        (_post(client, fmt, lat=OUTSIDE_CITY[1], long=OUTSIDE_CITY[0]), 400),
        (_post(client, fmt, lat="north"), 400),
        (_post(client, fmt, description="x" * 4001), 400),
        (client.get(f"{BASE}/requests/2099010100001.{fmt}"), 404),
        (client.get(f"{BASE}/services/99999.{fmt}"), 404),
        (client.get(f"{BASE}/tokens/nope.{fmt}"), 404),
        (client.get(f"{BASE}/services.{fmt}?jurisdiction_id=elsewhere.gov"), 404),
        (client.get(f"{BASE}/requests.{fmt}?status=pending"), 400),
        (client.get(f"{BASE}/requests.{fmt}?start_date=yesterday"), 400),
    ]
    for resp, status in cases:
        assert resp.status_code == status, (status, resp.data[:200])
        errs = errors(resp)
        assert errs and errs[0]["code"] == status and errs[0]["description"]


def test_get_requests_filters_and_defaults(client, clock):
    first = _post(client).get_json()[0]["service_request_id"]
    clock.advance(days=100)
    second = _post(client, description="later").get_json()[0]["service_request_id"]
    listed = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").get_json()]
    assert listed == [second]  # the default window is the last 90 days
    both = client.get(f"{BASE}/requests.json?service_request_id={first},{second}").get_json()
    assert {r["service_request_id"] for r in both} == {first, second}  # ids override the window
    old = client.get(f"{BASE}/requests.json", query_string={"start_date": "2026-01-01T00:00:00+08:00",
                                                             "end_date": "2026-04-01T00:00:00+08:00"}).get_json()
    assert [r["service_request_id"] for r in old] == [first]
    assert client.get(f"{BASE}/requests.json?status=closed").get_json() == []
    assert len(client.get(f"{BASE}/requests.json?status=open&service_code={WATER_COVER}").get_json()) == 1
    tok = client.get(f"{BASE}/tokens/{second}.json").get_json()
    assert tok == [{"service_request_id": second, "token": second}]


def test_a_reused_idempotency_key_with_another_request_is_a_400_in_the_spec_format(client):
    lon, lat = point()
    first = client.post("/open311/v2/requests.json", data={"api_key": OPERATOR_SECRET, "service_code": WATER_COVER,
                                                           "lat": lat, "long": lon, "description": "井盖缺失"},
                        headers={"Idempotency-Key": "retry-1"})
    assert first.status_code in (200, 201)
    other = client.post("/open311/v2/requests.json", data={"api_key": OPERATOR_SECRET, "service_code": WATER_COVER,
                                                           "lat": lat, "long": lon, "description": "另一件事"},
                        headers={"Idempotency-Key": "retry-1"})
    assert other.status_code == 400
    assert other.get_json()[0]["description"].startswith("Idempotency-Key")
