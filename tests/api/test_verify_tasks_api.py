"""核查任务 end to end in one app: the verifier sends the cell's grid worker; the push reaches that worker's room;
only that worker reads and answers (the API answers 403/404/409/422 as for other actions); the answer and reused
photos show in the verifier's case file; photos keep their receipt time and the device's position."""
from __future__ import annotations

import io
from typing import Any, Iterator

import pytest
from PIL import Image, ImageDraw

import app as cityops_app
import factories as f
from callbacks import case as case_cb
from callbacks import verify_task as vt_cb
from dispatch.handling import HandlingError, Photo
from incidents import photos as photo_store
from incidents.model import Actor, Channel, Role
from incidents.records import UserRow
from webapp import _hash, as_user, login

TOKENS = ("ver:verifier:secret-verifier-1,gw:grid_worker@user=gw_a:secret-gw-a-001,"
          "gwb:grid_worker@user=gw_b:secret-gw-b-001,hd:dept_handler@user=handler_a:secret-hd-a-001")
HANDLER = Actor("handler_a", Role.DEPT_HANDLER, "SWJ")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


VER, GW, GWB = bearer("secret-verifier-1"), bearer("secret-gw-a-001"), bearer("secret-gw-b-001")


def photo(seed: int, quality: int = 90, size: tuple[int, int] = (320, 240)) -> bytes:
    img = Image.new("RGB", (320, 240), (80, 100, 120))
    draw = ImageDraw.Draw(img)
    for k in range(6):
        x, y = (seed * 37 + k * 53) % 280, (seed * 71 + k * 29) % 200
        draw.rectangle([x, y, x + 40, y + 30], fill=((seed * 40 + k * 30) % 255, (k * 60) % 255, 200 - k * 20))
    out = io.BytesIO()
    img.resize(size).save(out, "JPEG", quality=quality)
    return out.getvalue()


@pytest.fixture
def vt(settings_factory: Any, clock: Any) -> Iterator[Any]:
    app = cityops_app.create_app(settings_factory(api_tokens=TOKENS), clock, background=False)
    with app.services.db.write.begin() as s:
        for name, role, dept, display in (("verifier", "verifier", None, "核查员甲"), ("gw_a", "grid_worker", "GRID", "网格员甲"),
                                          ("gw_b", "grid_worker", "GRID", "网格员乙"), ("handler_a", "dept_handler", "SWJ", "王师傅"),
                                          ("operator", "operator", None, "话务员")):
            s.add(UserRow(username=name, password_hash=_hash(), role=role, display_name=display, department=dept))
    yield app
    app.services.db.dispose()


def resolved(app: Any, data: bytes | None = None) -> Any:
    svc = app.services
    inc = svc.dispatch.intake(f.report(grid=svc.grid), f.operator(), Channel.HOTLINE, svc.clock()).incident
    if inc.state.value != "dispatched":
        inc = svc.routing.dispatch(inc.code, f.operator(), inc.version, svc.clock(), "SWJ", HANDLER.name)
    else:
        inc = svc.routing.reassign(inc.code, f.operator(), inc.version, svc.clock(), department="SWJ",
                                   assignee=HANDLER.name, reason="测试")
    inc = svc.handling.act(inc.code, "acknowledge", HANDLER, inc.version, svc.clock())
    return svc.handling.act(inc.code, "resolve", HANDLER, inc.version, svc.clock(), text="已处理",
                            photos=[Photo("after.jpg", data or photo(1))])


def act(client: Any, code: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"/api/v1/incidents/{code}/actions", json=body, headers=headers)


def test_a_task_through_the_api_answers_like_every_other_action(vt: Any) -> None:
    case = resolved(vt)
    c = vt.server.test_client()
    v = case.version
    assert act(c, case.code, GW, action="verify_task_sent", version=v, payload={"worker": "gw_a"}).status_code == 404
    assert c.get(f"/api/v1/incidents/{case.code}", headers=GW).status_code == 404  # not theirs yet: not found
    HD = bearer("secret-hd-a-001")  # the handler acts on the case, but may not send a task on their own work
    assert act(c, case.code, HD, action="verify_task_sent", version=v, payload={"worker": "gw_a"}).status_code == 403
    bad = act(c, case.code, VER, action="verify_task_sent", version=v, payload={"worker": "handler_a"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "payload.worker"
    assert act(c, case.code, VER, action="verify_task_sent", version=v + 1,
               payload={"worker": "gw_a"}).status_code == 409  # a stale version
    sent = act(c, case.code, VER, action="verify_task_sent", version=v, payload={"worker": "gw_a"}, note="看看井盖")
    assert sent.status_code == 200 and sent.get_json()["version"] == v  # an annotation: no new version
    again = act(c, case.code, VER, action="verify_task_sent", version=v, payload={"worker": "gw_b"})
    assert again.status_code == 409 and again.get_json()["code"] == "task_open"

    assert c.get(f"/api/v1/incidents/{case.code}", headers=GW).status_code == 200  # the named worker reads it
    assert c.get(f"/api/v1/incidents/{case.code}", headers=GWB).status_code == 404
    assert act(c, case.code, GWB, action="verify_task_answered", version=v,
               payload={"verdict": "resolved", "photo_urls": ["https://x.example/p.jpg"]}).status_code == 404
    assert act(c, case.code, GW, action="verify_task_answered", version=v,
               payload={"verdict": "maybe"}).get_json()["code"] == "task_verdict"
    no_photo = act(c, case.code, GW, action="verify_task_answered", version=v, payload={"verdict": "resolved"})
    assert no_photo.status_code == 422 and no_photo.get_json()["code"] == "photo_required"
    assert act(c, case.code, GW, action="verify_task_answered", version=v, payload={"verdict": "unresolved",
               "photo_urls": ["https://x.example/p.jpg"]}).get_json()["code"] == "note_required"
    answered = act(c, case.code, GW, action="verify_task_answered", version=v, note="井盖仍缺失",
                   payload={"verdict": "unresolved", "photo_urls": ["https://x.example/p.jpg"]})
    assert answered.status_code == 200
    assert act(c, case.code, GW, action="verify_task_answered", version=v, note="x",
               payload={"verdict": "resolved", "photo_urls": ["https://x.example/p.jpg"]}).status_code == 404
    assert c.get(f"/api/v1/incidents/{case.code}", headers=GW).status_code == 404  # the task is over
    assert act(c, "2099010100001", VER, action="verify_task_sent", version=1,
               payload={"worker": "gw_a"}).status_code == 404
    assert act(c, case.code, VER, action="note", version=v, payload={"worker": "gw_a"}).status_code == 422
    events = c.get(f"/api/v1/incidents/{case.code}/events", headers=VER).get_json()["items"]
    assert [e["action"] for e in events][-2:] == ["verify_task_sent", "verify_task_answered"]
    assert events[-1]["payload"]["verdict"] == "unresolved" and events[-2]["payload"]["worker"] == "gw_a"
    passed = act(c, case.code, VER, action="verify_fail", version=v, note="网格员核查未解决")
    assert passed.status_code == 200 and passed.get_json()["state"] == "in_progress"


def test_the_push_reaches_the_named_workers_room_and_the_workbench_lists_the_task(vt: Any) -> None:
    case = resolved(vt)
    socks = {}
    for name in ("gw_a", "gw_b"):
        client = vt.server.test_client()
        login(client, name)
        socks[name] = vt.socketio.test_client(vt.server, flask_test_client=client)
        socks[name].get_received()
    vt.services.verify_tasks.send(case.code, Actor("verifier", Role.VERIFIER), case.version, vt.services.clock(), "gw_a")
    pushed = [m["args"][0] for m in socks["gw_a"].get_received() if m["name"] == "assignment"]
    assert [(p["action"], p["incident"]["code"]) for p in pushed] == [("verify_task_sent", case.code)]
    assert not [m for m in socks["gw_b"].get_received() if m["name"] == "assignment"]
    with as_user(vt, "gw_a"):
        options, hidden = vt_cb.my_tasks(0, 0)
    assert not hidden and options[0]["value"] == f"{case.code}@{case.version}"
    with as_user(vt, "handler_a"):
        assert vt_cb.my_tasks(0, 0) == ([], True)  # not a grid worker: the section stays hidden

    # the default worker is the cell's, never the case's own handler; one who has no login is refused
    other = resolved(vt)
    svc = vt.services
    cell_worker = svc.reference.get().rules.worker_for(other.grid)
    assert cell_worker and svc.verify_tasks.default_worker(other) == cell_worker
    assert svc.verify_tasks.default_worker(other.evolve(assignee=cell_worker)) is None
    with pytest.raises(HandlingError) as refused:
        svc.verify_tasks.send(other.code, Actor("verifier", Role.VERIFIER), other.version, svc.clock(), None)
    assert refused.value.key == "task_worker"


def test_the_worker_answers_on_the_workbench_and_the_verifier_sees_it_with_the_reused_photo(vt: Any) -> None:
    svc = vt.services
    first = resolved(vt, photo(4))
    second = resolved(vt, photo(4, quality=60, size=(300, 225)))  # the same scene re-sent: near-identical
    third = resolved(vt, photo(9))
    verifier = Actor("verifier", Role.VERIFIER)
    svc.verify_tasks.send(second.code, verifier, second.version, svc.clock(), "gw_a", "请现场核实")
    with as_user(vt, "verifier"):
        options, default = vt_cb.worker_choices(f"{second.code}@{second.version}")
    assert {o["value"] for o in options} >= {"gw_a", "gw_b"} and "handler_a" not in {o["value"] for o in options}

    import base64
    data_url = "data:image/jpeg;base64," + base64.b64encode(photo(11)).decode()
    with as_user(vt, "gw_a"):
        options, hidden = vt_cb.my_tasks(0, 0)
        assert not hidden and [o["value"] for o in options] == [f"{second.code}@{second.version}"]
        refused, _, kept = vt_cb.answer(1, options[0]["value"], None, "", data_url, "p.jpg", None, 0)
        assert "核查结论" in refused and kept is not None  # no verdict: the photo stays for another try
        message, _, cleared = vt_cb.answer(1, options[0]["value"], "resolved", "现场已修复", data_url, "p.jpg",
                                           {"lon": 124.35, "lat": 43.17, "accuracy": 15}, 0)
    assert second.code in message and cleared is None
    with as_user(vt, "gw_b"):
        assert vt_cb.my_tasks(0, 0)[0] == []

    with svc.db.read() as s:
        rows = photo_store.provenance_of(second.code, session=s)
    answer_rows = [r for r in rows.values() if r.action == "verify_task_answered"]
    assert len(answer_rows) == 1 and answer_rows[0].lon == 124.35 and answer_rows[0].accuracy_m == 15
    assert all(r.received_at == svc.clock() for r in rows.values())

    with as_user(vt, "verifier"):
        page = str(case_cb.build(svc, "zh", code=second.code).to_plotly_json())
        clean = str(case_cb.build(svc, "zh", code=third.code).to_plotly_json())
    for words in ("核查任务", "网格员甲", "属实已解决", "现场已修复", "此照片也用于案件", first.code, "124.35000"):
        assert words in page, words
    assert "此照片也用于案件" not in clean
    with as_user(vt, "handler_a"):  # the handler is not told which photo gave them away
        assert "此照片也用于案件" not in str(case_cb.build(svc, "zh", code=second.code).to_plotly_json())
