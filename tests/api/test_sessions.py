"""Sessions end for real: logout and password resets refuse every earlier cookie, login and logout posts
carry a CSRF token, idle and overlong sessions end, kiosks log in by revocable device logins, and a failed
login costs one password check whether the user exists or not. All through Flask's test client; time moves
only by the app's injected clock."""
from __future__ import annotations

import re
from typing import Any

import pytest

import auth.users as users_module
from callbacks import admin as acb
from incidents.records import UserRow
from webapp import PASSWORD, as_user, csrf_of, form_token, login, logout, post_login


def cookies(client: Any) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def replay(web: Any, name: str, value: str) -> Any:
    """A fresh client (another browser) holding only one stolen cookie."""
    other = web.server.test_client()
    other.set_cookie(name, value)
    return other


def logged_out(client: Any, page: str = "/intake") -> bool:
    resp = client.get(page)
    dash = client.get("/_dash-layout")
    return (resp.status_code == 302 and resp.headers["Location"].startswith("/login")
            and dash.status_code == 401 and dash.get_json()["code"] == "unauthenticated")


# -- logout and password resets end every earlier cookie -------------------------------------------


def test_after_logout_neither_the_old_session_cookie_nor_the_remember_cookie_works(web: Any) -> None:
    client = web.server.test_client()
    assert login(client, "operator").status_code == 302
    old = cookies(client)
    assert set(old) == {"session", "remember_token"}
    assert replay(web, "session", old["session"]).get("/intake").status_code == 200  # the replay itself works
    assert logout(client).status_code == 302
    assert logged_out(client)
    assert logged_out(replay(web, "session", old["session"]))
    assert logged_out(replay(web, "remember_token", old["remember_token"]))


def test_a_password_reset_by_an_admin_ends_the_users_sessions_and_the_new_password_works(web: Any) -> None:
    client = web.server.test_client()
    login(client, "operator")
    old = cookies(client)
    with as_user(web, "admin"):
        message, version = acb.admin_action("user_password", {"username": "operator", "password": "brand-new-pw"}, 0)
    assert version == 1 and "operator" in message
    assert logged_out(client)
    assert logged_out(replay(web, "session", old["session"]))
    assert logged_out(replay(web, "remember_token", old["remember_token"]))
    assert login(web.server.test_client(), "operator").status_code == 401  # the old password
    fresh = web.server.test_client()
    assert login(fresh, "operator", "brand-new-pw").status_code == 302
    assert fresh.get("/intake").status_code == 200


def test_a_password_reset_through_the_service_ends_the_sessions_too(web: Any, clock: Any) -> None:
    client = web.server.test_client()
    login(client, "verifier")
    web.services.admin.reset_password("admin", clock(), "verifier", "another-new-pw")
    assert logged_out(client, "/verify")


def test_the_remember_cookie_differs_between_two_logins(web: Any) -> None:
    first, second = web.server.test_client(), web.server.test_client()
    login(first, "operator")
    login(second, "operator")
    assert cookies(first)["remember_token"] != cookies(second)["remember_token"]
    assert first.get("/intake").status_code == 200 and second.get("/intake").status_code == 200


def test_a_user_without_a_session_token_gets_one_at_login(web: Any) -> None:
    with web.services.db.read() as s:
        assert s.query(UserRow).filter_by(username="leader").one().session_token is None
    login(web.server.test_client(), "leader")
    with web.services.db.read() as s:
        assert len(s.query(UserRow).filter_by(username="leader").one().session_token) == 32


def test_a_remember_cookie_lasts_no_longer_than_the_remember_days(web: Any, clock: Any) -> None:
    client = web.server.test_client()
    login(client, "operator")
    remembered = cookies(client)["remember_token"]
    clock.advance(hours=20)
    assert replay(web, "remember_token", remembered).get("/intake").status_code == 200
    clock.advance(hours=5)  # 25 hours after the login: past CITYOPS_REMEMBER_DAYS=1
    assert logged_out(replay(web, "remember_token", remembered))


# -- CSRF on the login and logout forms -------------------------------------------------------------


def test_a_login_post_without_the_forms_token_is_refused_with_the_form_and_a_message(web: Any) -> None:
    client = web.server.test_client()
    resp = client.post("/login", data={"username": "operator", "password": PASSWORD})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "表单已过期" in page and 'id="login-submit"' in page
    assert 'name="csrf_token"' in page
    assert client.get("/intake").status_code == 302
    client.get("/login")
    wrong = client.post("/login", data={"username": "operator", "password": PASSWORD, "csrf_token": "forged"})
    assert wrong.status_code == 400
    client.set_cookie("lang", "en")
    assert "did not come from this site" in client.post("/login", data={"username": "x", "password": "y"}
                                                         ).get_data(as_text=True)


def test_a_login_post_with_the_forms_token_logs_in(web: Any) -> None:
    client = web.server.test_client()
    token = form_token(client)
    resp = client.post("/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/intake"
    assert client.get("/intake").status_code == 200


def test_logout_needs_a_post_with_the_sessions_token(web: Any) -> None:
    client = web.server.test_client()
    login(client, "operator")
    page = client.get("/logout")  # an old bookmark: a page whose button posts, nothing ended yet
    assert page.status_code == 200 and '<form method="post" action="/logout"' in page.get_data(as_text=True)
    assert client.get("/intake").status_code == 200
    refused = client.post("/logout")
    assert refused.status_code == 400 and "表单已过期" in refused.get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/intake").status_code == 200
    assert logout(client).status_code == 302
    assert logged_out(client)


def components(tree: Any) -> list[dict[str, Any]]:
    """Every component of a ``/_dash-layout`` answer, depth first."""
    if isinstance(tree, list):
        return [c for item in tree for c in components(item)]
    if not isinstance(tree, dict) or "props" not in tree:
        return []
    children = tree["props"].get("children")
    return [tree, *components(children)]


def test_the_headers_logout_is_a_post_form_carrying_the_sessions_token(web: Any) -> None:
    client = web.server.test_client()
    login(client, "operator")
    tree = components(client.get("/_dash-layout").get_json())
    form = next(c for c in tree if c["type"] == "Form" and c["props"].get("action") == "/logout")
    assert form["props"]["method"] == "post"
    parts = components(form["props"]["children"])
    token = next(c["props"]["value"] for c in parts if c["props"].get("name") == "csrf_token")
    button = next(c for c in parts if c["props"].get("id") == "logout")
    assert button["type"] == "Button" and button["props"]["children"] == "退出"
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert logged_out(client)


def test_the_forbidden_page_offers_logout_as_a_post_form(web: Any) -> None:
    client = web.server.test_client()
    login(client, "wall")
    page = client.get("/intake").get_data(as_text=True)
    assert '<form method="post" action="/logout"' in page and 'href="/logout"' not in page
    assert client.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert logged_out(client, "/wall")


# -- idle timeout -----------------------------------------------------------------------------------


def test_a_session_idle_longer_than_the_limit_is_logged_out(web: Any, clock: Any) -> None:
    client = web.server.test_client()
    login(client, "operator")
    clock.advance(minutes=29)
    assert client.get("/intake").status_code == 200  # activity: the idle time starts again
    clock.advance(minutes=29)
    assert client.get("/_dash-layout").status_code == 200
    clock.advance(minutes=31)
    resp = client.get("/intake")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/intake"
    assert logged_out(client)  # and the remember-cookie was dropped with the session


def test_an_idle_dash_request_gets_the_json_401(web: Any, clock: Any) -> None:
    client = web.server.test_client()
    login(client, "operator")
    clock.advance(minutes=31)
    resp = client.post("/_dash-update-component", json={"output": "x.children", "inputs": []})
    assert resp.status_code == 401 and resp.get_json()["code"] == "unauthenticated"


def test_the_idle_limit_is_a_setting(settings_factory: Any, clock: Any) -> None:
    import app as cityops_app
    from webapp import _hash

    web = cityops_app.create_app(settings_factory(session_idle_min=5), clock, background=False)
    with web.services.db.write.begin() as s:
        s.add(UserRow(username="operator", password_hash=_hash(), role="operator", display_name="op"))
    client = web.server.test_client()
    login(client, "operator")
    clock.advance(minutes=6)
    assert logged_out(client)
    web.services.db.dispose()


# -- kiosks' device logins --------------------------------------------------------------------------


def _make_device(web: Any, name: str = "大屏 1", username: str = "wall") -> tuple[int, str]:
    with as_user(web, "admin"):
        message, version = acb.device_create(name, username, 0)
    assert version == 1, message
    secret = re.search(r"/device/([A-Za-z0-9_\-]+)", str(message.to_plotly_json())).group(1)
    return web.services.devices.devices()[0].id, secret


def test_an_admin_makes_a_device_login_that_logs_the_kiosk_in_until_revoked(web: Any, clock: Any) -> None:
    device_id, secret = _make_device(web)
    kiosk = web.server.test_client()
    resp = kiosk.get(f"/device/{secret}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/wall"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "remember_token" not in cookies(kiosk)
    assert kiosk.get("/wall").status_code == 200 and kiosk.get("/_dash-layout").status_code == 200
    assert kiosk.get("/intake").status_code == 403  # the wall user's role, nothing more
    clock.advance(hours=6)  # a kiosk sits idle for hours: no idle timeout for device sessions
    assert kiosk.get("/wall").status_code == 200
    assert web.services.devices.devices()[0].last_seen_at == clock()
    with as_user(web, "admin"):
        message, version = acb.device_revoke(device_id, 4)
    assert version == 5
    assert logged_out(kiosk, "/wall")
    assert web.server.test_client().get(f"/device/{secret}").status_code == 404
    audit = [(a.action, a.actor, a.target) for a in web.services.admin.audit()]
    target = f"device:{device_id}"
    assert audit == [("device_revoke", "admin", target), ("device_create", "admin", target)]
    assert secret not in str([a.detail for a in web.services.admin.audit()])


def test_only_admins_make_or_revoke_device_logins(web: Any) -> None:
    device_id, _secret = _make_device(web)
    for role in ("operator", "wall", "leader"):
        with as_user(web, role):
            made, version = acb.device_create("mine", "wall", 0)
            revoked, version2 = acb.device_revoke(device_id, 0)
            table, options = acb.show_devices(0, 0)
        assert "无权" in made and "无权" in revoked and version is acb.no_update and version2 is acb.no_update
        assert options == []
    assert [d.revoked_at for d in web.services.devices.devices()] == [None]


def test_device_logins_are_only_for_wall_users(web: Any) -> None:
    with as_user(web, "admin"):
        message, version = acb.device_create("desk", "operator", 0)
        table, options = acb.show_devices(0, 0)
    assert version is acb.no_update and "大屏账号" in message
    assert [o["value"] for o in options] == ["wall"]
    assert web.server.test_client().get("/device/not-a-secret").status_code == 404


def test_a_person_logging_out_of_the_wall_account_does_not_end_the_kiosk(web: Any) -> None:
    _device_id, secret = _make_device(web)
    kiosk = web.server.test_client()
    kiosk.get(f"/device/{secret}")
    person = web.server.test_client()
    login(person, "wall")
    logout(person)
    assert kiosk.get("/wall").status_code == 200


def test_logging_out_on_the_kiosk_revokes_its_device_login(web: Any) -> None:
    _device_id, secret = _make_device(web)
    kiosk = web.server.test_client()
    kiosk.get(f"/device/{secret}")
    old = cookies(kiosk)
    assert logout(kiosk).status_code == 302
    assert logged_out(replay(web, "session", old["session"]), "/wall")
    assert web.server.test_client().get(f"/device/{secret}").status_code == 404


# -- failed logins cost the same whether the user exists or not --------------------------------------


@pytest.mark.parametrize("username", ["nobody-by-this-name", "disabled"])
def test_a_failed_login_for_an_unknown_or_disabled_user_still_checks_a_password_hash(
        web: Any, monkeypatch: pytest.MonkeyPatch, username: str) -> None:
    with web.services.db.write.begin() as s:
        s.add(UserRow(username="disabled", password_hash="x", role="operator", display_name="x", active=False))
    checked: list[str] = []
    real = users_module.check_password_hash
    monkeypatch.setattr(users_module, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    client = web.server.test_client()
    assert post_login(client, {"username": username, "password": PASSWORD}).status_code == 401
    assert checked == [users_module.DUMMY_HASH]
    # the same method and cost parameters as the real hashes, so the check takes as long
    assert users_module.DUMMY_HASH.split("$")[0] == users_module.generate_password_hash("x").split("$")[0]
