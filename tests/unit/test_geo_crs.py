"""WGS84 ⇄ GCJ-02 conversion (geo.crs)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.crs import gcj02_to_wgs84, out_of_china, wgs84_to_gcj02


def _metres(lon1, lat1, lon2, lat2):  # equirectangular: exact enough at these distances
    lat = np.radians((np.asarray(lat1) + np.asarray(lat2)) / 2)
    dx = np.radians(np.asarray(lon2) - np.asarray(lon1)) * np.cos(lat) * 6371008.8
    dy = np.radians(np.asarray(lat2) - np.asarray(lat1)) * 6371008.8
    return np.hypot(dx, dy)


def test_forward_matches_the_published_reference_vector():
    # Test vector of the widely used eviltransform implementation (Shanghai).
    lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)
    assert lon == pytest.approx(121.531541859215, abs=1e-9)
    assert lat == pytest.approx(31.17530398364597, abs=1e-9)


def test_round_trip_is_within_half_a_metre_across_siping_and_china():
    rng = np.random.default_rng(42)
    lons = np.concatenate([rng.uniform(123.3, 125.8, 20_000), rng.uniform(75, 135, 20_000)])
    lats = np.concatenate([rng.uniform(42.8, 44.2, 20_000), rng.uniform(18, 53, 20_000)])
    g_lon, g_lat = wgs84_to_gcj02(lons, lats)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert _metres(lons, lats, w_lon, w_lat).max() < 0.5
    # And the other way round, starting from GCJ-02 (the published boundaries' datum).
    back_lon, back_lat = wgs84_to_gcj02(*gcj02_to_wgs84(lons, lats))
    assert _metres(lons, lats, back_lon, back_lat).max() < 0.5


def test_offset_near_siping_is_a_few_hundred_metres():
    # The 铁西区 government seat as published (GCJ-02).
    g_lon, g_lat = 124.360894, 43.176263
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    offset = float(_metres(g_lon, g_lat, w_lon, w_lat))
    assert 300 < offset < 900
    # GCJ-02 is shifted north-east of WGS84 here.
    assert g_lon > w_lon and g_lat > w_lat


def test_scalars_give_floats_and_arrays_keep_their_shape():
    lon, lat = gcj02_to_wgs84(124.36, 43.17)
    assert isinstance(lon, float) and isinstance(lat, float)
    arr_lon, arr_lat = wgs84_to_gcj02(np.full((3, 2), 124.36), np.full((3, 2), 43.17))
    assert arr_lon.shape == (3, 2) and arr_lat.shape == (3, 2)
    assert arr_lon[0, 0] == pytest.approx(wgs84_to_gcj02(124.36, 43.17)[0])


def test_points_outside_china_are_unchanged():
    assert out_of_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)
    assert not math.isclose(wgs84_to_gcj02(124.36, 43.17)[0], 124.36, abs_tol=1e-4)


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        gcj02_to_wgs84([1.0, 2.0], [1.0])
