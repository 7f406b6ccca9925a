"""The one table writer: CSV and XLSX safe to open in Excel; GeoJSON/GeoPackage layers."""

from __future__ import annotations

import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.io import data
from geo.io.cells import guard_formula, isna
from geo.io.errors import DataError, Problem
from geo.io.files import resolve_inside, safe_filename

FORMATS: tuple[str, ...] = ("geojson", "gpkg", "csv", "xlsx")
EXCEL_CELL_MAX = 32767
# --------------------------------------------------------------------------- export


def _table_for_export(gdf: pd.DataFrame) -> pd.DataFrame:
    """A plain table: points as lon/lat columns, other geometries as WKT text."""
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        return pd.DataFrame(gdf).copy()
    g = gdf.geometry.to_crs("EPSG:4326") if gdf.crs is not None else gdf.geometry
    out = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name]))
    types = set(g.dropna().geom_type)
    if types <= {"Point"} and len(types):
        if "lon" not in out.columns:
            out["lon"] = g.x
        if "lat" not in out.columns:
            out["lat"] = g.y
    else:
        out["geometry_wkt"] = shapely.to_wkt(np.asarray(g.values), rounding_precision=7, trim=True)
    return out


def export_layer(df: pd.DataFrame, path: str | Path, fmt: str | None = None, *,
                 layer_name: str | None = None, base: str | Path | None = None) -> Path:
    """Write a layer or result table as GeoJSON, GeoPackage, CSV or XLSX, atomically.

    ``fmt`` defaults to the path's extension. With ``base``, ``path`` is a name inside that
    folder and may not leave it. GeoJSON/GeoPackage need a GeoDataFrame; CSV/XLSX write
    points as ``lon``/``lat`` columns and other geometries as ``geometry_wkt``. CSV is UTF-8
    with BOM (Excel shows Chinese correctly); XLSX cells are always text or numbers, never
    formulas, and an illustrative layer gets a 说明 (notes) sheet saying so.
    """
    target = resolve_inside(base, path) if base is not None else Path(path)
    fmt = (fmt or target.suffix.lstrip(".")).lower()
    fmt = {"json": "geojson", "gpkg": "gpkg", "geopackage": "gpkg", "xls": "xlsx"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise DataError(target, f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    is_geo = isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df.columns
    if fmt in ("geojson", "gpkg") and not is_geo:
        raise DataError(target, "this table has no geometry; export it as CSV or XLSX")
    if fmt == "geojson":
        data.write_geojson(df if df.crs is not None else df.set_crs("EPSG:4326"), target)
    elif fmt == "gpkg":
        out = df if df.crs is not None else df.set_crs("EPSG:4326")
        name = layer_name or target.stem
        name = re.sub(r"[^\w]", "_", name)[:60] or "layer"

        def write(tmp: str) -> None:
            os.remove(tmp)
            out.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")

        data.atomic_write(target, write)
    elif fmt == "csv":
        table = _table_for_export(df)
        for c in table.columns:
            if pd.api.types.is_string_dtype(table[c]) or table[c].dtype == object:
                table[c] = table[c].map(lambda v: guard_formula(v) if isinstance(v, str) else v)
        data.write_csv(table, target)
    else:
        _write_xlsx(_table_for_export(df), target, layer_name or target.stem,
                    data.is_illustrative(pd.DataFrame(df)))
    return target


def _xlsx_value(v: object) -> object:
    if v is None or isna(v):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (int, float, bool, str)):
        return v
    return str(v)


def _write_xlsx(table: pd.DataFrame, target: Path, sheet: str, illustrative: bool) -> None:
    from openpyxl import Workbook

    for c in table.columns:
        lengths = table[c].map(lambda v: len(v) if isinstance(v, str) else 0)
        if len(lengths) and lengths.max() > EXCEL_CELL_MAX:
            row = int(np.argmax(lengths.to_numpy())) + 2
            raise DataError(target, [Problem(row, str(c), "", f"text of {lengths.max():,} characters does not fit an "
                                                               "Excel cell (32,767); export as GeoJSON, GeoPackage or CSV")])
    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "layer"

    def put(r: int, c: int, v: object) -> None:
        cell = ws.cell(row=r, column=c, value=None)
        v = _xlsx_value(v)
        cell.value = v
        if isinstance(v, str):
            cell.data_type = "s"  # never a formula, even when the text starts with '='

    for j, name in enumerate(table.columns, start=1):
        put(1, j, str(name))
    for i, rec in enumerate(table.itertuples(index=False), start=2):
        for j, v in enumerate(rec, start=1):
            put(i, j, v)
    if illustrative:
        notes = wb.create_sheet("说明")
        notes["A1"] = data.ILLUSTRATIVE_NOTICE_ZH
        notes["A2"] = data.ILLUSTRATIVE_NOTICE_EN

    data.atomic_write(target, lambda tmp: wb.save(tmp))


def export_layers(layers: dict[str, pd.DataFrame], folder: str | Path, fmt: str) -> list[Path]:
    """Export several layers into ``folder`` as ``<name>.<fmt>`` (GeoPackage: one file, a
    layer each, ``layers.gpkg``). Layer names are made safe file names."""
    fmt = fmt.lower()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "gpkg":
        target = resolve_inside(folder, "layers.gpkg")

        def write(tmp: str) -> None:
            os.remove(tmp)
            for name, gdf in layers.items():
                if not isinstance(gdf, gpd.GeoDataFrame):
                    raise DataError(name, "this table has no geometry; export it as CSV or XLSX")
                out = gdf if gdf.crs is not None else gdf.set_crs("EPSG:4326")
                out.to_file(tmp, driver="GPKG", layer=re.sub(r"[^\w]", "_", name)[:60] or "layer",
                            engine="pyogrio", mode="a" if os.path.exists(tmp) else "w")

        data.atomic_write(target, write)
        return [target]
    ext = {"geojson": ".geojson", "csv": ".csv", "xlsx": ".xlsx"}.get(fmt)
    if ext is None:
        raise DataError(None, f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return [export_layer(gdf, resolve_inside(folder, safe_filename(name, ext)), fmt, layer_name=name)
            for name, gdf in layers.items()]
