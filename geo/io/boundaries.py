"""Street and community boundaries in: matched to the registry, checked, tiling warned."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.io import registry
from geo.io.cells import cell_text, isna
from geo.io.errors import DataError, ImportProblem
from geo.io.registry import Registry, is_code
from geo.io.sources import import_options, read_source, vector_frame
from geo.locale import Msg, Name

if TYPE_CHECKING:
    from geo.io.district import District


@dataclass
class BoundaryReport:
    """The outcome of :func:`import_boundaries`."""

    layer: gpd.GeoDataFrame
    """Matched features in the contract columns (streets: ``code, name, geometry_source``;
    communities: ``code, name, street_code, geometry_source``), EPSG:4326."""
    level: str
    """``street`` or ``community``."""
    problems: list[ImportProblem]
    """Features not imported: unmatched, ambiguous, not polygons."""
    warnings: list[ImportProblem]
    missing: pd.DataFrame
    """Registry divisions of this level that no feature matched: ``code, name``."""
    source: str
    code_column: str | None = None
    name_column: str | None = None
    n_features: int = 0
    suggested_crs: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unmatched(self) -> pd.DataFrame:
        """Features not imported: ``row, column, value, reason`` (a :class:`~geo.locale.Msg`)."""
        return pd.DataFrame([{"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
                             for p in self.problems], columns=["row", "column", "value", "reason"])


# --------------------------------------------------------------------------- boundaries


def _tiling_warnings(layer: gpd.GeoDataFrame, district: shapely.Geometry,
                     tolerance: float = 0.001) -> list[ImportProblem]:
    """Warnings when the polygons overlap one another, or cover noticeably more or less than the
    district (more than ``tolerance`` of its area); measured in the district's UTM zone."""
    if len(layer) == 0:
        return []
    c = district.centroid
    metric = _crs.utm_crs(c.x, c.y)
    geoms = np.asarray(layer.to_crs(metric).geometry.values)
    dist = gpd.GeoSeries([district], crs="EPSG:4326").to_crs(metric).iloc[0]
    union = shapely.union_all(geoms)
    out = []
    overlap = float(shapely.area(geoms).sum() - union.area)
    if overlap > tolerance * dist.area:
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="overlaps")
        pairs = sorted({(int(i), int(j)) for i, j in zip(a, b) if i < j})
        names = [f"{layer['name'].iat[i]}/{layer['name'].iat[j]}" for i, j in pairs[:5]]
        out.append(ImportProblem(None, "geometry", f"{overlap / 1e6:.3f} km²",
                                 Msg.of("why.overlap", a=overlap / 1e6, names=names), field="geometry",
                                 level="warning"))
    outside = float(shapely.difference(union, dist).area)
    if outside > tolerance * dist.area:
        out.append(ImportProblem(None, "geometry", f"{outside / 1e6:.3f} km²",
                                 Msg.of("why.outside_bounds", a=outside / 1e6),
                                 field="geometry", level="warning"))
    uncovered = float(shapely.difference(dist, union).area)
    if uncovered > tolerance * dist.area:
        out.append(ImportProblem(None, "geometry", f"{uncovered / 1e6:.3f} km²",
                                 Msg.of("why.uncovered", a=uncovered / 1e6, p=100 * uncovered / dist.area),
                                 field="geometry", level="warning"))
    return out


BOUNDARY_SLACK_M: float = 5000.0
"""How far outside the district outline a boundary vertex may lie (a roughly drawn edge, a
coordinate-system shift) before its feature is refused."""
_EXTRAS = ("kind", "population")  # community attributes carried over when the file has them


def import_boundaries(source: str | os.PathLike | bytes | io.IOBase, level: str | None = None,
                      crs: str = "wgs84", *, filename: str | None = None, layer: str | None = None,
                      district: District,
                      max_bytes: int | None = None, max_rows: int | None = None) -> BoundaryReport:
    """Read street or community polygons and match them to the registry.

    Each feature is matched by code (a column whose values are registry codes), else by
    name (suffixes such as 街道, 居委会, 村委会 may be omitted). ``level`` is ``street``,
    ``community`` or None (decided by which level matches more features). Features of one
    division split over several records are merged (with a warning); invalid polygons are
    repaired with :func:`shapely.make_valid` (with a warning). A feature with a vertex that is
    not a valid longitude/latitude, or more than :data:`BOUNDARY_SLACK_M` outside the district,
    is refused (the one coordinate check, :func:`geo.io.registry.check_coordinates`).
    Unmatched and refused features are listed in ``problems``/``unmatched``; registry
    divisions without a feature in ``missing``. ``district``: the
    :class:`~geo.io.district.District` whose registry and outline the features are checked against.
    """
    chosen, max_bytes, max_rows = import_options(crs, filename, max_bytes, max_rows)
    if level not in (None, "street", "community"):
        raise DataError(filename, Msg.of("why.unknown_level", l=repr(level)))
    src = read_source(source, filename, max_bytes)
    if src.kind not in ("geojson", "gpkg", "zip"):
        raise DataError(src.name, Msg.of("why.bounds_format"))
    warnings: list[ImportProblem] = []
    gdf = vector_frame(src, layer, max_rows, max_bytes, warnings)
    if len(gdf) == 0:
        raise DataError(src.name, Msg.of("why.no_features"))
    reg = district.registry
    text = {c: [("" if isna(v) else cell_text(v).strip()) for v in gdf[c].tolist()]
            for c in gdf.columns if c != gdf.geometry.name}
    place = Name(district.label("zh"), district.label("en"))
    lv, code_col, name_col = _choose_columns(src.name, text, reg, level, place)
    problems: list[ImportProblem] = []
    codes = _match(text, reg, lv, code_col, name_col, problems)
    labels = np.array(text[code_col or name_col], dtype=object)
    geoms = _check_geometries(np.asarray(gdf.geometry.values, dtype=object), codes, labels, problems, warnings)
    _check_vertices(geoms, codes, labels, chosen, district.outline, problems)
    d = district.geometry
    geoms, suggested = _fit_crs(geoms, codes, chosen, d, place, warnings)
    out, by_code = _merge_parts(gdf, geoms, codes, reg, lv, code_col or name_col, warnings)
    warnings += _tiling_warnings(out, d)
    missing = _missing(reg, lv, by_code, warnings)
    problems.sort(key=lambda p: p.row)  # feature order, whichever check refused it
    return BoundaryReport(out, lv, problems, warnings, missing, src.name, code_col, name_col, len(gdf), suggested)


def _choose_columns(name: str, text: dict[str, list[str]], reg: Registry, level: str | None,
                    place: Name) -> tuple[str, str | None, str | None]:
    """(level, code column, name column): the level and columns matching most of the first 1,000 features."""
    best = None  # (matches, level, code column, name column)
    for lv in [level] if level else ["street", "community"]:
        def hits(c: str, digits: bool, lv: str = lv) -> int:
            values = pd.Series(text[c][:1000], dtype=object)
            values = values[(values != "") & (values.map(is_code) == digits)]
            known = {v: reg.resolve(v, lv)[0] is not None for v in set(values)}
            return int(values.map(known).sum()) if len(values) else 0
        code_scores = {c: hits(c, True) for c in text}
        name_scores = {c: hits(c, False) for c in text}
        code_col = max(code_scores, key=code_scores.get, default=None)
        name_col = max(name_scores, key=name_scores.get, default=None)
        code_col = code_col if code_col and code_scores[code_col] else None
        name_col = name_col if name_col and name_scores[name_col] else None
        score = max(code_scores[code_col] if code_col else 0, name_scores[name_col] if name_col else 0)
        if best is None or score > best[0]:
            best = (score, lv, code_col, name_col)
    assert best is not None
    if best[0] == 0:
        raise DataError(name, Msg.of("why.no_match_any", district=place, ex=reg.example("community")))
    return best[1], best[2], best[3]


def _match(text: dict[str, list[str]], reg: Registry, lv: str, code_col: str | None, name_col: str | None,
           problems: list[ImportProblem]) -> np.ndarray:
    """The registry code of each feature (by code, else by name), None where it matches nothing."""
    n = len(next(iter(text.values())))
    memo: dict[str, tuple[str | None, str]] = {}

    def resolve(v: str) -> tuple[str | None, str]:
        if v not in memo:
            memo[v] = reg.resolve(v, lv)
        return memo[v]

    codes = np.full(n, None, dtype=object)
    for i in range(n):
        reasons = []
        if code_col:
            codes[i], why = resolve(text[code_col][i])
            if codes[i] is None and text[code_col][i]:
                reasons.append(Msg.of("why.by_code", v=text[code_col][i], why=why))
        if codes[i] is None and name_col:
            codes[i], why = resolve(text[name_col][i])
            if codes[i] is None:
                reasons.append(Msg.of("why.by_name", v=text[name_col][i], why=why))
        if codes[i] is None:
            col = code_col or name_col
            rest = reasons[0] if len(reasons) == 1 else Msg.of("why.both", a=reasons[0], b=reasons[-1]) if reasons \
                else None
            problems.append(ImportProblem(i + 1, col, text[col][i] if col else "",
                                          Msg.of("why.not_matched", rest=rest) if rest else Msg.of("why.no_code"),
                                          field="code"))
    return codes


def _refuse(problems: list[ImportProblem], codes: np.ndarray, i: int, value: str, reason: Msg) -> None:
    problems.append(ImportProblem(int(i) + 1, "geometry", value, reason, field="geometry"))
    codes[i] = None


def _check_geometries(geoms: np.ndarray, codes: np.ndarray, labels: np.ndarray,
                      problems: list[ImportProblem], warnings: list[ImportProblem]) -> np.ndarray:
    """Matched features must be polygons; invalid ones are repaired (a warning) or refused."""
    geoms = geoms.copy()
    matched = pd.notna(codes)
    empty = matched & (shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kind = shapely.get_type_id(geoms)
    not_polygon = matched & ~empty & ~np.isin(kind, (3, 6))
    invalid = matched & ~empty & ~not_polygon & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(empty):
        _refuse(problems, codes, i, labels[i], Msg.of("why.empty_geom"))
    for i in np.flatnonzero(not_polygon):
        _refuse(problems, codes, i, geoms[i].geom_type, Msg.of("why.not_polygon", label=labels[i]))
    for i in np.flatnonzero(invalid):
        warnings.append(ImportProblem(int(i) + 1, "geometry", shapely.is_valid_reason(geoms[i]),
                                      Msg.of("why.repaired", label=labels[i]), field="geometry", level="warning"))
        parts = shapely.get_parts(shapely.make_valid(geoms[i]))
        polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        geoms[i] = shapely.union_all(polys) if len(polys) else None
        if geoms[i] is None or geoms[i].is_empty:
            _refuse(problems, codes, i, labels[i], Msg.of("why.unrepairable"))
    return geoms


def _check_vertices(geoms: np.ndarray, codes: np.ndarray, labels: np.ndarray, chosen: str,
                    district: gpd.GeoDataFrame, problems: list[ImportProblem]) -> None:
    """Refuse features with a vertex that is no valid longitude/latitude or lies more than
    :data:`BOUNDARY_SLACK_M` outside the district (one vectorised check of every vertex)."""
    idx = np.flatnonzero(pd.notna(codes))
    if not len(idx):
        return
    xy, owner = shapely.get_coordinates(geoms[idx], return_index=True)
    check = registry.check_coordinates(xy[:, 0], xy[:, 1], chosen, district=district,
                                       tolerance_m=BOUNDARY_SLACK_M, guess=False)
    refused: set[int] = set()
    for issue in check.issues:
        i = int(idx[owner[issue.index]])
        if i not in refused:
            refused.add(i)
            _refuse(problems, codes, i, issue.value, Msg.of("why.vertex", label=labels[i], rest=issue.reason))


def _fit_crs(geoms: np.ndarray, codes: np.ndarray, chosen: str, d: shapely.Geometry, place: Name,
             warnings: list[ImportProblem]) -> tuple[np.ndarray, str | None]:
    """The matched geometries in WGS-84, and a coordinate system that fits the district better."""
    matched = pd.notna(codes)
    g_arr = np.where(matched, geoms, None)
    fits = {}
    for name in _crs.CRS_NAMES:
        shifted = _crs.convert_geometry(g_arr[matched], name, "wgs84") if matched.any() else np.array([])
        u = shapely.union_all(shifted) if len(shifted) else None
        fits[name] = (shapely.area(shapely.intersection(u, d)) / shapely.area(u)) if u is not None and u.area else 0.0
    better = max(_crs.CRS_NAMES, key=lambda n: (fits[n], n == chosen))
    suggested = better if fits[better] > fits[chosen] + 0.01 else None
    if suggested:
        warnings.append(ImportProblem(None, None, suggested, Msg.of(
            "why.bounds_crs", district=place, s=_crs_word(suggested), a=round(100 * fits[suggested]),
            c=_crs_word(chosen), b=round(100 * fits[chosen])), field="crs", level="warning"))
    return (_crs.convert_geometry(g_arr, chosen, "wgs84") if chosen != "wgs84" else g_arr), suggested


def _crs_word(name: str) -> Msg:
    """A coordinate system in words (``crs_wgs84``: WGS-84 (GPS, OpenStreetMap))."""
    return {"wgs84": Msg.of("crs_wgs84"), "gcj02": Msg.of("crs_gcj02"), "bd09": Msg.of("crs_bd09")}[name]


def _merge_parts(gdf: gpd.GeoDataFrame, geoms: np.ndarray, codes: np.ndarray, reg: Registry, lv: str,
                 column: str | None, warnings: list[ImportProblem]) -> tuple[gpd.GeoDataFrame, dict[str, list[int]]]:
    """One record per division in the contract columns (several features of one division merged)."""
    by_code: dict[str, list[int]] = {}
    for i in np.flatnonzero(pd.notna(codes)):
        by_code.setdefault(codes[i], []).append(int(i))
    extras = [c for c in _EXTRAS if c in gdf.columns] if lv == "community" else []
    records = []
    for c, idx in by_code.items():
        if len(idx) > 1:
            warnings.append(ImportProblem(idx[1] + 1, column, c, Msg.of(
                "why.merged", name=reg.name[c], n=len(idx), rows=[k + 1 for k in idx]), field="code",
                level="warning"))
        rec = {"code": c, "name": reg.name[c]} | ({"street_code": reg.parent[c]} if lv == "community" else {})
        rec["geometry_source"] = "user"
        if "kind" in extras:
            rec["kind"] = gdf["kind"].iat[idx[0]]
        if "population" in extras:
            rec["population"] = float(pd.to_numeric(gdf["population"].iloc[idx], errors="coerce").fillna(0).sum())
        rec["geometry"] = geoms[idx[0]] if len(idx) == 1 else shapely.union_all(geoms[idx])
        records.append(rec)
    cols = ["code", "name"] + (["street_code"] if lv == "community" else []) + ["geometry_source"]
    out = gpd.GeoDataFrame(pd.DataFrame(records, columns=cols + extras + ["geometry"]), geometry="geometry",
                           crs="EPSG:4326")
    for c in cols:
        out[c] = out[c].astype(str)
    return out, by_code


def _missing(reg: Registry, lv: str, by_code: dict[str, list[int]], warnings: list[ImportProblem]) -> pd.DataFrame:
    """The registry's divisions of this level that no feature matched (and a warning)."""
    all_codes = reg.codes(lv)
    missing = pd.DataFrame({"code": [c for c in all_codes if c not in by_code]})
    missing["name"] = missing["code"].map(reg.name).astype(str)
    if len(missing):
        lv_word = Msg.of("why.lvs_street", n=len(all_codes)) if lv == "street" \
            else Msg.of("why.lvs_community", n=len(all_codes))
        warnings.append(ImportProblem(None, None, str(len(missing)), Msg.of(
            "why.missing_bounds", n=len(missing), all=len(all_codes), lv=lv_word), field="code", level="warning"))
    return missing
