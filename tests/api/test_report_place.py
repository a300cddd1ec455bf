"""The patrol page's place, called as callbacks in a logged-in request: a map tap (or a dragged pin) or the
phone's position becomes the stored WGS84 point, named and pinned; outside the city or without a position,
a message."""
from __future__ import annotations

from typing import Any

from dash import no_update

from callbacks import report as rcb
from layouts import ids
from layouts.map import click_id
from test_queue_dispatch import triggered
from webapp import as_user

INSIDE = (124.3061, 43.1955)  # 铁西区 第1街道 第1社区


def _pin(children: list[Any]) -> tuple[float, float]:
    """The (lon, lat) of the one pin a callback put in the map's pin layer."""
    (marker,) = children
    lat, lon = marker.position
    return lon, lat


def test_a_tap_on_the_map_stores_the_point_names_it_and_moves_the_pin(web: Any) -> None:
    with as_user(web, "grid_worker"), triggered(click_id(ids.REPORT_MAP), "data"):
        lon, lat, pin, view, place, error = rcb.place_pin({"lon": INSIDE[0], "lat": INSIDE[1]}, None)
    assert (lon, lat) == INSIDE and error == "" and view is no_update  # the view stays where the finger left it
    assert "铁西区" in place and "第1社区" in place
    assert _pin(pin) == INSIDE and pin[0].draggable  # the pin is there, and may be dragged to adjust


def test_the_phones_position_is_stored_as_given_and_brings_the_map_to_it(web: Any) -> None:
    with as_user(web, "grid_worker"), triggered(ids.REPORT_GPS, "data"):
        lon, lat, pin, view, place, _ = rcb.place_pin(None, {"lon": INSIDE[0], "lat": INSIDE[1], "at": 1})
        failed = rcb.place_pin(None, {"error": "1"})
    assert (lon, lat) == INSIDE and _pin(pin) == INSIDE and "铁西区" in place
    assert view["center"] == [INSIDE[1], INSIDE[0]] and view["zoom"] >= 16  # the map goes to the worker
    assert failed[:5] == (no_update,) * 5 and "定位" in failed[5]


def test_a_tap_outside_the_city_is_refused_with_a_message(web: Any) -> None:
    with as_user(web, "grid_worker"), triggered(click_id(ids.REPORT_MAP), "data"):
        *kept, error = rcb.place_pin({"lon": 100.0, "lat": 30.0}, None)
    assert kept == [no_update] * 5 and "不在本市" in error


def test_a_stored_report_empties_the_form_and_a_refused_one_keeps_it(web: Any, tmp_path: Any) -> None:
    import factories as f

    web.services.settings.uploads_dir = tmp_path
    with as_user(web, "grid_worker"):
        stored = rcb.send(1, None, INSIDE[0], INSIDE[1], f.GARBAGE, "路边垃圾", False)
        refused = rcb.send(2, None, None, None, f.GARBAGE, "没有位置", False)
    assert "案件编号" in stored[0] and stored[1:] == (None, None, "", False, None)
    assert refused[1:] == (no_update,) * 5
