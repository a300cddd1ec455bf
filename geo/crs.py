"""Datum conversion between WGS84 and GCJ-02 — the one place CityOps changes datum.

Boundaries published by Chinese web-map providers (our district polygons) are in GCJ-02, a
deliberately obfuscated datum offset from WGS84 by a few hundred metres around Siping; phones,
sensors and our stored coordinates are WGS84. The forward transform is the widely published
GCJ-02 formula (Krasovsky ellipsoid constants); it has no closed-form inverse, so
``gcj02_to_wgs84`` inverts it by fixed-point iteration, which converges because the offset
varies slowly (its Jacobian is close to the identity).

Both functions are vectorised over numpy arrays and also accept plain scalars (then they return
a pair of floats). Points outside China are returned unchanged, as the standard formula does.
"""

from __future__ import annotations

from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["gcj02_to_wgs84", "wgs84_to_gcj02", "out_of_china"]

# Krasovsky 1940 semi-major axis and eccentricity squared, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323

# Inverse iteration: stop when the forward image is within ~1e-10 degrees (~0.01 mm) of the
# target; the offset's gradient is ~1e-5, so a handful of steps suffices — the cap is a guard.
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30

FloatArray = NDArray[np.float64]


def out_of_china(lons: ArrayLike, lats: ArrayLike) -> NDArray[np.bool_]:
    """True where the rough China bounding box used by the formula excludes the point."""
    lons = np.asarray(lons, dtype=np.float64)
    lats = np.asarray(lats, dtype=np.float64)
    return (lons < 72.004) | (lons > 137.8347) | (lats < 0.8293) | (lats > 55.8271)


def _offset(lons: FloatArray, lats: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS84 (degrees) at WGS84 points, zero outside China."""
    x = lons - 105.0
    y = lats - 35.0
    pi = np.pi
    # Shared periodic term of both polynomials.
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    rad_lat = lats / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    outside = out_of_china(lons, lats)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _as_arrays(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray, bool]:
    lon_a = np.asarray(lons, dtype=np.float64)
    lat_a = np.asarray(lats, dtype=np.float64)
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"lons and lats differ in shape: {lon_a.shape} vs {lat_a.shape}")
    return lon_a, lat_a, lon_a.ndim == 0


@overload
def wgs84_to_gcj02(lons: float, lats: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_gcj02(lons, lats):  # type: ignore[no-untyped-def]
    """Convert WGS84 longitude/latitude (degrees) to GCJ-02."""
    lon_a, lat_a, scalar = _as_arrays(lons, lats)
    dlon, dlat = _offset(lon_a, lat_a)
    out_lon, out_lat = lon_a + dlon, lat_a + dlat
    if scalar:
        return float(out_lon), float(out_lat)
    return out_lon, out_lat


@overload
def gcj02_to_wgs84(lons: float, lats: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_wgs84(lons, lats):  # type: ignore[no-untyped-def]
    """Convert GCJ-02 longitude/latitude (degrees) to WGS84 (error well under 1 mm)."""
    g_lon, g_lat, scalar = _as_arrays(lons, lats)
    # Start from the GCJ point itself and move by the residual of the forward transform.
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(_MAX_ITERATIONS):
        dlon, dlat = _offset(w_lon, w_lat)
        r_lon = (w_lon + dlon) - g_lon
        r_lat = (w_lat + dlat) - g_lat
        w_lon = w_lon - r_lon
        w_lat = w_lat - r_lat
        if r_lon.size == 0 or max(np.max(np.abs(r_lon)), np.max(np.abs(r_lat))) < _TOLERANCE_DEG:
            break
    if scalar:
        return float(w_lon), float(w_lat)
    return w_lon, w_lat
