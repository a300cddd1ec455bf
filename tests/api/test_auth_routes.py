"""Every page and every Dash route needs a login, checked on the server; roles open only their pages."""
from __future__ import annotations

from typing import Any

import pytest
from webapp import login, logout, post_login

PROTECTED_GETS = ["/", "/wall", "/intake", "/_dash-layout", "/_dash-dependencies", "/geo/districts.geojson",
                  "/_reload-hash"]


@pytest.mark.parametrize("path", PROTECTED_GETS)
def test_anonymous_requests_are_refused_or_sent_to_login(web: Any, path: str) -> None:
    resp = web.server.test_client().get(path)
    assert resp.status_code in (302, 401)
    if resp.status_code == 302:
        assert resp.headers["Location"].startswith("/login")


def test_anonymous_callback_call_is_refused_with_json(web: Any) -> None:
    resp = web.server.test_client().post("/_dash-update-component", json={"output": "x.children", "inputs": []})
    assert resp.status_code == 401
    assert resp.get_json()["code"] == "unauthenticated"


def test_component_suites_need_login(web: Any) -> None:
    client = web.server.test_client()
    resp = client.get("/_dash-component-suites/dash/dcc/dash_core_components.js")
    assert resp.status_code == 401


def test_healthz_is_public_and_reports_the_store(web: Any) -> None:
    resp = web.server.test_client().get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok" and body["database"] == "sqlite" and body["cells"] > 4000


def test_wrong_password_is_refused_with_a_visible_message(web: Any) -> None:
    resp = login(web.server.test_client(), "operator", "wrong-password")
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role,home", [("operator", "/intake"), ("wall", "/wall"), ("leader", "/wall")])
def test_login_lands_on_the_roles_home(web: Any, role: str, home: str) -> None:
    resp = login(web.server.test_client(), role)
    assert resp.status_code == 302 and resp.headers["Location"] == home


def test_login_next_cannot_leave_the_site(web: Any) -> None:
    client = web.server.test_client()
    resp = post_login(client, {"username": "operator", "password": "role-test-pw", "next": "//evil.example/x"})
    assert resp.headers["Location"] == "/intake"


@pytest.mark.parametrize("role,status", [("operator", 200), ("admin", 200), ("wall", 403), ("leader", 403),
                                         ("verifier", 403), ("grid_worker", 403), ("dept_handler", 403)])
def test_intake_console_is_for_operators(web: Any, role: str, status: int) -> None:
    client = web.server.test_client()
    login(client, role)
    assert client.get("/intake").status_code == status


@pytest.mark.parametrize("role,status", [("wall", 200), ("operator", 200), ("leader", 200), ("grid_worker", 403)])
def test_wall_is_open_to_the_center_and_the_kiosk(web: Any, role: str, status: int) -> None:
    client = web.server.test_client()
    login(client, role)
    assert client.get("/wall").status_code == status


def test_logged_in_user_gets_dash_routes(web: Any) -> None:
    client = web.server.test_client()
    login(client, "wall")
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/geo/grids-core.geojson").get_json()["type"] == "FeatureCollection"
    assert client.get("/geo/nothing.geojson").status_code == 404


def test_language_choice_persists_in_a_cookie(web: Any) -> None:
    client = web.server.test_client()
    resp = client.get("/lang/en?next=/login")
    assert resp.status_code == 302 and "lang=en" in resp.headers["Set-Cookie"]
    assert "Log in" in client.get("/login").get_data(as_text=True)
    client.get("/lang/zh")
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_logout_ends_the_session(web: Any) -> None:
    client = web.server.test_client()
    login(client, "operator")
    assert client.get("/intake").status_code == 200
    logout(client)
    assert client.get("/intake").status_code == 302
