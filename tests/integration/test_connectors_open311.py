"""A department whose own system speaks Open311 GeoReport v2: we POST the request to its server, poll
its updates and turn them into our events. The department's server is another CityOps (our own Open311
server) on its own database, served over real HTTP on 127.0.0.1."""
from __future__ import annotations

import pytest
from flask import Flask

import factories as f
import app as cityops_app
from dept_servers import WsgiServer
from dispatch.connectors import ConnectorError
from dispatch.outbox import connector_from
from incidents.model import Actor, Channel, Role, State

KEY = "their-open311-key-123"
ADMIN = Actor("admin1", Role.ADMIN)
THEIR_HANDLER = Actor("their_handler", Role.DEPT_HANDLER, "SWJ")


@pytest.fixture
def department(settings_factory, clock):
    """The department's system: services on a second database, its Open311 API on a real port."""
    from api import install

    theirs = cityops_app.build_services(settings_factory(api_tokens=f"cityops:operator:{KEY}"), clock=clock)
    server = Flask("department")
    server.extensions["cityops"] = theirs
    install(server, theirs)
    http = WsgiServer(server)
    theirs.url = f"http://127.0.0.1:{http.port}/open311/v2"
    yield theirs
    http.stop()
    theirs.db.dispose()


def test_open311_round_trip_posts_the_request_and_maps_their_statuses_to_our_actions(services, department, clock):
    services.exchange.configure(connector_from("SWJ", "open311", department.url, KEY, options={
        "status_map": {"处置中": "acknowledge", "closed": "resolve"}}), ADMIN, clock())
    ours = services.dispatch.intake(f.report(grid=services.grid), f.operator(), Channel.HOTLINE, clock()).incident
    delivered = services.exchange.deliver_due(clock())
    assert delivered.delivered == [f"{ours.code}-3"]
    remote_id = services.exchange.connectors() and _remote_id(services)
    theirs = department.incidents.get(remote_id)
    assert theirs.channel == Channel.OPEN311 and theirs.category == ours.category and ours.code in theirs.description
    assert services.exchange.poll_open311(clock()) == []  # "open / 已派遣" maps to nothing: still dispatched

    clock.advance(minutes=10)
    theirs = department.incidents.act(theirs.code, "acknowledge", THEIR_HANDLER, theirs.version, clock())
    assert services.exchange.poll_open311(clock()) == [(ours.code, "acknowledge")]
    assert services.exchange.poll_open311(clock()) == []  # polls repeat; answers are applied once

    clock.advance(hours=2)
    theirs = department.incidents.act(theirs.code, "resolve", THEIR_HANDLER, theirs.version, clock())
    department.incidents.act(theirs.code, "verify_pass", Actor("v", Role.VERIFIER), theirs.version, clock())
    assert services.exchange.poll_open311(clock()) == [(ours.code, "resolve")]
    assert services.incidents.get(ours.code).state == State.RESOLVED
    events = services.incidents.timeline(ours.code)[-2:]
    assert {(e.actor, e.payload["via"], e.payload["remote_id"]) for e in events} == {
        ("open311:SWJ", "open311:SWJ", remote_id)}


def test_a_resent_open311_request_makes_no_second_request_there(services, department, clock):
    """A lost answer makes us POST again; the Idempotency-Key header makes our Open311 server answer
    with the first request instead of filing a twin."""
    services.exchange.configure(connector_from("SWJ", "open311", department.url, KEY), ADMIN, clock())
    services.dispatch.intake(f.report(grid=services.grid), f.operator(), Channel.HOTLINE, clock())
    services.exchange.deliver_due(clock())
    first = _remote_id(services)
    from incidents.records import OutboxRow
    from sqlalchemy import update

    with services.db.write.begin() as s:
        s.execute(update(OutboxRow).values(status="pending", remote_id=None))
    services.exchange.deliver_due(clock())
    assert _remote_id(services) == first and len(department.incidents.list()) == 1


def test_a_connector_that_cannot_work_is_refused_naming_the_field(services, clock):
    cases = [(connector_from("SWJ", "fax"), "kind"), (connector_from("SWJ", "webhook", "ftp://x"), "url"),
             (connector_from("SWJ", "webhook", "http://127.0.0.1:1/h", "short"), "secret"),
             (connector_from("SWJ", "open311", "http://127.0.0.1:1/o", options={"status_map": {"closed": "close"}}),
              "options"),
             (connector_from("NOPE", "none"), "department")]
    for connector, field in cases:
        with pytest.raises(ConnectorError) as exc:
            services.exchange.configure(connector, ADMIN, clock(), services.reference.get().departments)
        assert exc.value.field == field
    assert services.exchange.connectors() == []


def _remote_id(services):
    from incidents.records import OutboxRow
    from sqlalchemy import select

    with services.db.read() as s:
        return s.scalar(select(OutboxRow.remote_id))
