"""The patrol page's place, called as callbacks in a logged-in request: a map tap or the phone's position
becomes the stored WGS84 point, named and pinned; outside the city or without a position, a message."""
from __future__ import annotations

from typing import Any

from dash import no_update

from callbacks import report as rcb
from layouts import ids
from test_queue_dispatch import triggered
from webapp import as_user

INSIDE = (124.3061, 43.1955)  # 铁西区 第1街道 第1社区


def test_a_tap_on_the_map_stores_the_point_names_it_and_moves_the_pin(web: Any) -> None:
    click = {"points": [{"lon": INSIDE[0], "lat": INSIDE[1], "curveNumber": 0}]}
    with as_user(web, "grid_worker"), triggered(ids.REPORT_MAP, "clickData"):
        lon, lat, fig, new_map, place, error = rcb.place_pin(click, None)
    assert (lon, lat) == INSIDE and error == "" and new_map is no_update
    assert "铁西区" in place and "第1社区" in place
    assert fig.to_plotly_json()["operations"]  # a patch of the pin only, not a new figure


def test_the_phones_position_is_stored_as_given_and_brings_the_map_to_it(web: Any) -> None:
    with as_user(web, "grid_worker"), triggered(ids.REPORT_GPS, "data"):
        lon, lat, fig, new_map, place, _ = rcb.place_pin(None, {"lon": INSIDE[0], "lat": INSIDE[1], "at": 1})
        failed = rcb.place_pin(None, {"error": "1"})
    assert (lon, lat) == INSIDE and fig is no_update and "铁西区" in place
    graph = new_map.children  # a new map, centred on the worker, the pin on them
    assert graph.figure.layout.map.center.lon == INSIDE[0] and list(graph.figure.data[2].lon) == [INSIDE[0]]
    assert failed[:5] == (no_update,) * 5 and "定位" in failed[5]


def test_a_tap_outside_the_city_is_refused_with_a_message(web: Any) -> None:
    with as_user(web, "grid_worker"), triggered(ids.REPORT_MAP, "clickData"):
        *kept, error = rcb.place_pin({"points": [{"lon": 100.0, "lat": 30.0}]}, None)
    assert kept == [no_update] * 5 and "不在本市" in error


def test_a_pan_lays_the_click_layer_over_the_new_view(web: Any) -> None:
    with as_user(web, "grid_worker"):
        fig = rcb.follow_view({"map.center": {"lon": INSIDE[0], "lat": INSIDE[1]}, "map.zoom": 15})
        assert rcb.follow_view({"autosize": True}) is no_update
    assert "lon" in str(fig.to_plotly_json())


def test_a_stored_report_empties_the_form_and_a_refused_one_keeps_it(web: Any, tmp_path: Any) -> None:
    import factories as f

    web.services.settings.uploads_dir = tmp_path
    with as_user(web, "grid_worker"):
        stored = rcb.send(1, None, INSIDE[0], INSIDE[1], f.GARBAGE, "路边垃圾", False)
        refused = rcb.send(2, None, None, None, f.GARBAGE, "没有位置", False)
    assert "案件编号" in stored[0] and stored[1:] == (None, None, "", False, None)
    assert refused[1:] == (no_update,) * 5
