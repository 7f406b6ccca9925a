"""Facilities in for the life circle: AMap POI exports, plain tables, OpenStreetMap.

Every file goes through the one reader (:func:`geo.io.sources.load_table`, schema
``facilities``) and the one coordinate check (:func:`geo.io.registry.check_coordinates`):

* an AMap (高德) POI export as planners have them -- CSV or XLSX with name, type, typecode,
  address and the position as one ``location`` column ``lon,lat`` or two columns, in GCJ-02 --
  assigned to categories by type code, type text or the name's ending;
* a plain table with a ``category``/``类别`` column holding the catalogue's Chinese or English
  names (or a key or alias);
* OpenStreetMap through osmnx (:func:`fetch_facilities`, online), cached to a CSV file that
  is read like any plain table.

Rows that match no category are listed (:attr:`FacilityReport.unmatched`), never dropped
silently; a category name not in the catalogue is listed (:attr:`FacilityReport.unknown`); a
facility far outside the district is reported (a warning) and left out. Cells that are not
coordinates are errors, as for centres.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.engine.lifecircle import Catalogue
from geo.io import online, tables
from geo.io.catalogue import closest_category, load_catalogue, match_categories
from geo.io.centers import ImportReport, shown_rows
from geo.io.errors import DataError, ImportProblem
from geo.io.networks import MARGIN_M
from geo.io.registry import check_coordinates, crs_warning, crs_word, point_columns
from geo.io.sources import SCHEMAS, Table, import_options, load_table
from geo.locale import Msg, Name

FACILITY_COLUMNS = ["row", "name", "category", "category_zh", "level", "matched_by", "type", "typecode", "address",
                    "lon", "lat"]
"""The columns of valid facilities (plus ``geometry``, EPSG:4326)."""
KIND_COLUMNS = ("category", "type", "typecode")
UNKNOWN_SHOWN = 10
"""Category names not in the catalogue that get a warning each (the rest: one line)."""
OSM_CACHE = Path("data/facilities/osm_facilities.csv")
"""Where ``python -m geo fetch-facilities`` saves OpenStreetMap's facilities by default."""


@dataclass
class FacilityReport(ImportReport):
    """An :class:`~geo.io.centers.ImportReport` of facilities, plus what was not assigned."""

    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Rows that match no category: ``row, name, category, type, typecode`` as written."""
    unknown: dict[str, int] = field(default_factory=dict)
    """Category names not in the catalogue -> how many rows use them."""
    outside: list[ImportProblem] = field(default_factory=list)
    """Facilities far outside the district, left out (also in ``warnings``)."""

    def counts(self) -> pd.Series:
        """Valid facilities per category key."""
        return self.valid["category"].value_counts()

    def require_facilities(self) -> None:
        """:class:`DataError` (one line) when no row is left to analyse: a life circle of nothing
        would report every category at 0 % as if measured."""
        if len(self.valid):
            return
        if self.outside and self.unmatched.empty:
            raise DataError(self.source, Msg.of("why.all_outside", n=len(self.outside)))
        raise DataError(self.source, Msg.of("why.no_category_match", n=len(self.unmatched)))


def _auto_crs(t: Table, crs: str | None, warnings: list[ImportProblem]) -> str:
    """The coordinate system: as given, else GCJ-02 for an AMap export (a type code column), else WGS-84."""
    if crs is not None:
        return crs
    if "typecode" in t.df:
        warnings.append(ImportProblem(None, None, "gcj02", Msg.of("why.amap_gcj02", crs=crs_word("gcj02")),
                                      field="crs", level="warning"))
        return "gcj02"
    return "wgs84"


def import_facilities(source: str | os.PathLike | bytes | io.IOBase, catalogue: Catalogue | None = None,
                      crs: str | None = None, *, filename: str | None = None, sheet: str | None = None,
                      layer: str | None = None, district: gpd.GeoDataFrame,
                      margin_m: float | None = None, max_bytes: int | None = None,
                      max_rows: int | None = None) -> FacilityReport:
    """Read and check a facilities file; return the valid facilities, every problem and what was
    not assigned to a category.

    ``crs``: ``wgs84``, ``gcj02`` or ``bd09``; None reads an AMap export (a type code column)
    as GCJ-02 and anything else as WGS-84. ``margin_m``: how far outside the district a facility
    is still used (it serves the communities at the edge; default: the catalogue's largest
    limit). Raises :class:`DataError` when nothing can be read, or the file has no category or
    type column.
    """
    catalogue = catalogue or load_catalogue()
    if crs is not None:  # a bad name fails before the file is read
        import_options(crs, filename, max_bytes, max_rows)
    warnings: list[ImportProblem] = []
    src, t = load_table(source, SCHEMAS["facilities"], filename=filename, sheet=sheet, layer=layer,
                        max_bytes=max_bytes, max_rows=max_rows, warnings=warnings)
    if not any(f in t.df for f in KIND_COLUMNS):
        raise DataError(src.name, _no_kind_column(t, catalogue))
    chosen, _, _ = import_options(_auto_crs(t, crs, warnings), src.name, max_bytes, max_rows)
    margin = max(c.limit_m for c in catalogue.categories) if margin_m is None else float(margin_m)
    return _validate(src.name, t, catalogue, chosen, warnings, district, margin)


def load_facilities(path: str | os.PathLike, catalogue: Catalogue | None = None, crs: str | None = None, *,
                    district: gpd.GeoDataFrame) -> FacilityReport:
    """:func:`import_facilities`, strictly: a row with a bad position raises one :class:`DataError`
    listing every problem. Unassigned rows and far-away facilities stay in the report."""
    report = import_facilities(path, catalogue, crs, district=district)
    report.raise_for_problems()
    return report


def _no_kind_column(t: Table, catalogue: Catalogue) -> Msg:
    """The refusal of a table with neither a category nor an AMap type column."""
    hint = t.schema.hint
    examples = [Name(c.name_zh, c.name_en) for c in catalogue.categories[:2]]
    return Msg.of("why.no_kind_column", category=hint("category"), examples=examples, type=hint("type"),
                  typecode=hint("typecode"))


def _split_issues(t: Table, check, margin: float) -> tuple[list[ImportProblem], list[ImportProblem]]:
    """(errors of cells, warnings of facilities far outside the district)."""
    far = check.usable & ~check.ok
    errors, outside = [], []
    for i in check.issues:
        p = t.problem(i.index, i.field, i.value, i.reason, column=t.pair if i.pair else None)
        if far[i.index]:
            outside.append(ImportProblem(p.row, p.column, p.value, Msg.of("why.far_outside", reason=p.reason,
                                                                          m=float(margin)),
                                         field=p.field, level="warning"))
        else:
            errors.append(p)
    return errors, outside


def _validate(name: str, t: Table, catalogue: Catalogue, chosen: str, warnings: list[ImportProblem],
              district: gpd.GeoDataFrame, margin: float) -> FacilityReport:
    problems, skip = point_columns(name, t, ("lon", "lat"), district)
    check = check_coordinates(t.df["lon"].tolist(), t.df["lat"].tolist(), chosen, district=district,
                              tolerance_m=margin, skip=sorted(skip))
    errors, outside = _split_issues(t, check, margin)
    problems += errors
    if check.suggested:
        warnings.append(crs_warning(chosen, check.suggested, check.counts, int(check.usable.sum()), district))
    match = match_categories(catalogue, t.df)
    rows = np.asarray(t.rows)
    unmatched = _unmatched(t, match)
    unknown = _unknown(t, match)
    warnings += _unknown_warnings(t, catalogue, match) + _match_warnings(unmatched, unknown, outside)
    bad = np.isin(rows, [p.row for p in problems])
    keep = np.flatnonzero(~bad & check.ok & match["key"].notna().to_numpy())
    valid = _valid_frame(t, catalogue, match, check, keep)
    return FacilityReport(valid, problems, warnings, name, len(t.df), rows[keep].tolist(), chosen, check.counts,
                          check.suggested, unmatched=unmatched, unknown=unknown, outside=outside)


def _text(t: Table, f: str) -> pd.Series:
    return t.df[f].astype(str).str.strip() if f in t.df else pd.Series("", index=t.df.index, dtype=object)


def _unmatched(t: Table, match: pd.DataFrame) -> pd.DataFrame:
    miss = match["key"].isna().to_numpy()
    return pd.DataFrame({"row": np.asarray(t.rows)[miss], **{f: _text(t, f).to_numpy()[miss]
                                                           for f in ("name", "category", "type", "typecode")}})


def _unknown(t: Table, match: pd.DataFrame) -> dict[str, int]:
    names = _text(t, "category")[match["unknown"].to_numpy()]
    return {str(k): int(v) for k, v in names.value_counts().items()}


def _unknown_warnings(t: Table, catalogue: Catalogue, match: pd.DataFrame) -> list[ImportProblem]:
    """One warning per category name not in the catalogue (most used first): its rows, the
    closest category and the accepted names; names past :data:`UNKNOWN_SHOWN` share one line."""
    cells = _text(t, "category")[match["unknown"].to_numpy()]
    if cells.empty:
        return []
    rows = pd.Series(np.asarray(t.rows)[match["unknown"].to_numpy()], index=cells.index)
    by_name = rows.groupby(cells.to_numpy(), sort=False).agg(list)
    by_name = by_name[by_name.map(len).sort_values(ascending=False, kind="stable").index]
    names = [Name(c.name_zh, c.name_en) for c in catalogue.categories]
    column = t.headers.get("category", "category")
    out = []
    for name, at in list(by_name.items())[:UNKNOWN_SHOWN]:
        close = closest_category(catalogue, str(name))
        params = dict(n=len(at), rows=shown_rows(at), name=str(name), names=names)
        reason = (Msg.of("why.unknown_category", close=Name(close.name_zh, close.name_en), **params) if close
                  else Msg.of("why.unknown_category_far", **params))
        out.append(ImportProblem(None, column, str(name), reason, field="category", level="warning"))
    rest = by_name.iloc[UNKNOWN_SHOWN:]
    if len(rest):
        out.append(ImportProblem(None, column, "", Msg.of("why.unknown_category_more", n=len(rest), names=names),
                                 field="category", level="warning"))
    return out


def _match_warnings(unmatched: pd.DataFrame, unknown: dict[str, int],
                    outside: list[ImportProblem]) -> list[ImportProblem]:
    """The warning on rows no category matches (those naming an unknown category aside), then
    the facilities left out for lying far outside."""
    rest = unmatched[~unmatched["category"].astype(str).isin(list(unknown))] if len(unmatched) else unmatched
    if not len(rest):
        return list(outside)
    rows = shown_rows(rest["row"].tolist())
    return [ImportProblem(None, None, ", ".join(map(str, rows)), Msg.of("why.unmatched_rows", n=len(rest),
                                                                         rows=rows), level="warning"), *outside]


def _valid_frame(t: Table, catalogue: Catalogue, match: pd.DataFrame, check, keep: np.ndarray) -> gpd.GeoDataFrame:
    keys = match["key"].to_numpy(object)[keep]
    cats = {c.key: c for c in catalogue.categories}
    df = pd.DataFrame({
        "row": np.asarray(t.rows)[keep], "name": _text(t, "name").to_numpy()[keep], "category": keys,
        "category_zh": [cats[k].name_zh for k in keys], "level": [cats[k].level for k in keys],
        "matched_by": match["matched_by"].to_numpy()[keep], "type": _text(t, "type").to_numpy()[keep],
        "typecode": _text(t, "typecode").to_numpy()[keep], "address": _text(t, "address").to_numpy()[keep],
        "lon": check.lon[keep], "lat": check.lat[keep]}, columns=FACILITY_COLUMNS)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")


# --------------------------------------------------------------------------- OpenStreetMap


def osm_tags(catalogue: Catalogue) -> dict[str, list[str] | bool]:
    """The ``tags`` argument of osmnx's ``features_from_polygon`` covering every category."""
    out: dict[str, set[str]] = {}
    for c in catalogue.categories:
        for tag in c.osm_tags:
            k, _, v = tag.partition("=")
            out.setdefault(k, set()).add(v)
    return {k: (True if "" in vs else sorted(vs)) for k, vs in out.items()}


def classify_osm(features: gpd.GeoDataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """OpenStreetMap features as a plain facilities table: ``name, category, lon, lat`` (WGS-84,
    the representative point of areas), one row per feature and category it matches."""
    names = features["name"].fillna("").astype(str) if "name" in features else pd.Series("", index=features.index)
    points = shapely.point_on_surface(np.asarray(features.to_crs("EPSG:4326").geometry.values))
    frames = []
    for c in catalogue.categories:
        hit = pd.Series(False, index=features.index)
        for tag in c.osm_tags:
            k, _, v = tag.partition("=")
            if k in features:
                hit |= features[k].notna() if not v else (features[k].astype(str) == v)
        if c.osm_names:
            hit &= names.str.contains("|".join(map(re.escape, c.osm_names)), regex=True)
        sel = hit.to_numpy()
        frames.append(pd.DataFrame({"name": names.to_numpy()[sel], "category": c.name_zh,
                                    "lon": shapely.get_x(points[sel]), "lat": shapely.get_y(points[sel])}))
    return pd.concat(frames, ignore_index=True)


def _around(polygon_wgs84: shapely.Geometry, margin_m: float) -> shapely.Geometry:
    """The polygon widened by ``margin_m`` metres (in its UTM zone), in WGS-84."""
    c = polygon_wgs84.centroid
    g = gpd.GeoSeries([polygon_wgs84], crs="EPSG:4326")
    return g.to_crs(_crs.utm_crs(c.x, c.y)).buffer(margin_m).to_crs("EPSG:4326").iat[0]


def fetch_facilities(polygon_wgs84: shapely.Geometry, catalogue: Catalogue | None = None,
                     path: str | os.PathLike = OSM_CACHE, margin_m: float = 1000.0) -> pd.DataFrame:
    """Download the catalogue's facilities around a WGS-84 polygon from OpenStreetMap and save
    them as a plain table (CSV: ``name, category, lon, lat``) for ``--facilities``.

    Raises :class:`DataError` with one line when OpenStreetMap cannot be reached (found out
    within a few seconds) or the download fails.
    """
    catalogue = catalogue or load_catalogue()
    margin_m = MARGIN_M.check("margin_m", margin_m)
    try:
        online.require_osm_online(Msg.of("why.fac_instead"))
    except online.OfflineError as exc:
        raise DataError("OpenStreetMap", exc.msg) from None
    import osmnx as ox

    try:
        with online.osmnx_limits():
            features = ox.features_from_polygon(_around(polygon_wgs84, margin_m), osm_tags(catalogue))
    except Exception as exc:  # noqa: BLE001  (osmnx and requests raise many kinds; all mean "no download")
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DataError("OpenStreetMap", Msg.of("why.osm_failed", e=reason)) from None
    table = classify_osm(features, catalogue)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tables.write_csv(table, path)
    return table
