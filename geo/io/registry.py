"""The registry of divisions and the district: name/code lookups, coordinates inside the district."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.io import data
from geo.io.cells import NUMBER
from geo.io.errors import ImportProblem

METRIC_CRS = "EPSG:32650"  # UTM 50N, Shantou

# Suffixes a division's name may carry or omit, longest first.
_NAME_SUFFIXES = tuple(sorted(
    ("社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "街道办事处", "村委会", "居委会",
     "街道办", "社区", "街道", "村"), key=len, reverse=True))

# --------------------------------------------------------------------------- registry


def is_code(v: str) -> bool:
    v = v.strip()
    return (v[:-2] if v.endswith(".0") else v).isdigit()


def _name_keys(name: str) -> set[str]:
    n = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))
    keys = {n}
    for s in _NAME_SUFFIXES:
        if n.endswith(s) and len(n) > len(s):
            keys.add(n[: -len(s)])
            break
    return keys


@dataclass
class Registry:
    """Lookups over ``divisions.csv``: code and (suffix-free) name to code, per level."""

    divisions: pd.DataFrame

    def __post_init__(self) -> None:
        d = self.divisions
        self.name = dict(zip(d["code"], d["name"]))
        self.parent = dict(zip(d["code"], d["parent_code"]))
        self.level = dict(zip(d["code"], d["level"]))
        self.exact: dict[tuple[str, str], set[str]] = {}
        self.keys: dict[tuple[str, str], set[str]] = {}
        for code, name, level in zip(d["code"], d["name"], d["level"]):
            full = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
            self.exact.setdefault((level, full), set()).add(code)
            for k in _name_keys(name):
                self.keys.setdefault((level, k), set()).add(code)

    def codes(self, level: str) -> list[str]:
        return [c for c, lv in self.level.items() if lv == level]

    def resolve(self, value: str, level: str, street: str | None = None) -> tuple[str | None, str]:
        """(code, "") for a code or name of ``level``, else (None, reason)."""
        v = unicodedata.normalize("NFKC", str(value)).strip()
        digits = re.sub(r"\s+", "", v)
        if digits.endswith(".0") and digits[:-2].isdigit():
            digits = digits[:-2]
        if digits.isdigit():
            code = digits
            if level == "street" and len(code) == 12 and code.endswith("000"):
                code = code[:9]
            if self.level.get(code) == level:
                return code, ""
            if code in self.level:
                return None, f"code {code} is a {self.level[code]}, not a {level}"
            return None, f"unknown {level} code; not in the registry of Longhu's divisions"
        full = re.sub(r"\s+", "", v)
        hits = self.exact.get((level, full)) or set()
        if not hits:
            for k in _name_keys(v):
                hits = hits | self.keys.get((level, k), set())
        if street and len(hits) > 1:
            hits = {h for h in hits if self.parent.get(h) == street}
        if len(hits) == 1:
            return next(iter(hits)), ""
        if not hits:
            example = "金霞街道 or 440507001" if level == "street" else "金谷居委会 or 440507001001"
            return None, f"unknown {level}: not a name or code in the registry (for example {example})"
        names = ", ".join(sorted(f"{self.name[h]} ({h})" for h in hits))
        return None, f"ambiguous {level} name, it could be {names}; give the code or the street"


@functools.lru_cache(maxsize=4)
def _shipped(name: str, mtime: float):
    loader = {"district": data.load_district, "divisions": data.load_divisions,
              "streets": data.load_streets, "communities": data.load_communities}[name]
    return loader()


def default_layer(name: str):
    fname = {"district": "district.geojson", "divisions": "divisions.csv",
             "streets": "streets.geojson", "communities": "communities.geojson"}[name]
    p = data.DATA_DIR / fname
    if not p.exists():
        return None
    return _shipped(name, p.stat().st_mtime)


def district_geom(district: gpd.GeoDataFrame | None) -> shapely.Geometry:
    d = district if district is not None else default_layer("district")
    return shapely.union_all(np.asarray(d.to_crs("EPSG:4326").geometry.values))


# --------------------------------------------------------------------------- coordinates


def tier_of(value: str) -> str | None:
    """The canonical tier of a value such as 'station', '服务站', '社区党群服务中心', or None."""
    v = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    for cand in (v, v.replace("(", "（").replace(")", "）")):
        t = data.normalise_tier(cand)
        if t:
            return t
        for suffix in ("党群服务中心", "党群服务站", "服务中心", "中心", "级"):
            if cand.endswith(suffix) and len(cand) > len(suffix):
                t = data.normalise_tier(cand[: -len(suffix)])
                if t:
                    return t
    return None


def parse_number(s: str) -> float:
    t = unicodedata.normalize("NFKC", s).strip().replace("°", "")
    if not NUMBER.match(t):
        return math.nan
    return float(t)


def inside_counts(lon: np.ndarray, lat: np.ndarray,
                  district: gpd.GeoDataFrame | None = None) -> dict[str, int]:
    """How many points fall inside the district when read as each coordinate system."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    geom = district_geom(district)
    shapely.prepare(geom)
    out = {}
    for name in _crs.CRS_NAMES:
        x, y = _crs.convert(lon[ok], lat[ok], name, "wgs84")
        out[name] = int(shapely.contains_xy(geom, x, y).sum()) if ok.any() else 0
    return out


def guess_crs(lon: np.ndarray, lat: np.ndarray, chosen: str = "wgs84",
              district: gpd.GeoDataFrame | None = None) -> tuple[str | None, dict[str, int]]:
    """(a better coordinate system than ``chosen`` or None, points inside for each system)."""
    chosen = _crs.check_crs(chosen)
    counts = inside_counts(lon, lat, district)
    best = max(_crs.CRS_NAMES, key=lambda n: (counts[n], n == chosen))
    return (best if counts[best] > counts[chosen] else None), counts


def crs_warning(chosen: str, best: str, counts: dict[str, int], n: int) -> ImportProblem:
    label = {"wgs84": "WGS-84", "gcj02": "GCJ-02 (AMap/Tencent, 高德/腾讯)", "bd09": "BD-09 (Baidu, 百度)"}
    return ImportProblem(
        None, None, best,
        f"the coordinates look like {label[best]}, not {label[chosen]}: read as {label[chosen]}, "
        f"{counts[chosen]} of {n} points fall inside Longhu; read as {label[best]}, {counts[best]} do. "
        f"Choose {best} as the coordinate system (坐标系) and import again.",
        field="crs", level="warning")

def distance_m(geom: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Distance in metres from each point to a (WGS-84) geometry, in UTM 50N."""
    g = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(METRIC_CRS).iat[0]
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(METRIC_CRS)
    return shapely.distance(np.asarray(pts.values), g)

