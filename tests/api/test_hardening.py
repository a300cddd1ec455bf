"""Hardening at the HTTP edge: body limits that hold for chunked bodies, security headers everywhere."""
from __future__ import annotations

import io
import json

import pytest

from channels_helpers import OPERATOR_SECRET, api_app, bearer, client  # noqa: F401
from factories import WATER_COVER, point

LIMIT = 1_000_000  # CITYOPS_API_MAX_BODY's default, which the test settings keep


def _chunked(client, path, body: bytes, **headers):
    """A body sent as the real servers pass a chunked request on: no Content-Length, and the input marked
    terminated (Werkzeug's server and gunicorn set ``wsgi.input_terminated`` for chunked requests)."""
    return client.post(path, input_stream=io.BytesIO(body),
                       headers={"Transfer-Encoding": "chunked", **headers},
                       environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_json_body_over_the_limit_is_a_413_in_the_api_format(client):
    body = json.dumps({"description": "x" * (LIMIT + 10)}).encode()
    r = _chunked(client, "/api/v1/incidents", body, **bearer(), **{"Content-Type": "application/json"})
    assert r.status_code == 413
    err = r.get_json()
    assert set(err) >= {"code", "message", "field"} and err["code"] == "too_large" and str(LIMIT) in err["message"]


def test_a_chunked_json_body_under_the_limit_is_processed(client):
    lon, lat = point()
    body = json.dumps({"category": WATER_COVER, "description": "井盖缺失", "lon": lon, "lat": lat}).encode()
    r = _chunked(client, "/api/v1/incidents", body, **bearer(), **{"Content-Type": "application/json"})
    assert r.status_code == 201, r.data


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_chunked_open311_form_over_the_limit_is_a_413_in_the_spec_format(client, fmt):
    lon, lat = point()
    body = (f"api_key={OPERATOR_SECRET}&service_code={WATER_COVER}&lat={lat}&long={lon}&description="
            + "x" * (LIMIT + 10)).encode()
    r = _chunked(client, f"/open311/v2/requests.{fmt}", body,
                 **{"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    if fmt == "json":
        assert r.get_json()[0]["code"] == 413
    else:
        assert b"<errors>" in r.data and b"<code>413</code>" in r.data


def test_a_chunked_open311_form_under_the_limit_is_processed(client):
    lon, lat = point(east_m=200)
    body = f"api_key={OPERATOR_SECRET}&service_code={WATER_COVER}&lat={lat}&long={lon}&description=ok".encode()
    r = _chunked(client, "/open311/v2/requests.json", body, **{"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.data


def test_pages_accept_bodies_above_the_api_limit(client, api_app):
    """Dash callbacks carry uploads (base64) far above the API's 1 MB; they keep the server-wide limit."""
    assert api_app.server.config["MAX_CONTENT_LENGTH"] == api_app.services.settings.max_request_bytes > 20_000_000
    r = _chunked(client, "/_dash-update-component", b'{"output": "x", "pad": "' + b"x" * 2_000_000 + b'"}',
                 **{"Content-Type": "application/json"})
    assert r.status_code != 413
