"""The files of a district's folder read: its outline, registry of divisions, streets and communities.

Every path is given: which district is in use is :class:`geo.io.district.District`'s business.
Every loader validates its input and raises :class:`DataError`, whose message names the file,
the row (as a spreadsheet shows it: the header is row 1), the column and what to do.
Tables and layers are written by :mod:`geo.io.tables` (atomic, formula-guarded).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.io import sources
from geo.io.errors import DataError, Problem
from geo.locale import Msg

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data" / "boundaries"
"""The shipped layers (Longhu); another district's live in their own folder (geo.io.districts)."""
DIVISION_COLUMNS = ["code", "name", "level", "parent_code"]
FILES = {"district": "district.geojson", "divisions": "divisions.csv", "streets": "streets.geojson",
         "communities": "communities.geojson", "centers": "centers.csv"}
"""The files of a district's folder, by layer."""


# --------------------------------------------------------------------------- reading helpers


def _path(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise DataError(p, Msg.of("why.not_found", p=str(p)))
    if not p.is_file():
        raise DataError(p, Msg.of("why.not_file", p=str(p)))
    return p


LAYER_WORDS = {"district": Msg.of("why.ly_district"), "streets": Msg.of("why.ly_streets"),
               "communities": Msg.of("why.ly_communities"), "centers": Msg.of("why.ly_centers")}
"""A layer of a district's folder as a word of a reason ('streets' / '街道边界')."""


def _read_vector(p: Path, layer: str) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # noqa: BLE001  (GDAL's errors vary; all mean an unreadable file)
        raise DataError(p, Msg.of("why.read_vector", what=LAYER_WORDS[layer],
                                  e=f"{exc.__class__.__name__}: {exc}")) from None
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    return gdf


def _require_columns(p: Path, df: pd.DataFrame, cols: list[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(p, [Problem(1, c, "", Msg.of("why.missing_column", col=c)) for c in missing])


def _check_polygons(p: Path, gdf: gpd.GeoDataFrame) -> None:
    problems = []
    for i, g in enumerate(gdf.geometry):
        if g is None or g.is_empty:
            problems.append(Problem(i + 1, "geometry", "", Msg.of("why.empty_geometry")))
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(i + 1, "geometry", g.geom_type, Msg.of("why.not_polygon")))
        elif not g.is_valid:
            problems.append(Problem(i + 1, "geometry", shapely.is_valid_reason(g), Msg.of("why.invalid_polygon")))
    if problems:
        raise DataError(p, problems)


def _check_unique(p: Path, df: pd.DataFrame, col: str, row_offset: int) -> None:
    dup = df[col].duplicated(keep="first")
    if dup.any():
        raise DataError(p, [Problem(int(i) + row_offset, col, str(df.at[i, col]), Msg.of("why.duplicate_code"))
                            for i in df.index[dup]])


# --------------------------------------------------------------------------- loaders


def load_district(path: str | Path) -> gpd.GeoDataFrame:
    """The district outline in ``path``: one feature with ``code`` and ``name`` (EPSG:4326),
    and ``name_en`` when the file has one (messages in English use it)."""
    p = _path(path)
    gdf = _read_vector(p, "district")
    _require_columns(p, gdf, ["code", "name"])
    if len(gdf) != 1:
        raise DataError(p, Msg.of("why.one_district", n=len(gdf)))
    _check_polygons(p, gdf)
    gdf["code"] = gdf["code"].astype(str)
    return gdf[["code", "name"] + (["name_en"] if "name_en" in gdf.columns else []) + ["geometry"]]


def load_divisions(path: str | Path) -> pd.DataFrame:
    """The registry of streets and communities: ``code, name, level, parent_code``."""
    p = _path(path)
    _, df = sources.read_plain(p)  # index: the spreadsheet row of each record
    _require_columns(p, df, DIVISION_COLUMNS)
    df = df[DIVISION_COLUMNS].astype(str)
    checks = (("level", ~df["level"].isin(["street", "community"]), Msg.of("why.bad_level")),
              ("code", ~df["code"].str.fullmatch(r"\d+"), Msg.of("why.bad_code")),
              ("name", df["name"] == "", Msg.of("why.empty_division_name")))
    found = sorted((int(row), k, Problem(int(row), col, str(df.at[row, col]), reason))
                   for k, (col, bad, reason) in enumerate(checks) for row in df.index[bad.to_numpy(bool)])
    problems = [problem for *_, problem in found]
    if problems:
        raise DataError(p, problems)
    _check_unique(p, df, "code", 0)
    street_codes = set(df.loc[df["level"] == "street", "code"])
    orphans = df[(df["level"] == "community") & ~df["parent_code"].isin(street_codes)]
    if len(orphans):
        raise DataError(p, [Problem(int(i), "parent_code", r["parent_code"], Msg.of("why.orphan"))
                            for i, r in orphans.iterrows()])
    return df.reset_index(drop=True)


def load_streets(path: str | Path) -> gpd.GeoDataFrame:
    """A district folder's street polygons: ``code, name, geometry_source`` (EPSG:4326).

    The files the tool wrote itself (the shipped layout, ``init``) are read directly (a test
    checks they pass the boundary validator); a user's file goes through
    :meth:`geo.io.district.District.user_boundaries`.
    """
    p = _path(path)
    gdf = _read_vector(p, "streets")
    _require_columns(p, gdf, ["code", "name"])
    if "geometry_source" not in gdf.columns:
        gdf["geometry_source"] = "user"
    _check_polygons(p, gdf)
    gdf["code"] = gdf["code"].astype(str)
    _check_unique(p, gdf, "code", 1)
    return gdf[["code", "name", "geometry_source", "geometry"]]


def load_communities(path: str | Path) -> gpd.GeoDataFrame:
    """A district folder's community polygons: ``code, name, street_code, geometry_source``
    (+ optional ``kind``, ``population``); read as :func:`load_streets` reads streets."""
    p = _path(path)
    gdf = _read_vector(p, "communities")
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




def is_illustrative(*layers: pd.DataFrame) -> bool:
    """True when any layer carries illustrative (generated, not surveyed) features."""
    for layer in layers:
        for col in ("position_source", "geometry_source"):
            if col in layer.columns and (layer[col] == "illustrative").any():
                return True
    return False
