"""The OpenAPI document matches the server: every route documented, answers valid against its schemas."""
from __future__ import annotations

import re

import pytest

from channels_helpers import api_app, bearer, client  # noqa: F401
from factories import OTHER_EVENT, RURAL_CELL, report


def test_openapi_document_is_valid_and_public(client):
    validator = pytest.importorskip("openapi_spec_validator")
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    validator.validate(r.get_json())


def test_every_api_route_is_documented_and_every_documented_route_exists(api_app):
    doc = api_app.server.test_client().get("/api/v1/openapi.json").get_json()
    documented = {(re.sub(r"\{(\w+)\}", r"<\1>", p), m.upper()) for p, ops in doc["paths"].items() for m in ops}
    served = {(rule.rule, m) for rule in api_app.server.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              and "<path:rest>" not in rule.rule for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def test_answers_validate_against_the_documented_schemas(client):
    jsonschema = pytest.importorskip("jsonschema")
    doc = client.get("/api/v1/openapi.json").get_json()

    def check(body, name):
        schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
        jsonschema.validate(body, schema)

    made = client.post("/api/v1/incidents", json=report(OTHER_EVENT, cell=RURAL_CELL), headers=bearer())
    check(made.get_json(), "Created")
    code, v = made.get_json()["code"], made.get_json()["version"]
    check(client.get(f"/api/v1/incidents/{code}", headers=bearer()).get_json(), "Incident")
    check(client.get("/api/v1/incidents", headers=bearer()).get_json(), "Page")
    check(client.get(f"/api/v1/incidents/{code}/events", headers=bearer()).get_json(), "Timeline")
    check(client.get("/api/v1/kpis", headers=bearer()).get_json(), "Kpis")
    client.post(f"/api/v1/incidents/{code}/actions", json={"action": "file", "version": v}, headers=bearer())
    conflict = client.post(f"/api/v1/incidents/{code}/actions", json={"action": "reject", "version": v}, headers=bearer())
    assert conflict.status_code == 409
    check(conflict.get_json(), "Conflict")
    check(client.post("/api/v1/incidents", json={}, headers=bearer()).get_json(), "Error")


def test_docs_page_is_served_locally_and_escapes_text(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200 and b"/api/v1/incidents" in r.data
    assert b"http://" not in r.data and b"https://" not in r.data  # no CDN
