"""Archive: finished incidents older than the cut-off go to a gzip JSON-lines file with their events,
through the CLI; the file replays to the same incidents, and nothing newer or still open is in it."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta

import factories as f
from api.exchange_cli import main as cli
from incidents.archive import read_archive
from incidents.changes import replay
from incidents.events import Event
from incidents.model import Actor, Channel, Role

HANDLER = Actor("h1", Role.DEPT_HANDLER, "SWJ")
VERIFIER = Actor("v1", Role.VERIFIER)


def closed_incident(services, clock, east_m):
    inc = services.dispatch.intake(f.report(grid=services.grid, east_m=east_m), f.operator(), Channel.HOTLINE,
                                   clock()).incident
    for action, actor in (("acknowledge", HANDLER), ("resolve", HANDLER), ("verify_pass", VERIFIER)):
        clock.advance(hours=1)
        inc = services.incidents.act(inc.code, action, actor, inc.version, clock())
    return inc


def _event(d):
    fields = {k: d[k] for k in ("incident_id", "seq", "actor", "action", "from_state", "to_state", "department",
                                "assignee", "payload", "version")}
    at = lambda v: datetime.fromisoformat(v) if v else None  # noqa: E731
    return Event(at=at(d["at"]), deadline=at(d["deadline"]), **fields)


def test_archive_cli_exports_old_finished_incidents_with_their_events(services, clock, tmp_path, capsys):
    old = [closed_incident(services, clock, 300 * n) for n in range(3)]
    still_open = services.dispatch.intake(f.report(grid=services.grid, east_m=2000), f.operator(), Channel.HOTLINE,
                                          clock()).incident
    clock.advance(days=200)
    recent = closed_incident(services, clock, 3000)
    cut = (clock() - timedelta(days=100)).date().isoformat()
    path = tmp_path / "archive.jsonl.gz"
    assert cli(["archive", "--before", cut, str(path)], lambda: services) == 0
    assert "3 finished incidents" in capsys.readouterr().out
    items = list(read_archive(path))
    assert [i["incident"]["code"] for i in items] == [o.code for o in old]
    for item, inc in zip(items, old):
        assert [e["action"] for e in item["events"]] == ["created", "file", "dispatch", "acknowledge", "resolve",
                                                         "verify_pass"]
        assert replay([_event(e) for e in item["events"]]) == services.incidents.get(inc.code)
    with gzip.open(path, "rt", encoding="utf-8") as fh:  # plain JSON lines under gzip: zcat | jq works
        assert json.loads(fh.readline())["format"] == "cityops-archive/1"
    assert still_open.code not in {i["incident"]["code"] for i in items} and recent.code not in path.name
    # copying, not moving: every indicator "as of" stays as it was
    assert services.incidents.get(old[0].code).state.value == "closed"
