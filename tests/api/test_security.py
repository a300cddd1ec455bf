"""Security hardening: markup payloads stay text on every channel and page, login throttling, uploads
never served as HTML."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest

import app as cityops_app
from callbacks import intake as intake_cb
from callbacks import workbench as wb_cb
from channels_helpers import TOKENS, bearer
from factories import WATER_COVER, report
from incidents.model import Role
from incidents.records import UserRow
from webapp import PASSWORD, _hash, as_user, post_login

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ["<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(2)>",
            "' OR 1=1 --", "{{7*7}}"]


@pytest.fixture
def sec_app(settings_factory: Any, clock: Any) -> Iterator[Any]:
    """The whole app with static tokens and one user per role (named after the role)."""
    web = cityops_app.create_app(settings_factory(api_tokens=TOKENS, login_max_failures=3), clock, background=False)
    with web.services.db.write.begin() as s:
        s.add_all(UserRow(username=r.value, password_hash=_hash(), role=r.value, display_name=r.value,
                          department="SWJ" if r in (Role.DEPT_HANDLER, Role.DEPT_HEAD) else None)
                  for r in Role if r is not Role.SYSTEM)
    yield web
    web.services.db.dispose()


def _strings(node: Any) -> Iterator[tuple[str, str]]:
    """Every (prop name, string) in a Dash component tree serialised by ``to_plotly_json``."""
    if hasattr(node, "to_plotly_json"):
        node = node.to_plotly_json()
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, str):
                yield k, v
            else:
                yield from _strings(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _strings(v)


def test_no_page_or_script_renders_markup_from_data():
    """The structural guarantee behind the payload tests: React escapes text props, so the only ways to
    inject markup are these escape hatches, and no page uses any of them."""
    hatches = re.compile(r"dangerously_allow_html|dangerouslySetInnerHTML|innerHTML|insertAdjacentHTML|"
                         r"outerHTML|document\.write|dcc\.Markdown|\"markdown\"|cellRenderer")
    sources = [p for d in ("callbacks", "layouts", "assets", "live", "api") for p in (ROOT / d).rglob("*")
               if p.suffix in (".py", ".js")]
    assert sources
    offenders = [str(p.relative_to(ROOT)) for p in sources if hatches.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_through_the_api_come_back_as_text_everywhere(sec_app, payload):
    client = sec_app.server.test_client()
    body = report(WATER_COVER, description=f"井盖 {payload}", address=payload)
    r = client.post("/api/v1/incidents", json=body, headers=bearer())
    assert r.status_code == 201
    code = r.get_json()["code"]
    got = client.get(f"/api/v1/incidents/{code}", headers=bearer())
    assert got.mimetype == "application/json"
    assert got.get_json()["address"] == payload and got.get_json()["description"] == f"井盖 {payload}"
    xml = client.get(f"/open311/v2/requests/{code}.xml").get_data(as_text=True)
    assert "<script>" not in xml and "<img" not in xml and "<svg" not in xml
    listed = client.get(f"/api/v1/incidents?department=SWJ&status={payload}", headers=bearer())
    assert listed.status_code in (200, 422) and listed.mimetype == "application/json"
    # the handler's workbench shows it as a text prop of a component (React renders it escaped)
    with as_user(sec_app, "dept_handler"):
        rows = wb_cb.show_queue(1)
        assert any(row["address"] == payload for row in rows)
        detail, _ = wb_cb.show_detail([{"code": code}], 1)
    texts = list(_strings(detail))
    assert any(v == payload for _, v in texts)
    assert not any(k.startswith("dangerously") for k, _ in texts)


@pytest.mark.parametrize("payload", PAYLOADS[:2])
def test_payloads_through_the_console_are_text_in_its_result(sec_app, payload):
    from factories import point

    lon, lat = point()
    with as_user(sec_app, "operator"):
        out = intake_cb.submit_report(1, WATER_COVER, "normal", f"井盖 {payload}", payload, lon, lat, "", 0)
    assert not any(k.startswith("dangerously") for k, _ in _strings(out))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_and_filter_inputs_take_injection_strings_without_error(sec_app, payload):
    client = sec_app.server.test_client()
    for q in (f"status={payload}", f"category={payload}", f"district={payload}", f"grid={payload}",
              f"department={payload}", f"since={payload}", f"cursor={payload}", f"limit={payload}"):
        r = client.get(f"/api/v1/incidents?{q}", headers=bearer())
        assert r.status_code in (200, 400, 422) and r.mimetype == "application/json", (q, r.status_code)
    r = client.get(f"/open311/v2/requests.json?service_code={payload}&status={payload}")
    assert r.status_code in (200, 400)


def test_the_login_form_echoes_a_username_escaped(sec_app):
    r = post_login(sec_app.server.test_client(), {"username": PAYLOADS[1], "password": "x"})
    page = r.get_data(as_text=True)
    assert r.status_code == 401 and "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_login_is_throttled_per_address_and_username(sec_app):
    client = sec_app.server.test_client()
    for _ in range(3):
        assert post_login(client, {"username": "operator", "password": "wrong"}).status_code == 401
    # the fourth try is refused before the password is even checked, the right password too
    r = post_login(client, {"username": "operator", "password": PASSWORD})
    assert r.status_code == 429 and "登录失败次数过多" in r.get_data(as_text=True)
    # the same user from another address, and another user from this one, are not affected
    other = post_login(client, {"username": "operator", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 302
    assert post_login(client, {"username": "verifier", "password": PASSWORD}).status_code == 302


def test_a_successful_login_clears_the_failures(sec_app):
    client = sec_app.server.test_client()
    for _ in range(2):
        post_login(client, {"username": "operator", "password": "wrong"})
    assert post_login(client, {"username": "operator", "password": PASSWORD}).status_code == 302
    for _ in range(2):
        assert post_login(client, {"username": "operator", "password": "wrong"}).status_code == 401


def test_uploads_are_never_served_as_html(sec_app):
    """Only names the service wrote (a hex name with an image extension) are served, with an image type,
    ``nosniff`` and a CSP that runs nothing — an HTML file placed in the folder is not reachable."""
    client = sec_app.server.test_client()
    code = client.post("/api/v1/incidents", json=report(WATER_COVER), headers=bearer()).get_json()["code"]
    folder = sec_app.services.settings.uploads_dir / code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evil.html").write_text("<script>alert(1)</script>")
    name = "a" * 32 + ".jpg"
    (folder / name).write_bytes(b"<html><script>alert(1)</script></html>")  # HTML content under a photo name
    post_login(client, {"username": "admin", "password": PASSWORD})
    assert client.get(f"/uploads/{code}/evil.html").status_code == 404
    r = client.get(f"/uploads/{code}/{name}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'"
