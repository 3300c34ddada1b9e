"""Great-circle distances (haversine) and the chord radius used by the spatial index."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# IUGG mean Earth radius (2R+a)/3, the usual choice for haversine on a sphere.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distance in km between points given in degrees; broadcasts like numpy."""
    # Broadcast to contiguous arrays first so that every element goes through the same numpy
    # loop: a pair then gets bit-for-bit the same distance in a batch and on its own.
    # (0-d inputs take numpy's scalar path, which can differ in the last bit, hence ravel.)
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (lat1, lon1, lat2, lon2)))
    shape = arrays[0].shape
    la1, lo1, la2, lo2 = (np.array(a, order="C").ravel() for a in arrays)
    phi1, phi2 = np.radians(la1), np.radians(la2)
    dphi = phi2 - phi1
    dlmb = np.radians(lo2 - lo1)
    h = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    # Rounding can push h a hair above 1 for antipodal points; arcsin would then return NaN.
    return (2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))).reshape(shape)


def unit_vectors(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """3-D unit vectors of points given in degrees, for a Euclidean k-d tree on the sphere."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lmb = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lmb), cos_phi * np.sin(lmb), np.sin(phi)], axis=-1)


def chord_for_km(km: ArrayLike) -> NDArray[np.float64]:
    """Chord length on the unit sphere matching a great-circle distance, slightly padded.

    The chord is monotonic in the arc, so a k-d tree ball query with this radius returns a
    superset of the points within `km`; the exact haversine test is applied afterwards. The
    padding only guards against rounding at the boundary (pairs exactly at max_km count).
    """
    arc = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * np.sin(arc / 2.0) * (1.0 + 1e-9) + 1e-12


SPATIAL_CELL_DEG = 0.01  # about 1 km: people closer than this share a cell of spatial_key


def _spread_bits(a: NDArray[np.int64]) -> NDArray[np.int64]:
    """Put bit i of each 16-bit value at bit 2i (Morton code helper)."""
    a = (a | (a << 8)) & 0x00FF00FF
    a = (a | (a << 4)) & 0x0F0F0F0F
    a = (a | (a << 2)) & 0x33333333
    return (a | (a << 1)) & 0x55555555


def spatial_key(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.int64]:
    """Morton (Z-order) code of each point on a grid of SPATIAL_CELL_DEG: close points, close codes.

    Only used to number the solver's nodes so that neighbours sit near each other in memory;
    any order gives the same optimum.
    """
    la = np.floor((np.asarray(lat, dtype=np.float64) + 90.0) / SPATIAL_CELL_DEG).astype(np.int64)
    lo = np.floor((np.asarray(lon, dtype=np.float64) + 180.0) / SPATIAL_CELL_DEG).astype(np.int64)
    return (_spread_bits(la & 0xFFFF) << 1) | _spread_bits(lo & 0xFFFF)
