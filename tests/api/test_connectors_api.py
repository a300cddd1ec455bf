"""Status back through the JSON API: a department's system holding a token bound to its department
acknowledges, returns and resolves (with a note and links to its own photos); every event names the system."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

import app as cityops_app
import factories as f
from incidents.model import Channel

SYSTEM_SECRET = "swj-system-secret-123456"


@pytest.fixture
def dept_client(settings_factory: Any, clock: Any) -> Iterator[Any]:
    dash_app = cityops_app.create_app(settings_factory(api_tokens=f"swj-system:dept_handler@dept=SWJ:{SYSTEM_SECRET}"), clock,
                                      background=False)
    yield dash_app
    dash_app.services.db.dispose()


def _act(client: Any, code: str, **body: Any) -> Any:
    return client.post(f"/api/v1/incidents/{code}/actions", json=body,
                       headers={"Authorization": f"Bearer {SYSTEM_SECRET}"})


def test_a_department_system_acts_through_the_api_with_its_token(dept_client):
    svc = dept_client.services
    client = dept_client.server.test_client()
    one = svc.dispatch.intake(f.report(grid=svc.grid), f.operator(), Channel.API, svc.clock()).incident
    two = svc.dispatch.intake(f.report(grid=svc.grid, east_m=300), f.operator(), Channel.API, svc.clock()).incident
    r = _act(client, one.code, action="acknowledge", version=one.version)
    assert r.status_code == 200 and r.get_json()["state"] == "in_progress"
    r = _act(client, one.code, action="resolve", version=r.get_json()["version"], note="井盖已更换",
             payload={"photo_urls": ["https://swj.example/photos/1.jpg"]})
    assert r.status_code == 200 and r.get_json()["state"] == "resolved"
    r = _act(client, two.code, action="return", version=two.version, note="不属于本部门")
    assert r.status_code == 200 and r.get_json()["state"] == "accepted"
    assert _act(client, two.code, action="dispatch", version=r.get_json()["version"],
                department="CGJ").status_code == 404  # returned: no longer the department's to see or act on
    events = svc.incidents.timeline(one.code)[-2:] + svc.incidents.timeline(two.code)[-1:]
    assert [(e.action, e.actor, e.payload["via"]) for e in events] == [
        ("acknowledge", "swj-system", "api"), ("resolve", "swj-system", "api"), ("return", "swj-system", "api")]
    assert events[1].payload["note"] == "井盖已更换"
    assert events[1].payload["photo_urls"] == ["https://swj.example/photos/1.jpg"]
