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


# -- security headers ------------------------------------------------------------------------------------

from html.parser import HTMLParser  # noqa: E402

from ops.headers import origin, policy, script_hash  # noqa: E402
from webapp import login  # noqa: E402

FIXED = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


def _directives(resp) -> dict[str, list[str]]:
    csp = resp.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}


def _assert_headers(resp) -> dict[str, list[str]]:
    for name, value in FIXED.items():
        assert resp.headers.get(name) == value, name
    d = _directives(resp)
    assert d["default-src"] == ["'self'"] and d["frame-ancestors"] == ["'none'"]
    assert d["base-uri"] == ["'self'"] and d["form-action"] == ["'self'"] and d["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in d["script-src"] and "'unsafe-eval'" not in d["script-src"]
    return d


class _Scripts(HTMLParser):
    """The inline scripts a browser would run (no ``src``, a JavaScript type or none)."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._open: bool = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._open = tag == "script" and "src" not in a and a.get("type", "text/javascript") in (
            "text/javascript", "application/javascript", "module")
        if self._open:
            self.inline.append("")

    def handle_data(self, data):
        if self._open:
            self.inline[-1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = False


def test_a_dash_page_allows_exactly_its_inline_scripts(web):
    client = web.server.test_client()
    login(client, "operator")
    for path in ("/wall", "/intake", "/import"):
        resp = client.get(path)
        assert resp.status_code == 200 and b"_dash-renderer" in resp.data
        d = _assert_headers(resp)
        parser = _Scripts()
        parser.feed(resp.get_data(as_text=True))
        assert any("DashRenderer" in s for s in parser.inline)
        for script in parser.inline:  # every script the page runs inline is allowed by its hash
            assert script_hash(script) in d["script-src"], script[:80]
        assert d["worker-src"] == ["'self'", "blob:"] and "'unsafe-inline'" in d["style-src"]


def test_the_login_page_and_the_api_and_healthz_carry_the_headers(web):
    client = web.server.test_client()
    page = client.get("/login")
    assert page.status_code == 200 and b"<form" in page.data
    _assert_headers(page)
    assert b"<script" not in page.data  # the form needs no script, so script-src 'self' costs it nothing
    for path in ("/api/v1/openapi.json", "/api/v1/incidents", "/healthz", "/open311/v2/services.json"):
        _assert_headers(client.get(path))


def test_a_view_that_sets_its_own_csp_keeps_it(web):
    @web.server.route("/_test-own-csp")
    def own() -> object:
        from flask import Response
        return Response("x", headers={"Content-Security-Policy": "default-src 'none'"})

    client = web.server.test_client()
    login(client, "operator")
    resp = client.get("/_test-own-csp")
    assert resp.status_code == 200 and resp.data == b"x", resp.data[:300]
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_map_servers_join_img_and_connect_sources():
    csp = policy(["x"], "https://{s}.tiles.example/{z}/{x}/{y}.png", "https://styles.example:8443/style.json")
    d = {p.split()[0]: p.split()[1:] for p in csp.split("; ")}
    assert "https://*.tiles.example" in d["img-src"] and "https://*.tiles.example" in d["connect-src"]
    assert "https://styles.example:8443" in d["connect-src"] and "https://styles.example:8443" not in d["img-src"]
    assert origin("javascript:alert(1)") is None and origin(None) is None


def test_the_pages_html_lang_follows_the_ui_language(web):
    """Dash writes one index page for everyone; ``<html lang>`` is set per visitor's language."""
    from webapp import login

    client = web.server.test_client()
    login(client, "operator")
    assert b'<html lang="zh-CN">' in client.get("/intake").data
    client.set_cookie("lang", "en")
    assert b'<html lang="en">' in client.get("/intake").data
