"""The access policy over the real routes: role × path × a case they own / a case they don't.

Five cases in two districts and three departments; every login role and every kind of API token reads the
list, each case, its timeline and its photo, and must see exactly the cases the policy gives it — a leak or
a refusal of its own case fails. Then the phone on every path, and actions through bound tokens.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

import app as cityops_app
from factories import CORE_CELL, CORE_WORKER, GARBAGE, OTHER_CORE_CELL, RURAL_CELL, T0, WATER_COVER, report
from incidents.model import Actor, Channel, Role
from incidents.records import UserRow
from webapp import _hash, login

OP_SECRET, WALL_SECRET, SWJ_SECRET, GW_SECRET, GONE_SECRET = (
    "op-secret-123456", "wall-secret-123456", "swj-secret-123456", "gw-secret-123456", "gone-secret-123456")
OTHER_WORKER = "gw220303002001"
TOKENS = ",".join([f"feeder:operator:{OP_SECRET}", f"screen:wall:{WALL_SECRET}",
                   f"swj-system:dept_handler@dept=SWJ:{SWJ_SECRET}", f"gw-app:grid_worker@user={CORE_WORKER}:{GW_SECRET}",
                   f"gone-app:grid_worker@user=gw_gone:{GONE_SECRET}"])
#: username → (role, department, district)
USERS: dict[str, tuple[Role, str | None, int | None]] = {
    "operator": (Role.OPERATOR, None, None), "admin": (Role.ADMIN, None, None),
    "verifier": (Role.VERIFIER, None, None), "leader": (Role.LEADER, None, None),
    "leader_tiexi": (Role.LEADER, None, 220302), "wall": (Role.WALL, None, None),
    "swj_head": (Role.DEPT_HEAD, "SWJ", None), "swj_h1": (Role.DEPT_HANDLER, "SWJ", None),
    "swj_h2": (Role.DEPT_HANDLER, "SWJ", None), "cgj_h": (Role.DEPT_HANDLER, "CGJ", None),
    CORE_WORKER: (Role.GRID_WORKER, "GRID", None), OTHER_WORKER: (Role.GRID_WORKER, "GRID", None),
    "gw_gone": (Role.GRID_WORKER, "GRID", None),
}
#: case name → (category, cell, department, assignee)
CASES: dict[str, tuple[str, str, str, str | None]] = {
    "swj_h1": (WATER_COVER, CORE_CELL, "SWJ", "swj_h1"),  # 铁西
    "swj_open": (WATER_COVER, OTHER_CORE_CELL, "SWJ", None),  # 铁东, no named assignee
    "cgj": (WATER_COVER, RURAL_CELL, "CGJ", None),  # 铁西
    "gw1": (GARBAGE, CORE_CELL, "GRID", CORE_WORKER),  # 铁西
    "gw2": (GARBAGE, OTHER_CORE_CELL, "GRID", OTHER_WORKER),  # 铁东
}
ALL = set(CASES)
#: who may read which case (the policy, written out by hand so a change to the table shows here)
READS: dict[str, set[str]] = {
    "operator": ALL, "admin": ALL, "verifier": ALL, "leader": ALL, "leader_tiexi": {"swj_h1", "cgj", "gw1"},
    "wall": set(), "swj_head": {"swj_h1", "swj_open"}, "swj_h1": {"swj_h1", "swj_open"}, "swj_h2": {"swj_open"},
    "cgj_h": {"cgj"}, CORE_WORKER: {"gw1"}, OTHER_WORKER: {"gw2"},
}
TOKEN_READS: dict[str, set[str]] = {OP_SECRET: ALL, WALL_SECRET: set(), SWJ_SECRET: {"swj_open"}, GW_SECRET: {"gw1"}}
PHOTO = "0123456789abcdef0123456789abcdef.jpg"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, template_db: Path,
          make_test_settings: Any) -> Iterator[tuple[Any, dict[str, str]]]:
    """One app with the users above and the five cases (name → code), each with a stored photo."""
    folder = tmp_path_factory.mktemp("matrix")
    shutil.copyfile(template_db, folder / "cityops.db")
    settings = make_test_settings(database_url=f"sqlite:///{folder / 'cityops.db'}", api_tokens=TOKENS,
                             uploads_dir=folder / "uploads")
    web = cityops_app.create_app(settings, lambda: T0, background=False)
    svc = web.services
    with svc.db.write.begin() as s:
        s.add_all(UserRow(username=name, password_hash=_hash(), role=role.value, display_name=name, department=dept,
                          district=district, active=name != "gw_gone") for name, (role, dept, district) in USERS.items())
    op = Actor("operator", Role.OPERATOR)
    codes = {}
    for name, (category, cell, dept, assignee) in CASES.items():
        made = svc.dispatch.intake(report(category, cell=cell, grid=svc.grid), op, Channel.HOTLINE, svc.clock())
        inc = made.incident
        if inc.state.value == "accepted":
            inc = svc.incidents.act(inc.code, "dispatch", op, inc.version, svc.clock(), department=dept, assignee=assignee)
        else:
            inc = svc.incidents.act(inc.code, "reassign", op, inc.version, svc.clock(), department=dept,
                                    assignee=assignee, payload={"reason": "test"})
        assert (inc.department, inc.assignee, inc.district) == (dept, assignee, int(cell[:6]))
        (settings.uploads_dir / inc.code).mkdir(parents=True, exist_ok=True)
        (settings.uploads_dir / inc.code / PHOTO).write_bytes(b"\xff\xd8\xff\xe0fake")
        codes[name] = inc.code
    yield web, codes
    svc.db.dispose()


@pytest.fixture(scope="module")
def clients(world: Any) -> dict[str, Any]:
    web, _ = world
    out = {}
    for name in READS:
        client = web.server.test_client()
        assert login(client, name).status_code == 302, name
        out[name] = client
    return out


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _listed(client: Any, codes: dict[str, str], headers: dict[str, str] | None = None) -> set[str]:
    r = client.get("/api/v1/incidents?limit=500", headers=headers or {})
    assert r.status_code == 200, r.get_data(as_text=True)
    by_code = {v: k for k, v in codes.items()}
    return {by_code[i["code"]] for i in r.get_json()["items"] if i["code"] in by_code}


def _reads(client: Any, code: str, headers: dict[str, str] | None = None) -> dict[str, int]:
    h = headers or {}
    return {"get": client.get(f"/api/v1/incidents/{code}", headers=h).status_code,
            "events": client.get(f"/api/v1/incidents/{code}/events", headers=h).status_code}


@pytest.mark.parametrize("user", sorted(READS))
def test_a_logged_in_user_reads_exactly_the_cases_the_policy_gives(world, clients, user):
    web, codes = world
    client = clients[user]
    assert _listed(client, codes) == READS[user]
    for name, code in codes.items():
        want = 200 if name in READS[user] else 404
        assert _reads(client, code) == {"get": want, "events": want}, (user, name)
        assert client.get(f"/uploads/{code}/{PHOTO}").status_code == want, (user, name, "photo")
        assert client.get(f"/case/{code}").status_code == (200 if want == 200 else 403), (user, name, "case file")


@pytest.mark.parametrize("secret", sorted(TOKEN_READS))
def test_a_token_reads_exactly_the_cases_of_whom_it_acts_for(world, secret):
    web, codes = world
    client = web.server.test_client()
    assert _listed(client, codes, _bearer(secret)) == TOKEN_READS[secret]
    for name, code in codes.items():
        want = 200 if name in TOKEN_READS[secret] else 404
        assert _reads(client, code, _bearer(secret)) == {"get": want, "events": want}, (secret, name)


def test_a_token_of_a_deactivated_user_stops_working(world):
    web, _ = world
    assert web.server.test_client().get("/api/v1/incidents", headers=_bearer(GONE_SECRET)).status_code == 401


def test_the_list_pages_fill_from_the_callers_own_cases(world, clients):
    """Scoped in the query, not by dropping rows after the limit: a page of one is one of theirs."""
    web, codes = world
    r = clients["swj_h2"].get("/api/v1/incidents?limit=1").get_json()
    assert [i["code"] for i in r["items"]] == [codes["swj_open"]] and r["next_cursor"] is None


@pytest.mark.parametrize("user", sorted(READS))
def test_the_reporters_phone_is_whole_only_for_operators_and_admins(world, clients, user):
    web, codes = world
    visible = READS[user]
    if not visible:
        return
    code = codes[sorted(visible)[0]]
    created = clients[user].get(f"/api/v1/incidents/{code}/events").get_json()["items"][0]
    assert created["action"] == "created"
    want = "13800138000" if user in ("operator", "admin") else "138****8000"
    assert created["payload"]["reporter_phone"] == want


def test_every_view_of_a_whole_number_is_audited(world, clients):
    web, codes = world
    from sqlalchemy import select

    from incidents.records import AuditRow

    clients["operator"].get(f"/api/v1/incidents/{codes['cgj']}/events")
    clients["verifier"].get(f"/api/v1/incidents/{codes['cgj']}/events")  # masked: nothing to audit
    with web.services.db.read() as s:
        rows = s.scalars(select(AuditRow).where(AuditRow.action == "view_phone", AuditRow.target == codes["cgj"])).all()
    assert [(r.actor, r.detail["role"]) for r in rows][-1:] == [("operator", "operator")]
    assert all(r.actor != "verifier" for r in rows)


# -- acting through bound tokens -------------------------------------------------------------------


def _new_case(web: Any, department: str, assignee: str | None, cell: str = CORE_CELL, east_m: float = 0.0) -> Any:
    svc = web.services
    op = Actor("operator", Role.OPERATOR)
    inc = svc.dispatch.intake(report(WATER_COVER, cell=cell, grid=svc.grid, east_m=east_m,
                                     description=f"act {department} {assignee} {east_m}"),
                              op, Channel.HOTLINE, svc.clock()).incident
    return svc.incidents.act(inc.code, "reassign", op, inc.version, svc.clock(), department=department,
                             assignee=assignee, payload={"reason": "test"})


def _act(web: Any, secret: str, code: str, **body: Any) -> Any:
    return web.server.test_client().post(f"/api/v1/incidents/{code}/actions", json=body, headers=_bearer(secret))


def test_a_department_token_acts_only_on_its_departments_cases(world):
    web, codes = world
    cgj = web.services.incidents.get(codes["cgj"])
    assert _act(web, SWJ_SECRET, cgj.code, action="acknowledge", version=cgj.version).status_code == 404
    theirs = _new_case(web, "SWJ", "swj_h1", east_m=120)  # named to a person of the department: not the system's
    r = _act(web, SWJ_SECRET, theirs.code, action="acknowledge", version=theirs.version)
    assert r.status_code == 404
    mine = _new_case(web, "SWJ", None, east_m=240)
    assert _act(web, SWJ_SECRET, mine.code, action="acknowledge", version=mine.version).status_code == 200


def test_a_grid_worker_token_acts_only_on_its_users_cases(world):
    web, codes = world
    other = web.services.incidents.get(codes["gw2"])
    assert _act(web, GW_SECRET, other.code, action="acknowledge", version=other.version).status_code == 404
    own = _new_case(web, "GRID", CORE_WORKER, east_m=360)
    r = _act(web, GW_SECRET, own.code, action="acknowledge", version=own.version)
    assert r.status_code == 200 and r.get_json()["state"] == "in_progress"
    assert web.services.incidents.timeline(own.code)[-1].actor == CORE_WORKER  # acts as the user it is bound to


def test_extension_requests_through_the_api_meet_the_workbench_rules(world):
    web, _ = world
    case = _new_case(web, "SWJ", None, east_m=480)
    huge = _act(web, SWJ_SECRET, case.code, action="extension_request", version=case.version,
                note="need parts", payload={"hours": 100000})
    assert huge.status_code == 422 and huge.get_json()["field"] == "payload.hours"
    ok = _act(web, SWJ_SECRET, case.code, action="extension_request", version=case.version, note="need parts",
              payload={"hours": 8})
    assert ok.status_code == 200
    again = _act(web, SWJ_SECRET, case.code, action="extension_request", version=ok.get_json()["version"],
                 note="more", payload={"hours": 8})
    assert again.status_code == 409 and again.get_json()["code"] == "extension_pending"
    no_reason = _act(web, SWJ_SECRET, case.code, action="return", version=ok.get_json()["version"])
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "note"


@pytest.mark.parametrize("body, field", [
    ({"department": '=HYPERLINK("http://x.example","x")', "note": "move"}, "department"),
    ({"department": "SWJ", "assignee": "nobody_here", "note": "move"}, "assignee"),
    ({"department": "CGJ"}, "note"),
])
def test_an_operator_reassignment_is_validated_by_the_routing_service(world, body, field):
    web, _ = world
    case = _new_case(web, "SWJ", None, cell=OTHER_CORE_CELL, east_m=600 + 60 * len(str(body)))
    r = _act(web, OP_SECRET, case.code, action="reassign", version=case.version, **body)
    assert r.status_code == 422 and r.get_json()["field"] == field, r.get_json()
    after = web.services.incidents.get(case.code)
    assert (after.department, after.deadline) == ("SWJ", case.deadline)  # nothing changed, the deadline kept


@pytest.mark.parametrize("payload, field", [
    ({"photos": ["../../healthz"]}, "payload.photos"),
    ({"photo_urls": ["javascript:alert(1)"]}, "payload.photo_urls"),
    ({"note": "x" * 2001}, "payload.note"),
])
def test_payload_fields_are_checked_on_the_way_in(world, payload, field):
    web, _ = world
    case = _new_case(web, "SWJ", None, cell=RURAL_CELL, east_m=60 * len(str(payload)) % 900)
    r = _act(web, OP_SECRET, case.code, action="note", version=case.version, note="n", payload=payload)
    assert r.status_code == 422 and r.get_json()["field"] == field


HANDLERS = sorted(u for u, (role, _, _) in USERS.items()
                  if role in (Role.DEPT_HANDLER, Role.DEPT_HEAD, Role.GRID_WORKER) and u in READS)


@pytest.mark.parametrize("user", HANDLERS)
def test_the_workbenchs_case_view_opens_exactly_the_cases_the_policy_gives(world, user):
    """The page's own callback, called as the user (what ``/_dash-update-component`` runs), whatever row
    the browser claims was picked."""
    from callbacks import workbench as wcb
    from i18n import t
    from webapp import as_user

    web, codes = world
    for name, code in codes.items():
        with as_user(web, user):
            shown, selected = wcb.show_detail([{"code": code}], 0)
        if name in READS[user]:
            assert selected == f"{code}@{web.services.incidents.get(code).version}", (user, name)
        else:
            assert (shown, selected) == (t("handling.error.not_yours", "zh"), None), (user, name)
