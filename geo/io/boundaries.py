"""Street and community boundaries in: matched to the registry, checked, tiling warned."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.io.cells import cell_text, isna
from geo.io.errors import DataError, ImportProblem
from geo.io.registry import Registry, default_layer, district_geom, is_code
from geo.io.sources import import_options, read_source, vector_frame


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
        """Features not imported: ``row, column, value, reason``."""
        return pd.DataFrame([{"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
                             for p in self.problems], columns=["row", "column", "value", "reason"])

    def summary(self) -> str:
        return (f"{self.source}: {self.n_features} features: {len(self.layer)} {self.level} boundaries "
                f"matched, {len(self.problems)} not imported, {len(self.missing)} of the registry missing")


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
        names = "; ".join(f"{layer['name'].iat[i]}/{layer['name'].iat[j]}" for i, j in pairs[:5])
        out.append(ImportProblem(None, "geometry", f"{overlap / 1e6:.3f} km²",
                                 f"boundaries overlap by {overlap / 1e6:.3f} km² ({names}); "
                                 "fix the overlaps so no area is counted twice", field="geometry", level="warning"))
    outside = float(shapely.difference(union, dist).area)
    if outside > tolerance * dist.area:
        out.append(ImportProblem(None, "geometry", f"{outside / 1e6:.3f} km²",
                                 f"{outside / 1e6:.3f} km² of the boundaries lie outside the district outline",
                                 field="geometry", level="warning"))
    uncovered = float(shapely.difference(dist, union).area)
    if uncovered > tolerance * dist.area:
        out.append(ImportProblem(None, "geometry", f"{uncovered / 1e6:.3f} km²",
                                 f"{uncovered / 1e6:.3f} km² of the district is in no boundary of this file "
                                 f"({100 * uncovered / dist.area:.1f}%)", field="geometry", level="warning"))
    return out


def import_boundaries(source: str | os.PathLike | bytes | io.IOBase, level: str | None = None,
                      crs: str = "wgs84", *, filename: str | None = None, layer: str | None = None,
                      divisions: pd.DataFrame | None = None, district: gpd.GeoDataFrame | None = None,
                      max_bytes: int | None = None, max_rows: int | None = None) -> BoundaryReport:
    """Read street or community polygons and match them to the registry.

    Each feature is matched by code (a column whose values are registry codes), else by
    name (suffixes such as 街道, 居委会, 村委会 may be omitted). ``level`` is ``street``,
    ``community`` or None (decided by which level matches more features). Features of one
    division split over several records are merged (with a warning); invalid polygons are
    repaired with :func:`shapely.make_valid` (with a warning). Unmatched features are listed
    in ``problems``/``unmatched``; registry divisions without a feature in ``missing``.
    """
    chosen, max_bytes, max_rows = import_options(crs, filename, max_bytes, max_rows)
    if level not in (None, "street", "community"):
        raise DataError(filename, f"unknown level {level!r}; use 'street' or 'community'")
    src = read_source(source, filename, max_bytes)
    if src.kind not in ("geojson", "gpkg", "zip"):
        raise DataError(src.name, "boundaries must be GeoJSON, GeoPackage or a zipped Shapefile (.zip)")
    warnings: list[ImportProblem] = []
    gdf = vector_frame(src, layer, max_rows, max_bytes, warnings)
    if len(gdf) == 0:
        raise DataError(src.name, "the file has no features")
    reg = Registry(divisions if divisions is not None else default_layer("divisions"))

    # which column holds codes, which names, and which level
    text = {c: [("" if isna(v) else cell_text(v).strip()) for v in gdf[c].tolist()]
            for c in gdf.columns if c != gdf.geometry.name}
    levels = [level] if level else ["street", "community"]
    sample = slice(0, 1000)
    best = None  # (matches, level, code column, name column)
    for lv in levels:
        def hits(c: str, digits: bool) -> int:
            return sum(reg.resolve(v, lv)[0] is not None for v in text[c][sample]
                       if v and is_code(v) == digits)
        code_scores = {c: hits(c, True) for c in text}
        name_scores = {c: hits(c, False) for c in text}
        code_col = max(code_scores, key=code_scores.get, default=None)
        name_col = max(name_scores, key=name_scores.get, default=None)
        code_col = code_col if code_col and code_scores[code_col] else None
        name_col = name_col if name_col and name_scores[name_col] else None
        score = max(code_scores.get(code_col, 0) if code_col else 0, name_scores.get(name_col, 0) if name_col else 0)
        if best is None or score > best[0]:
            best = (score, lv, code_col, name_col)
    assert best is not None
    score, lv, code_col, name_col = best
    if score == 0:
        raise DataError(src.name, "no feature matches a street or community of Longhu's registry; the file "
                                  "needs a column with the official codes (e.g. 440507001001) or the names "
                                  "(e.g. 金谷居委会)")

    problems: list[ImportProblem] = []
    codes: list[str | None] = []
    geoms = list(gdf.geometry.values)
    for i in range(len(gdf)):
        row = i + 1
        code = None
        reasons = []
        if code_col:
            code, why = reg.resolve(text[code_col][i], lv)
            if code is None and text[code_col][i]:
                reasons.append(f"code {text[code_col][i]!r}: {why}")
        if code is None and name_col:
            code, why = reg.resolve(text[name_col][i], lv)
            if code is None:
                reasons.append(f"name {text[name_col][i]!r}: {why}")
        g = geoms[i]
        col = code_col or name_col
        val = text[col][i] if col else ""
        if code is None:
            problems.append(ImportProblem(row, col, val, "not matched to the registry: " + "; ".join(reasons)
                                          if reasons else "not matched: no code or name", field="code"))
        elif g is None or g.is_empty:
            problems.append(ImportProblem(row, "geometry", val, "empty geometry; draw the boundary", field="geometry"))
            code = None
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(ImportProblem(row, "geometry", g.geom_type, f"{val}: not a polygon", field="geometry"))
            code = None
        elif not g.is_valid:
            warnings.append(ImportProblem(row, "geometry", shapely.is_valid_reason(g),
                                          f"{val}: invalid polygon, repaired", field="geometry", level="warning"))
            fixed = shapely.make_valid(g)
            polys = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
            geoms[i] = shapely.union_all(polys) if polys else None
            if geoms[i] is None or geoms[i].is_empty:
                problems.append(ImportProblem(row, "geometry", val, "invalid polygon that cannot be repaired",
                                              field="geometry"))
                code = None
        codes.append(code)

    # convert coordinate system; check it against the district
    g_arr = np.array([geoms[i] if codes[i] else None for i in range(len(geoms))], dtype=object)
    d = district_geom(district)
    fits = {}
    for name in _crs.CRS_NAMES:
        shifted = _crs.convert_geometry(g_arr[[c is not None for c in codes]], name, "wgs84") \
            if any(codes) else np.array([])
        u = shapely.union_all(shifted) if len(shifted) else None
        fits[name] = (shapely.area(shapely.intersection(u, d)) / shapely.area(u)) if u is not None and u.area else 0.0
    better = max(_crs.CRS_NAMES, key=lambda n: (fits[n], n == chosen))
    suggested = better if fits[better] > fits[chosen] + 0.01 else None
    if suggested:
        warnings.append(ImportProblem(None, None, suggested,
                                      f"the boundaries fit Longhu better read as {suggested} "
                                      f"({fits[suggested]:.0%} inside) than as {chosen} ({fits[chosen]:.0%}); "
                                      f"choose {suggested} and import again", field="crs", level="warning"))
    g_arr = _crs.convert_geometry(g_arr, chosen, "wgs84") if chosen != "wgs84" else g_arr

    # merge several features of one division
    by_code: dict[str, list[int]] = {}
    for i, c in enumerate(codes):
        if c:
            by_code.setdefault(c, []).append(i)
    records = []
    for c, idx in by_code.items():
        if len(idx) > 1:
            warnings.append(ImportProblem(idx[1] + 1, code_col or name_col, c,
                                          f"{reg.name[c]} has {len(idx)} features (rows {', '.join(str(k + 1) for k in idx)}); "
                                          "merged into one", field="code", level="warning"))
        geom = g_arr[idx[0]] if len(idx) == 1 else shapely.union_all(g_arr[idx])
        rec = {"code": c, "name": reg.name[c]}
        if lv == "community":
            rec["street_code"] = reg.parent[c]
        rec["geometry_source"] = "user"
        rec["geometry"] = geom
        records.append(rec)
    cols = ["code", "name"] + (["street_code"] if lv == "community" else []) + ["geometry_source"]
    out = gpd.GeoDataFrame(pd.DataFrame(records, columns=cols + ["geometry"]), geometry="geometry", crs="EPSG:4326")
    for c in cols:
        out[c] = out[c].astype(str)
    warnings += _tiling_warnings(out, d)
    all_codes = reg.codes(lv)
    missing = pd.DataFrame({"code": [c for c in all_codes if c not in by_code]})
    missing["name"] = missing["code"].map(reg.name).astype(str)
    if len(missing):
        warnings.append(ImportProblem(None, None, str(len(missing)),
                                      f"{len(missing)} of the registry's {len(all_codes)} {lv}s have no boundary "
                                      "in this file", field="code", level="warning"))
    return BoundaryReport(out, lv, problems, warnings, missing, src.name, code_col, name_col, len(gdf), suggested)


