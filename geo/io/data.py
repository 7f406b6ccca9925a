"""The layers in and out: the district, the registry of divisions, streets, communities, centres.

Every loader validates its input and raises :class:`DataError`, whose message names the file,
the row (as a spreadsheet shows it: the header is row 1), the column and what to do.
Tables and layers are written by :mod:`geo.io.tables` (atomic, formula-guarded).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.engine import schema
from geo.engine.schema import (  # noqa: F401
    CENTER_COLUMNS,
    TIER_ALIASES,
    TIER_LABELS,
    TIERS,
    normalise_tier,
)
from geo.io.errors import DataError, Problem
from geo.io.files import atomic_write  # noqa: F401  (geo.io.sources calls data.atomic_write)

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data" / "boundaries"
DIVISION_COLUMNS = ["code", "name", "level", "parent_code"]

# Column names a planner's sheet may use, in English or Chinese.
CENTER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "序号", "代码"),
    "name": ("name", "名称", "中心名称", "站点名称", "站名"),
    "tier": ("tier", "级别", "类型", "层级", "等级"),
    "lon": ("lon", "lng", "long", "longitude", "经度", "x"),
    "lat": ("lat", "latitude", "纬度", "y"),
    "street_code": ("street_code", "街道代码", "街道编码"),
    "street_name": ("street", "street_name", "街道", "所属街道"),
    "community_code": ("community_code", "社区代码", "村（社区）代码", "社区编码"),
    "community_name": ("community", "community_name", "社区", "村", "村（社区）", "社区/村", "所属社区"),
    "position_source": ("position_source", "坐标来源"),
}


# --------------------------------------------------------------------------- reading helpers


def _path(path: str | Path | None, default: str) -> Path:
    p = Path(path) if path is not None else DATA_DIR / default
    if not p.exists():
        raise DataError(p, f"file not found: {p}; check the path")
    if not p.is_file():
        raise DataError(p, f"not a file: {p}")
    return p


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or an Excel sheet as text columns."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            df = pd.read_excel(p, dtype=str, engine="openpyxl")
        elif suffix in (".csv", ".txt", ""):
            raw = p.read_bytes()
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            else:  # pragma: no cover - gb18030 decodes any byte string
                raise DataError(p, "cannot read the text encoding; save the file as UTF-8 CSV")
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
                             skip_blank_lines=False)
        else:
            raise DataError(p, f"unsupported file type {suffix!r}; use CSV or XLSX")
    except DataError:
        raise
    except Exception as exc:  # parser errors of every kind become one clear message
        raise DataError(p, f"cannot read the file as a table ({exc.__class__.__name__}: {exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    df = df.fillna("")
    # drop blank lines but keep each row's index, so row numbers match the file
    blank = (df.astype(str).apply(lambda c: c.str.strip()) == "").all(axis=1)
    return df[~blank]


def _read_vector(p: Path, what: str) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:
        raise DataError(p, f"cannot read {what} as GeoJSON/GeoPackage ({exc.__class__.__name__}: {exc})") from None
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    return gdf


def _require_columns(p: Path, df: pd.DataFrame, cols: list[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(p, [Problem(1, c, "", f"missing column {c!r}; add it to the header row")
                            for c in missing])


def _check_polygons(p: Path, gdf: gpd.GeoDataFrame) -> None:
    problems = []
    for i, g in enumerate(gdf.geometry):
        if g is None or g.is_empty:
            problems.append(Problem(i + 1, "geometry", "", "empty geometry; draw the boundary"))
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(i + 1, "geometry", g.geom_type, "not a polygon"))
        elif not g.is_valid:
            problems.append(Problem(i + 1, "geometry", shapely.is_valid_reason(g),
                                    "invalid polygon; repair it (for example QGIS 'Fix geometries')"))
    if problems:
        raise DataError(p, problems)


def _check_unique(p: Path, df: pd.DataFrame, col: str, row_offset: int) -> None:
    dup = df[col].duplicated(keep="first")
    if dup.any():
        raise DataError(p, [Problem(int(i) + row_offset, col, str(df.at[i, col]), "duplicate code")
                            for i in df.index[dup]])


# --------------------------------------------------------------------------- loaders


def load_district(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """The district outline: one feature with ``code`` and ``name`` (EPSG:4326)."""
    p = _path(path, "district.geojson")
    gdf = _read_vector(p, "the district outline")
    _require_columns(p, gdf, ["code", "name"])
    if len(gdf) != 1:
        raise DataError(p, f"expected exactly one district feature, found {len(gdf)}")
    _check_polygons(p, gdf)
    gdf["code"] = gdf["code"].astype(str)
    return gdf[["code", "name", "geometry"]]


def load_divisions(path: str | Path | None = None) -> pd.DataFrame:
    """The registry of streets and communities: ``code, name, level, parent_code``."""
    p = _path(path, "divisions.csv")
    df = read_table(p)
    _require_columns(p, df, DIVISION_COLUMNS)
    df = df[DIVISION_COLUMNS].copy()
    problems = []
    for i, r in df.iterrows():
        if r["level"] not in ("street", "community"):
            problems.append(Problem(i + 2, "level", r["level"], "level must be 'street' or 'community'"))
        if not r["code"].isdigit():
            problems.append(Problem(i + 2, "code", r["code"], "code must be the official digits"))
        if not r["name"].strip():
            problems.append(Problem(i + 2, "name", "", "empty name"))
    if problems:
        raise DataError(p, problems)
    _check_unique(p, df, "code", 2)
    street_codes = set(df.loc[df["level"] == "street", "code"])
    orphans = df[(df["level"] == "community") & ~df["parent_code"].isin(street_codes)]
    if len(orphans):
        raise DataError(p, [Problem(int(i) + 2, "parent_code", r["parent_code"],
                                    "community's parent is not a street of this registry")
                            for i, r in orphans.iterrows()])
    return df.reset_index(drop=True)


def load_streets(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Street polygons: ``code, name, geometry_source`` (EPSG:4326)."""
    p = _path(path, "streets.geojson")
    gdf = _read_vector(p, "the street boundaries")
    _require_columns(p, gdf, ["code", "name"])
    if "geometry_source" not in gdf.columns:
        gdf["geometry_source"] = "user"
    _check_polygons(p, gdf)
    gdf["code"] = gdf["code"].astype(str)
    _check_unique(p, gdf, "code", 1)
    return gdf[["code", "name", "geometry_source", "geometry"]]


def load_communities(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Community polygons: ``code, name, street_code, geometry_source`` (+ optional ``population``)."""
    p = _path(path, "communities.geojson")
    gdf = _read_vector(p, "the community boundaries")
    _require_columns(p, gdf, ["code", "name", "street_code"])
    if "geometry_source" not in gdf.columns:
        gdf["geometry_source"] = "user"
    _check_polygons(p, gdf)
    gdf["code"] = gdf["code"].astype(str)
    gdf["street_code"] = gdf["street_code"].astype(str)
    _check_unique(p, gdf, "code", 1)
    cols = ["code", "name", "street_code", "geometry_source"]
    for extra in ("kind", "population"):
        if extra in gdf.columns:
            cols.append(extra)
    return gdf[cols + ["geometry"]]


def _rename_aliases(df: pd.DataFrame) -> pd.DataFrame:
    lookup = {alias.lower(): canon for canon, aliases in CENTER_ALIASES.items() for alias in aliases}
    rename = {}
    for c in df.columns:
        canon = lookup.get(str(c).strip().lower())
        if canon and canon not in rename.values() and canon not in df.columns:
            rename[c] = canon
    return df.rename(columns=rename)


def load_centers(path: str | Path | None = None, crs: str = "wgs84",
                 streets: gpd.GeoDataFrame | None = None,
                 communities: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Service centres as points (EPSG:4326) with the ``centers.csv`` columns.

    A user's file needs only name, tier, lon, lat (English or Chinese headers, CSV or XLSX,
    or a GeoJSON/GeoPackage of points). ``crs`` says which system its coordinates are in
    (``wgs84``, ``gcj02`` for AMap, ``bd09`` for Baidu). Missing ids are generated and
    missing street/community codes are found from the position.
    """
    p = _path(path, "centers.csv")
    src = _crs.check_crs(crs)
    if p.suffix.lower() in (".geojson", ".json", ".gpkg"):
        gdf = _read_vector(p, "the centres")
        pts = gdf.geometry
        if not all(g is not None and g.geom_type == "Point" for g in pts):
            raise DataError(p, "centres must be points")
        df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
        df["lon"] = pts.x.astype(str).to_numpy()
        df["lat"] = pts.y.astype(str).to_numpy()
        row_offset = 1
    else:
        df = read_table(p)
        row_offset = 2
    df = _rename_aliases(df)
    _require_columns(p, df, ["name", "tier", "lon", "lat"])
    if len(df) == 0:
        raise DataError(p, "the file has no centres; add at least one row")
    problems: list[Problem] = []
    lon = pd.to_numeric(df["lon"].astype(str).str.strip(), errors="coerce")
    lat = pd.to_numeric(df["lat"].astype(str).str.strip(), errors="coerce")
    tiers = df["tier"].map(normalise_tier)
    for i in range(len(df)):
        row = int(df.index[i]) + row_offset
        if not str(df["name"].iat[i]).strip():
            problems.append(Problem(row, "name", "", "empty name"))
        if pd.isna(tiers.iat[i]):
            problems.append(Problem(row, "tier", str(df["tier"].iat[i]),
                                    "unknown tier; use district/street/community/station or 区级/街道/社区/服务站"))
        x, y = lon.iat[i], lat.iat[i]
        if np.isfinite(x) and np.isfinite(y) and abs(x) <= 90 and 70 <= y <= 140:
            problems.append(Problem(row, "lon", str(df["lon"].iat[i]),
                                    "longitude and latitude look swapped; swap the two columns"))
            continue
        for col, v, lo, hi in (("lon", x, -180, 180), ("lat", y, -90, 90)):
            if not np.isfinite(v):
                problems.append(Problem(row, col, str(df[col].iat[i]), "not a number"))
            elif not lo <= v <= hi:
                problems.append(Problem(row, col, str(df[col].iat[i]), f"out of range [{lo}, {hi}]"))
    if "id" in df.columns:
        ids = df["id"].astype(str).str.strip()
        dup = ids.duplicated() & (ids != "")
        problems += [Problem(int(df.index[i]) + row_offset, "id", ids.iat[i], "duplicate id")
                     for i in np.flatnonzero(dup)]
    if problems:
        raise DataError(p, problems)

    lon_w, lat_w = _crs.convert(lon.to_numpy(), lat.to_numpy(), src, "wgs84")
    out = pd.DataFrame({
        "id": df["id"].astype(str).str.strip() if "id" in df.columns else "",
        "name": df["name"].astype(str).str.strip(),
        "tier": tiers,
        "street_code": df["street_code"].astype(str).str.strip() if "street_code" in df.columns else "",
        "community_code": df["community_code"].astype(str).str.strip() if "community_code" in df.columns else "",
        "lon": lon_w, "lat": lat_w,
        "position_source": (df["position_source"].astype(str).str.strip()
                            if "position_source" in df.columns else "user"),
    })
    missing_id = out["id"] == ""
    out.loc[missing_id, "id"] = [f"C{i + 1:04d}" for i in np.flatnonzero(missing_id)]
    if out["id"].duplicated().any():
        dup = np.flatnonzero(out["id"].duplicated())
        raise DataError(p, [Problem(int(out.index[i]) + row_offset, "id", out["id"].iat[i],
                                    "generated id clashes with a given id; fill in the id column")
                            for i in dup])
    out = out.reset_index(drop=True)
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]), crs="EPSG:4326")
    return locate(gdf, streets, communities)


def locate(centers: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None = None,
           communities: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """:func:`geo.engine.schema.locate` with the shipped boundaries when none are given."""
    return schema.locate(centers, _shipped(streets, "streets.geojson", load_streets),
                         _shipped(communities, "communities.geojson", load_communities))


def _shipped(layer: gpd.GeoDataFrame | None, name: str, load: Callable[[], gpd.GeoDataFrame]
             ) -> gpd.GeoDataFrame:
    """``layer``, else the shipped one, else an empty layer (nothing to locate in)."""
    if layer is not None:
        return layer
    if (DATA_DIR / name).exists():
        return load()
    return gpd.GeoDataFrame({"code": []}, geometry=[], crs="EPSG:4326")


def is_illustrative(*layers: pd.DataFrame) -> bool:
    """True when any layer carries illustrative (generated, not surveyed) features."""
    for layer in layers:
        for col in ("position_source", "geometry_source"):
            if col in layer.columns and (layer[col] == "illustrative").any():
                return True
    return False


ILLUSTRATIVE_NOTICE_ZH = ("示意数据：街道、社区边界和服务中心位置由程序生成，仅作演示，并非实测；"
                          "请导入真实的边界和中心坐标。")
ILLUSTRATIVE_NOTICE_EN = ("Illustrative data: street and community boundaries and centre positions are "
                          "generated for demonstration, not surveyed; load the real ones.")
