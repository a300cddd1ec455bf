"""Major-incident alerts on the wall: raised by an urgent report, kept across reconnects, lowered only by
an operator's acknowledgement (an event); plus the snapshot's extra panels."""
from __future__ import annotations

from typing import Any

import pytest

from factories import WATER_COVER, operator, report
from incidents.model import Channel
from incidents.store import ConflictError
from webapp import login


def _socket(web: Any, username: str) -> Any:
    client = web.server.test_client()
    login(client, username)
    return web.socketio.test_client(web.server, flask_test_client=client)


def _events(sock: Any, name: str) -> list[Any]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == name]


def test_urgent_report_raises_an_alert_that_stays_until_an_operator_acknowledges_it(web: Any, clock: Any) -> None:
    wall = _socket(web, "wall")
    wall.get_received()
    code = web.services.dispatch.intake(report(WATER_COVER, severity="urgent"), operator(), Channel.HOTLINE,
                                        clock()).incident.code
    web.services.broadcaster.flush()
    assert [a["code"] for d in _events(wall, "delta") for a in d.get("alerts", [])] == [code]

    again = _socket(web, "wall")  # a wall that reconnects still shows it
    assert [a["code"] for a in _events(again, "snapshot")[0]["alerts"]] == [code]

    with pytest.raises(ValueError):  # the wall login may not acknowledge (read-only)
        from factories import wall as wall_actor

        web.services.incidents.act(code, "alert_acknowledged", wall_actor(), web.services.incidents.get(code).version,
                                   clock())
    inc = web.services.incidents.get(code)
    web.services.incidents.act(code, "alert_acknowledged", operator(), inc.version, clock())
    web.services.broadcaster.flush()
    assert [c for d in _events(wall, "delta") for c in d.get("acks", [])] == [code]
    assert web.services.incidents.get(code).version == inc.version  # an annotation, not a change
    assert _events(_socket(web, "wall"), "snapshot")[0]["alerts"] == []


def test_a_normal_report_raises_no_alert(web: Any, clock: Any) -> None:
    wall = _socket(web, "wall")
    wall.get_received()
    web.services.dispatch.intake(report(WATER_COVER), operator(), Channel.HOTLINE, clock())
    web.services.broadcaster.flush()
    assert all("alerts" not in d for d in _events(wall, "delta"))


def test_snapshot_carries_todays_hourly_trend_ranking_and_slim_features(web: Any, clock: Any) -> None:
    web.services.dispatch.intake(report(WATER_COVER), operator(), Channel.HOTLINE, clock())
    snap = _events(_socket(web, "wall"), "snapshot")[0]
    spark = snap["spark"]
    assert set(spark) == {"intake_today", "open", "overdue", "closed_today", "ontime_rate"}
    assert spark["intake_today"][-1] == snap["kpi"]["intake_today"] == 1  # the last point is the tile
    assert spark["open"][-1] == snap["kpi"]["open"]
    assert snap["ranking"] == []
    assert "description" not in snap["incidents"][0] and snap["incidents"][0]["grid"]


def test_wall_page_renders_with_all_panels_and_no_foreign_map_source(web: Any) -> None:
    from callbacks.pages import wall_page

    with web.server.test_request_context("/wall", base_url="http://wall.local"):
        text = str(wall_page(web.services, "zh").to_plotly_json())
    for part in ("wall-map", "wall-inset", "wall-incidents", "wall-mix", "wall-ranking", "spark-open", "wall-alert",
                 "wall-replay"):
        assert part in text
    assert "http://wall.local/geo/grids-core.geojson" in text and "http://wall.local/geo/labels.geojson" in text
    assert "https://" not in text
