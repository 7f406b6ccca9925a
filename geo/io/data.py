"""The layers in and out: the district, the registry of divisions, streets, communities, centres.

Every loader validates its input and raises :class:`DataError`, whose message names the file,
the row (as a spreadsheet shows it: the header is row 1), the column and what to do.
Tables and layers are written by :mod:`geo.io.tables` (atomic, formula-guarded).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.engine import schema
from geo.io.errors import DataError, Problem

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data" / "boundaries"
"""The shipped layers (Longhu); another district's live in their own folder (geo.io.districts)."""
DIVISION_COLUMNS = ["code", "name", "level", "parent_code"]
_ACTIVE: ContextVar[Path] = ContextVar("district_data", default=DATA_DIR)


def data_dir() -> Path:
    """The folder of the district in use: where the loaders and validators find its outline,
    registry and layers when none is given (``data/boundaries`` unless told otherwise)."""
    return _ACTIVE.get()


def use_district_data(folder: str | Path) -> None:
    """Make ``folder`` the district in use for the rest of this context (the command line's
    ``--district``)."""
    _ACTIVE.set(Path(folder))


@contextmanager
def district_data(folder: str | Path) -> Iterator[Path]:
    """The district in ``folder`` in use inside the ``with`` block (thread- and task-local)."""
    token = _ACTIVE.set(Path(folder))
    try:
        yield Path(folder)
    finally:
        _ACTIVE.reset(token)


# --------------------------------------------------------------------------- reading helpers


def _path(path: str | Path | None, default: str) -> Path:
    p = Path(path) if path is not None else data_dir() / default
    if not p.exists():
        raise DataError(p, f"file not found: {p}; check the path")
    if not p.is_file():
        raise DataError(p, f"not a file: {p}")
    return p


def _read_vector(p: Path, what: str) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # noqa: BLE001  (GDAL's errors vary; all mean an unreadable file)
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
    """The district outline: one feature with ``code`` and ``name`` (EPSG:4326), and
    ``name_en`` when the file has one (messages in English use it)."""
    p = _path(path, "district.geojson")
    gdf = _read_vector(p, "the district outline")
    _require_columns(p, gdf, ["code", "name"])
    if len(gdf) != 1:
        raise DataError(p, f"expected exactly one district feature, found {len(gdf)}")
    _check_polygons(p, gdf)
    gdf["code"] = gdf["code"].astype(str)
    return gdf[["code", "name"] + (["name_en"] if "name_en" in gdf.columns else []) + ["geometry"]]


def district_label(district: pd.DataFrame | None = None, lang: str = "en", full: bool = False) -> str:
    """The district's name for messages and titles: its registry name ('金平区') in Chinese, in
    English its ``name_en`` or else its pinyin ('Jinping District'); the district in use when
    none is given. ``full`` adds its city: '汕头市金平区' / 'Jinping District, Shantou'."""
    from geo.io import districts

    if district is None:
        p = data_dir() / "district.geojson"
        if not p.exists():
            return "the district" if lang == "en" else "本区"
        district = _district_table(str(p), p.stat().st_mtime_ns)
    code, name = str(district["code"].iat[0]), str(district["name"].iat[0])
    en = str(district["name_en"].iat[0]).strip() if "name_en" in district.columns else ""
    en = en or districts.english_name(name)
    city = districts.city_of(code) if full and len(code) == 6 and code.isdigit() else ""
    if lang == "en":
        return f"{en}, {districts.english_name(city, kind=False)}" if city and city != name else en
    return f"{city}{name}" if city and city != name else name


def district_slug() -> str:
    """The district in use for file names: 'longhu', 'jinping', 'nanao' (ASCII, lower case)."""
    words = district_label(lang="en").split()
    return re.sub(r"[^a-z0-9]+", "", words[0].lower()) if words else "district"


def district_point() -> tuple[float, float]:
    """A point inside the district in use (lon, lat), for messages such as "Longhu is near
    longitude 116.7, latitude 23.4"; Longhu's when no outline is there."""
    p = data_dir() / "district.geojson"
    if not p.exists():
        return 116.7, 23.4
    table = _district_table(str(p), p.stat().st_mtime_ns)
    return float(table["lon"].iat[0]), float(table["lat"].iat[0])


@functools.lru_cache(maxsize=8)
def _district_table(path: str, mtime_ns: int) -> pd.DataFrame:
    """The outline's attributes and a point inside it (``lon``, ``lat``), read once per file version."""
    gdf = load_district(path)
    inside = gdf.geometry.iat[0].representative_point()
    return pd.DataFrame(gdf.drop(columns="geometry")).assign(lon=inside.x, lat=inside.y)


def load_divisions(path: str | Path | None = None) -> pd.DataFrame:
    """The registry of streets and communities: ``code, name, level, parent_code``."""
    from geo.io import sources

    p = _path(path, "divisions.csv")
    _, df = sources.read_plain(p)  # index: the spreadsheet row of each record
    _require_columns(p, df, DIVISION_COLUMNS)
    df = df[DIVISION_COLUMNS].astype(str)
    checks = (("level", ~df["level"].isin(["street", "community"]), "level must be 'street' or 'community'"),
              ("code", ~df["code"].str.fullmatch(r"\d+"), "code must be the official digits"),
              ("name", df["name"] == "", "empty name"))
    found = sorted((int(row), k, Problem(int(row), col, str(df.at[row, col]), reason))
                   for k, (col, bad, reason) in enumerate(checks) for row in df.index[bad.to_numpy(bool)])
    problems = [problem for *_, problem in found]
    if problems:
        raise DataError(p, problems)
    _check_unique(p, df, "code", 0)
    street_codes = set(df.loc[df["level"] == "street", "code"])
    orphans = df[(df["level"] == "community") & ~df["parent_code"].isin(street_codes)]
    if len(orphans):
        raise DataError(p, [Problem(int(i), "parent_code", r["parent_code"],
                                    "community's parent is not a street of this registry")
                            for i, r in orphans.iterrows()])
    return df.reset_index(drop=True)


def _user_boundaries(path: str | Path, level: str) -> gpd.GeoDataFrame:
    """A user's boundary file through the one validator (:func:`geo.io.boundaries.import_boundaries`),
    strictly: matched to the registry, coordinates in range and near the district, polygons."""
    from geo.io import boundaries

    report = boundaries.import_boundaries(Path(path), level)
    if report.problems:
        raise DataError(report.source, list(report.problems))
    return report.layer


def load_streets(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Street polygons: ``code, name, geometry_source`` (EPSG:4326).

    A user's file (``path``) goes through :func:`geo.io.boundaries.import_boundaries` and
    raises :class:`DataError` listing every problem; the shipped file is read directly (a
    test checks it passes the same validator).
    """
    if path is not None:
        return _user_boundaries(path, "street")
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
    """Community polygons: ``code, name, street_code, geometry_source`` (+ optional ``kind``,
    ``population``). A user's file (``path``) goes through the boundary validator, strictly."""
    if path is not None:
        return _user_boundaries(path, "community")
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




def load_centers(path: str | Path | None = None, crs: str = "wgs84",
                 streets: gpd.GeoDataFrame | None = None,
                 communities: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Service centres as points (EPSG:4326) with the ``centers.csv`` columns, strictly checked.

    A thin call of :func:`geo.io.centers.import_centers` (the shipped ``centers.csv`` when
    ``path`` is None): the same reader, limits and checks (names, tiers, ids, coordinates,
    district, registry, one community centre per community). A user's file needs only name,
    tier, lon, lat (English or Chinese headers, CSV or XLSX, or GeoJSON/GeoPackage points);
    ``crs`` says which system its coordinates are in (``wgs84``, ``gcj02`` for AMap, ``bd09``
    for Baidu). Missing ids are generated and missing street/community codes are found from
    the position. Raises :class:`DataError` listing every problem.
    """
    from geo.io import centers

    report = centers.import_centers(path if path is not None else data_dir() / "centers.csv", crs,
                                    streets=streets, communities=communities)
    report.raise_for_problems()
    return report.valid


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
    if (data_dir() / name).exists():
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
