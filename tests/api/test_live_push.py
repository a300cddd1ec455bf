"""Socket.IO: the server refuses anonymous sockets, chooses the rooms, sends a snapshot, pushes deltas."""
from __future__ import annotations

from typing import Any

from webapp import login
from factories import WATER_COVER, report
from incidents.model import Actor, Channel, Role


def _socket(web: Any, username: str | None) -> Any:
    client = web.server.test_client()
    if username:
        login(client, username)
    return web.socketio.test_client(web.server, flask_test_client=client)


def _events(sock: Any, name: str) -> list[Any]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == name]


def test_anonymous_socket_is_refused(web: Any) -> None:
    assert not _socket(web, None).is_connected()


def test_wall_gets_a_snapshot_on_connect_then_a_delta_per_commit(web: Any, clock: Any) -> None:
    wall = _socket(web, "wall")
    assert wall.is_connected()
    snapshot = _events(wall, "snapshot")
    assert len(snapshot) == 1 and snapshot[0]["kpi"]["open"] == 0 and snapshot[0]["incidents"] == []

    result = web.services.dispatch.intake(report(WATER_COVER), Actor("operator", Role.OPERATOR), Channel.HOTLINE, clock())
    web.services.broadcaster.flush()  # the end of the ~50 ms window, without waiting for it

    deltas = _events(wall, "delta")
    assert len(deltas) == 1  # one commit (one window) → one delta, carrying its three events as ticker lines
    delta = deltas[0]
    assert [e["action"] for e in delta["events"]] == ["created", "file", "dispatch"]
    assert delta["events"][-1]["code"] == result.incident.code
    assert [i["code"] for i in delta["upsert"]] == [result.incident.code] and delta["remove"] == []
    assert delta["kpi"]["open"] == 1 and delta["kpi"]["intake_today"] == 1


def test_department_handler_gets_assignments_but_not_the_wall_feed(web: Any, clock: Any) -> None:
    handler = _socket(web, "dept_handler")  # department SWJ in the fixture
    assert handler.is_connected()
    assert _events(handler, "snapshot") == []  # not in the wall room: no city-wide snapshot either
    web.services.dispatch.intake(report(WATER_COVER), Actor("operator", Role.OPERATOR), Channel.HOTLINE, clock())
    web.services.broadcaster.flush()
    received = handler.get_received()
    names = [m["name"] for m in received]
    assert "delta" not in names
    assert any(m["name"] == "assignment" and m["args"][0]["incident"]["department"] == "SWJ" for m in received)


def test_a_refused_report_pushes_nothing(web: Any, clock: Any) -> None:
    wall = _socket(web, "wall")
    wall.get_received()
    try:
        web.services.dispatch.intake(report(WATER_COVER, description=""), Actor("operator", Role.OPERATOR),
                                     Channel.HOTLINE, clock())
    except ValueError:
        pass
    assert web.services.broadcaster.flush() == 0
    assert _events(wall, "delta") == []


def test_pushes_reach_only_those_who_may_read_the_case_and_carry_no_phone(web: Any, clock: Any) -> None:
    """Grid workers have only their own room (no shared ``dept:GRID``); a department's handlers share the cases
    with no named assignee, its head all of them; a pushed payload never carries the reporter's number."""
    from incidents.records import UserRow
    from webapp import _hash

    with web.services.db.write.begin() as s:
        s.add_all([UserRow(username=n, password_hash=_hash(), role=r, display_name=n, department=d)
                   for n, r, d in (("gw_a", "grid_worker", "GRID"), ("gw_b", "grid_worker", "GRID"),
                                   ("swj_other", "dept_handler", "SWJ"))])
    socks = {name: _socket(web, name) for name in ("gw_a", "gw_b", "dept_handler", "swj_other", "dept_head")}
    for sock in socks.values():
        sock.get_received()
    op = Actor("operator", Role.OPERATOR)
    svc = web.services
    a = svc.dispatch.intake(report(WATER_COVER), op, Channel.HOTLINE, clock()).incident  # SWJ, no assignee
    web.services.broadcaster.flush()
    got = {n: [m["args"][0] for m in s.get_received() if m["name"] == "assignment"] for n, s in socks.items()}
    assert got["gw_a"] == got["gw_b"] == []
    for name in ("dept_handler", "swj_other", "dept_head"):
        assert {m["incident"]["code"] for m in got[name]} == {a.code}, name
        created = [m for m in got[name] if m["action"] == "created"]
        assert all(m["payload"]["reporter_phone"] == "138****8000" for m in created)
    svc.incidents.act(a.code, "reassign", op, svc.incidents.get(a.code).version, clock(), department="GRID",
                      assignee="gw_a", payload={"reason": "grid work"})
    web.services.broadcaster.flush()
    got = {n: [m["args"][0] for m in s.get_received() if m["name"] == "assignment"] for n, s in socks.items()}
    assert [m["incident"]["code"] for m in got["gw_a"]] == [a.code]
    assert got["gw_b"] == [] and got["swj_other"] == []
    assert got["dept_handler"] == []  # it left the department: nothing more about it


def test_a_socket_whose_login_ended_is_disconnected_at_the_next_recheck(web: Any) -> None:
    """A socket is checked at its handshake; after a logout elsewhere (the session token rotated) the open
    socket of the old session is cut by the periodic re-check instead of receiving pushes until a reload."""
    from webapp import logout

    client = web.server.test_client()
    login(client, "wall")
    sock = web.socketio.test_client(web.server, flask_test_client=client)
    other = _socket(web, "operator")
    assert sock.is_connected() and web.services.broadcaster.recheck() == 0
    logout(_logged_in(web, "wall"))  # the same user logs out on another screen: every session of theirs ends
    assert web.services.broadcaster.recheck() == 1
    assert not sock.is_connected() and other.is_connected()


def _logged_in(web: Any, username: str) -> Any:
    client = web.server.test_client()
    login(client, username)
    return client
