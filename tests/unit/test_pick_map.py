"""The small maps of the phone and the workbench: a click layer dense enough that every tap answers, and a
pin drawn where the point is (in the map's datum)."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from geo.figures import CLICK_SPACING_PX, WORLD_PX, click_grid, pick_map, pin_map, to_display

CENTER = {"lon": 124.3061, "lat": 43.1955}
ROOT = Path(__file__).resolve().parents[2]


def _px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    world = WORLD_PX * 2 ** zoom
    s = math.sin(math.radians(lat))
    return (lon + 180) / 360 * world, (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * world


@pytest.mark.parametrize("zoom", [12, 15, 16.5])
def test_the_click_layer_puts_a_point_every_few_pixels_over_the_view_and_half_a_screen_around(zoom: float) -> None:
    lons, lats = click_grid(CENTER, zoom, 370, 260)
    xs = sorted({round(_px(x, CENTER["lat"], zoom)[0], 1) for x in lons})
    ys = sorted({round(_px(CENTER["lon"], y, zoom)[1], 1) for y in lats})
    steps = {round(b - a) for a, b in zip(xs, xs[1:])} | {round(b - a) for a, b in zip(ys, ys[1:])}
    assert steps == {CLICK_SPACING_PX}  # the same step on the screen whatever the zoom
    cx, cy = _px(CENTER["lon"], CENTER["lat"], zoom)
    assert xs[0] <= cx - 369 and xs[-1] >= cx + 369 - CLICK_SPACING_PX  # within a pixel (6 decimals)
    assert ys[0] <= cy - 259 and ys[-1] >= cy + 259 - CLICK_SPACING_PX
    # a tap anywhere is within Plotly's hover distance (20 px) of a point
    assert CLICK_SPACING_PX / math.sqrt(2) < 20
    assert len(lons) == len(lats) < 5000  # light enough for a phone


def test_the_pick_map_has_an_invisible_click_layer_and_no_pin_until_a_point_is_chosen() -> None:
    fig = pick_map(None, base_url="", view_px=(370, 260), zoom=15, center=CENTER)
    layer, ring, dot = fig.data
    assert layer.hoverinfo == "none" and layer.marker.color == "rgba(0,0,0,0)"  # events, but nothing to see
    assert list(ring.lon) == [] and list(dot.lon) == []
    assert fig.layout.clickmode == "event" and fig.layout.map.style == "white-bg"


def test_the_workbench_pin_is_drawn_in_the_maps_datum_and_centred() -> None:
    fig = pin_map(CENTER, base_url="", datum="gcj02")
    x, y = to_display([CENTER["lon"]], [CENTER["lat"]], "gcj02")
    assert list(fig.data[1].lon) == x and list(fig.data[1].lat) == y != [CENTER["lat"]]
    assert fig.layout.map.center.lon == x[0]


def test_the_phone_scripts_use_no_private_plotly_internals() -> None:
    text = (ROOT / "assets" / "32_phone.js").read_text(encoding="utf-8")
    assert "_fullLayout" not in text and "_subplot" not in text
