"""China's coordinate systems: WGS-84, GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

GCJ-02 is the obfuscated datum every map published in mainland China must use; BD-09 is
Baidu's further shift of it. The forward formulas are public (they circulate as the
"eviltransform" algorithm); there is no closed-form inverse, so the inverse is solved by
fixed-point iteration to well under a millimetre.

Why our own code: the PyPI implementations (``prcoords``, ``eviltransform``,
``coord-convert``) convert one point at a time in pure Python. Here whole boundary files and
thousands of spreadsheet rows are converted, so the formulas are written once over NumPy
arrays and applied to geometries with :func:`shapely.transform`. The test suite checks this
module against ``prcoords`` and against published reference pairs.

Points outside mainland China's rough bounding box are returned unchanged, as every
implementation does (the shift is not applied abroad).
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from geo.engine.limits import SettingError
from geo.locale import Msg

CRS = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
CRS_LABELS: dict[str, str] = {
    "wgs84": "WGS-84（GPS、天地图、OpenStreetMap）",
    "gcj02": "GCJ-02（高德、腾讯）",
    "bd09": "BD-09（百度）",
}

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formulas.
_A = 6378245.0
_EE = 0.00669342162296594323
# Baidu's extra shift.
_BD_DLON = 0.0065
_BD_DLAT = 0.0060
_X_PI = np.pi * 3000.0 / 180.0

_ITER_EPS_DEG = 1e-10  # about 0.01 mm
_ITER_MAX = 30


def in_china(lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
    """True where a point lies in the rough box where the GCJ-02 shift applies."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (degrees) to add to a WGS-84 position."""
    x = lon - 105.0
    y = lat - 35.0
    common = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)))
    dlat += common * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += common * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _as_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon = np.array(lon, dtype=float, copy=True)
    lat = np.array(lat, dtype=float, copy=True)
    return np.broadcast_arrays(lon, lat)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → GCJ-02 for scalars or arrays of longitude and latitude (degrees)."""
    lon, lat = _as_arrays(lon, lat)
    mask = in_china(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    return np.where(mask, lon + dlon, lon), np.where(mask, lat + dlat, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09."""
    lon, lat = _as_arrays(lon, lat)
    mask = in_china(lon, lat)
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    bd_lon = z * np.cos(theta) + _BD_DLON
    bd_lat = z * np.sin(theta) + _BD_DLAT
    return np.where(mask, bd_lon, lon), np.where(mask, bd_lat, lat)


def _invert(forward, lon, lat, first_guess) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(w) = (lon, lat) for w by fixed-point iteration (the Jacobian is ~I)."""
    lon, lat = _as_arrays(lon, lat)
    mask = in_china(lon, lat)
    w_lon, w_lat = first_guess(lon, lat)
    for _ in range(_ITER_MAX):
        f_lon, f_lat = forward(w_lon, w_lat)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if np.all(~np.isfinite(e_lon) | (np.abs(e_lon) < _ITER_EPS_DEG)) and np.all(
            ~np.isfinite(e_lat) | (np.abs(e_lat) < _ITER_EPS_DEG)
        ):
            break
    return np.where(mask, w_lon, lon), np.where(mask, w_lat, lat)


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS-84 (iterative inverse, error well under 1 mm)."""
    def guess(lo, la):
        dlon, dlat = _gcj_delta(lo, la)
        return lo - dlon, la - dlat

    return _invert(_gcj_forward_unmasked, lon, lat, guess)


def _gcj_forward_unmasked(lon, lat):
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def _bd_forward_unmasked(lon, lat):
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02 (iterative inverse)."""
    def guess(lo, la):
        return lo - _BD_DLON, la - _BD_DLAT

    return _invert(_bd_forward_unmasked, lon, lat, guess)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS = {"wgs84": None, "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS = {"wgs84": None, "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def check_crs(name: str) -> str:
    """Normalise a coordinate-system name ('WGS-84', 'gcj02', '高德' …), or raise
    :class:`~geo.engine.limits.SettingError` (a ``ValueError``: ``set.unknown_crs``)."""

    key = str(name).strip().lower().replace("-", "").replace("_", "")
    aliases = {
        "wgs84": "wgs84", "wgs": "wgs84", "epsg4326": "wgs84", "gps": "wgs84",
        "gcj02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "高德": "gcj02", "腾讯": "gcj02",
        "bd09": "bd09", "bd": "bd09", "baidu": "bd09", "百度": "bd09",
    }
    if key not in aliases:
        raise SettingError(Msg.of("set.unknown_crs", name=repr(name)), setting="crs")
    return aliases[key]


def convert(lon, lat, src: str, dst: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert longitude/latitude arrays between 'wgs84', 'gcj02' and 'bd09'."""
    src, dst = check_crs(src), check_crs(dst)
    lon, lat = _as_arrays(lon, lat)
    if src == dst:
        return lon, lat
    to_wgs = _TO_WGS[src]
    if to_wgs is not None:
        lon, lat = to_wgs(lon, lat)
    from_wgs = _FROM_WGS[dst]
    if from_wgs is not None:
        lon, lat = from_wgs(lon, lat)
    return lon, lat


def convert_geometry(geom, src: str, dst: str):
    """Convert a shapely geometry (or an array of them) between China's coordinate systems."""
    src, dst = check_crs(src), check_crs(dst)
    if src == dst:
        return geom

    def _xy(coords: np.ndarray) -> np.ndarray:
        lon, lat = convert(coords[:, 0], coords[:, 1], src, dst)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, _xy)


def convert_gdf(gdf: gpd.GeoDataFrame, src: str, dst: str) -> gpd.GeoDataFrame:
    """Return a copy of a GeoDataFrame (longitude/latitude degrees) in another system.

    GCJ-02 and BD-09 are not in the EPSG registry, so the frame's ``crs`` stays EPSG:4326;
    the caller says which system the degrees are in.
    """
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        raise ValueError(f"expected longitude/latitude (EPSG:4326) coordinates, got {gdf.crs}")
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(
        convert_geometry(np.asarray(gdf.geometry.values), src, dst), index=gdf.index, crs=gdf.crs
    )
    return out


def utm_crs(lon: float, lat: float) -> str:
    """EPSG code of the UTM zone (WGS-84) containing a point, e.g. 'EPSG:32650' for Shantou."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"
