"""The one reader of users' tables: a path, bytes or upload in; checked size, rows and columns; text cells out.

CSV (UTF-8, BOM, GBK/GB18030, UTF-16), XLSX, GeoJSON, GeoPackage and zipped Shapefiles.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import tempfile
import unicodedata
import warnings as _warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.engine import crs as _crs
from geo.io import data
from geo.io.cells import cell_text, isna, unguard_formula
from geo.io.errors import DataError, ImportProblem
from geo.io.files import USER_DIR, check_name, resolve_inside, safe_filename

# --------------------------------------------------------------------------- settings

MAX_BYTES: int = 50 * 1024 * 1024
"""Files larger than this are refused (bytes)."""
MAX_ROWS: int = 100_000
"""Files with more data rows (or features) than this are refused."""
MAX_UNZIPPED_RATIO: int = 10
"""A zip (XLSX, zipped Shapefile) may unpack to at most this many times ``MAX_BYTES``."""

# Extra header names seen in planners' sheets, on top of geo.io.data.CENTER_ALIASES.
_EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("中心编号", "站点编号", "no", "no."),
    "name": ("名字", "服务中心名称", "党群服务中心名称", "中心名", "title"),
    "tier": ("级别类型", "中心级别", "中心类型", "type", "level", "category"),
    "lon": ("经度坐标", "东经", "x坐标"),
    "lat": ("纬度坐标", "北纬", "y坐标"),
    "street_name": ("街道名称", "镇街", "所属镇街"),
    "community_name": ("社区名称", "村(社区)名称", "所属村(社区)", "村居名称", "所属村居", "村居"),
    "lonlat": ("经纬度", "坐标", "lnglat", "lonlat", "location", "coordinates", "位置坐标", "经纬度坐标"),
}
# --------------------------------------------------------------------------- sources


def _too_big(n: int, limit: int) -> str:
    return (f"the file is {n / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit; "
            "split it or remove unused columns and sheets")


def _too_many(limit: int) -> str:
    return f"the file has more than {limit:,} rows, over the limit; split it into smaller files"


@dataclass
class Source:
    name: str
    raw: bytes
    kind: str  # csv | xlsx | geojson | gpkg | zip


def read_source(source: str | os.PathLike | bytes | io.IOBase, filename: str | None,
                 max_bytes: int) -> Source:
    """The bytes of a path, bytes or file object, size-checked, and their format."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
        name = filename or "upload"
    elif hasattr(source, "read"):
        raw = source.read(max_bytes + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        name = filename or getattr(source, "name", None) or "upload"
    else:
        p = Path(source)
        name = filename or p.name
        if not p.exists():
            raise DataError(p, f"file not found: {p}; check the path")
        if not p.is_file():
            raise DataError(p, f"not a file: {p}")
        size = p.stat().st_size
        if size > max_bytes:
            raise DataError(p, _too_big(size, max_bytes))
        raw = p.read_bytes()
    name = Path(str(name)).name or "upload"
    if len(raw) > max_bytes:
        raise DataError(name, _too_big(len(raw), max_bytes))
    return Source(name, raw, _sniff(name, raw))


def _sniff(name: str, raw: bytes) -> str:
    """The file format, from its first bytes where they say, else from its extension."""
    suffix = Path(name).suffix.lower()
    if raw.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            return "xlsx" if suffix in (".xlsx", ".xlsm") else "zip"
        if any(n.lower().endswith(".shp") for n in names):
            return "zip"
        return "xlsx"
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(name, "old Excel .xls files are not supported; save the sheet as .xlsx or CSV")
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix in (".gpkg",):
        return "gpkg"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".zip", ".shp"):
        if suffix == ".shp":
            raise DataError(name, "a Shapefile is several files; upload them zipped together (.zip)")
        return "zip"
    return "csv"


def _check_zip(src: Source, max_bytes: int) -> list[zipfile.ZipInfo]:
    """Members of a zip, refusing zip bombs and names that would leave the folder."""
    try:
        with zipfile.ZipFile(io.BytesIO(src.raw)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise DataError(src.name, f"not a readable zip file ({exc}); zip the files again") from None
    total = sum(i.file_size for i in infos)
    if total > max_bytes * MAX_UNZIPPED_RATIO:
        raise DataError(src.name, f"the archive unpacks to {total / 1e6:.0f} MB, over the limit; "
                                  "split it into smaller files")
    for i in infos:
        try:
            check_name(i.filename, "archive member")
        except DataError:
            raise DataError(src.name, f"archive member {i.filename!r} has an unsafe path "
                                      "(absolute or '..'); make the zip again from the files") from None
    return infos


# --------------------------------------------------------------------------- tables


def _decode(src: Source) -> str:
    raw = src.raw
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: Sequence[str] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for enc in encodings:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataError(src.name, "cannot read the text encoding; save the file as CSV UTF-8 "
                              "(Excel: 另存为 → CSV UTF-8)")


def csv_rows(src: Source, max_rows: int) -> list[tuple[int, list[str]]]:
    """(spreadsheet row, cells) for each CSV record; the first record is row 1."""
    text = _decode(src)
    if "\x00" in text:
        raise DataError(src.name, "the file contains NUL bytes, so it is not a CSV text file; "
                                  "save it as CSV UTF-8")
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((",", "\t", ";", "|"), key=first.count) if first else ","
    if first.count(delimiter) == 0:
        delimiter = ","
    rows: list[tuple[int, list[str]]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for i, rec in enumerate(reader, start=1):
            if i > max_rows + 50:  # header and title rows included
                raise DataError(src.name, _too_many(max_rows))
            rows.append((i, [unguard_formula(c) for c in rec]))
    except csv.Error as exc:
        raise DataError(src.name, f"cannot read the file as CSV ({exc}); save it again as CSV UTF-8") from None
    return rows


def xlsx_rows(src: Source, max_rows: int, max_bytes: int, sheet: str | None,
               warnings: list[ImportProblem]) -> list[tuple[int, list[str]]]:
    import openpyxl

    _check_zip(src, max_bytes)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(src.raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise DataError(src.name, f"cannot read the file as an Excel workbook "
                                  f"({exc.__class__.__name__}); open it in Excel and save as .xlsx") from None
    try:
        names = wb.sheetnames
        if not names:
            raise DataError(src.name, "the workbook has no sheets")
        if sheet is not None and sheet not in names:
            raise DataError(src.name, f"no sheet named {sheet!r}; the sheets are {', '.join(names)}")
        chosen = sheet or names[0]
        if sheet is None and len(names) > 1:
            warnings.append(ImportProblem(None, None, chosen,
                                          f"the workbook has {len(names)} sheets ({', '.join(names)}); "
                                          f"read the first, {chosen!r}", level="warning"))
        ws = wb[chosen]
        if not hasattr(ws, "iter_rows"):
            raise DataError(src.name, f"sheet {chosen!r} is a chart, not a table")
        ws.reset_dimensions()
        rows = []
        try:
            for i, rec in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                if i > max_rows + 50:
                    raise DataError(src.name, _too_many(max_rows))
                rows.append((i, [cell_text(v) for v in rec]))
        except DataError:
            raise
        except Exception as exc:
            raise DataError(src.name, f"cannot read sheet {chosen!r} ({exc.__class__.__name__}); "
                                      "open it in Excel and save as .xlsx") from None
        return rows
    finally:
        wb.close()


def _norm_header(h: str) -> str:
    h = unicodedata.normalize("NFKC", str(h)).strip().lower()
    return re.sub(r"[\s:：*]+", "", h)


@functools.lru_cache(maxsize=1)
def _alias_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for source in (data.CENTER_ALIASES, _EXTRA_ALIASES):
        for canon, aliases in source.items():
            for a in aliases:
                lookup.setdefault(_norm_header(a), canon)
    return lookup


def _canon(header: str) -> str | None:
    lookup = _alias_lookup()
    key = _norm_header(header)
    if key in lookup:
        return lookup[key]
    bare = re.sub(r"\(.*?\)|\[.*?\]", "", key)
    return lookup.get(bare) if bare else None


def _find_header(rows: list[tuple[int, list[str]]]) -> int:
    """Index in ``rows`` of the header: the first of the first 20 non-blank rows naming two
    known columns, else the first non-blank row."""
    first = None
    seen = 0
    for k, (_, cells) in enumerate(rows):
        if not any(c.strip() for c in cells):
            continue
        first = k if first is None else first
        if len({_canon(c) for c in cells if _canon(c)}) >= 2:
            return k
        seen += 1
        if seen >= 20:
            break
    return first if first is not None else -1


@dataclass
class Table:
    """Canonical text columns plus the row numbers and original header names."""

    df: pd.DataFrame  # canonical columns, text
    rows: list[int]  # spreadsheet row of each record
    headers: dict[str, str]  # canonical field -> header as written in the file
    header_row: int | None
    notes: dict[int, tuple[str, str]] = field(default_factory=dict)  # record -> (value, reason)


def table_from_rows(src: Source, rows: list[tuple[int, list[str]]], max_rows: int,
                     warnings: list[ImportProblem]) -> Table:
    k = _find_header(rows)
    if k < 0:
        raise DataError(src.name, "the file is empty; add a header row (名称,级别,经度,纬度) and the centres")
    header_row, header = rows[k]
    if k > 0 and any(any(c.strip() for c in cells) for _, cells in rows[:k]):
        warnings.append(ImportProblem(None, None, "", f"rows 1–{header_row - 1} above the header were "
                                                      "skipped (title rows)", level="warning"))
    body = [(r, cells) for r, cells in rows[k + 1:] if any(c.strip() for c in cells)]
    if len(body) > max_rows:
        raise DataError(src.name, _too_many(max_rows))
    columns: dict[str, list[str]] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for j, h in enumerate(header):
        canon = _canon(h)
        if canon is None or canon in headers:
            if h.strip():
                ignored.append(h.strip())
            if canon is not None:
                warnings.append(ImportProblem(header_row, h.strip(), "", f"a second {canon!r} column; "
                                              f"only {headers[canon]!r} is used", field=canon, level="warning"))
            continue
        headers[canon] = h.strip()
        columns[canon] = [cells[j].strip() if j < len(cells) else "" for _, cells in body]
    long_rows = [r for r, cells in body if len(cells) > len(header) and any(c.strip() for c in cells[len(header):])]
    for r in long_rows[:20]:
        warnings.append(ImportProblem(r, None, "", "values beyond the last header column were ignored; "
                                                   "add a header for them", level="warning"))
    if ignored:
        warnings.append(ImportProblem(header_row, None, ", ".join(ignored),
                                      "columns not imported (not part of a centre's record)", level="warning"))
    df = pd.DataFrame(columns, dtype=object, index=range(len(body)))
    return Table(df, [r for r, _ in body], headers, header_row)


def vector_frame(src: Source, layer: str | None, max_rows: int, max_bytes: int,
                  warnings: list[ImportProblem]) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage or zipped Shapefile into a GeoDataFrame in EPSG:4326."""
    import pyogrio

    with tempfile.TemporaryDirectory(prefix="geo-import-") as tmp:
        path = Path(tmp) / ("upload." + {"geojson": "geojson", "gpkg": "gpkg", "zip": "zip"}[src.kind])
        path.write_bytes(src.raw)
        target = str(path)
        encoding = None
        if src.kind == "zip":
            infos = _check_zip(src, max_bytes)
            shps = [i.filename for i in infos if i.filename.lower().endswith(".shp")]
            if not shps:
                raise DataError(src.name, "the zip holds no .shp file; zip the .shp, .shx, .dbf and .prj together")
            if layer is not None:
                pick = [s for s in shps if Path(s).stem == layer]
                if not pick:
                    raise DataError(src.name, f"no Shapefile named {layer!r} in the zip; it holds "
                                              f"{', '.join(Path(s).stem for s in shps)}")
                shp = pick[0]
            else:
                shp = shps[0]
                if len(shps) > 1:
                    warnings.append(ImportProblem(None, None, shp, f"the zip holds {len(shps)} Shapefiles; "
                                                  f"read {Path(shp).stem!r}", level="warning"))
            target = f"/vsizip/{path}/{shp}"
            has_cpg = any(i.filename.lower() == shp[:-4].lower() + ".cpg" for i in infos)
            encoding = None if has_cpg else "detect"
            layer = None
        try:
            layers = [str(n) for n, *_ in pyogrio.list_layers(target)]
            if layer is not None and layer not in layers:
                raise DataError(src.name, f"no layer named {layer!r}; the layers are {', '.join(layers)}")
            if layer is None and len(layers) > 1:
                warnings.append(ImportProblem(None, None, layers[0], f"the file has {len(layers)} layers "
                                              f"({', '.join(layers)}); read the first", level="warning"))
            use = layer or (layers[0] if layers else None)
            info = pyogrio.read_info(target, layer=use)
            if info.get("features") is not None and info["features"] > max_rows:
                raise DataError(src.name, _too_many(max_rows))
            with _warnings.catch_warnings():  # GDAL's notes on malformed input; errors still raise
                _warnings.simplefilter("ignore", RuntimeWarning)
                gdf = pyogrio.read_dataframe(target, layer=use)
                if encoding == "detect" and _looks_misdecoded(gdf):
                    gdf = pyogrio.read_dataframe(target, layer=use, encoding="gb18030")
        except DataError:
            raise
        except Exception as exc:
            raise DataError(src.name, f"cannot read the file as {_KIND_LABEL[src.kind]} "
                                      f"({exc.__class__.__name__}: {str(exc)[:200]})") from None
    if len(gdf) > max_rows:
        raise DataError(src.name, _too_many(max_rows))
    if not isinstance(gdf, gpd.GeoDataFrame):
        gdf = gpd.GeoDataFrame(gdf, geometry=[None] * len(gdf), crs="EPSG:4326")
    if gdf.crs is None:
        b = gdf.total_bounds if len(gdf) and gdf.geometry.notna().any() else np.zeros(4)
        if np.all(np.isfinite(b)) and (abs(b[[0, 2]]).max() > 180 or abs(b[[1, 3]]).max() > 90):
            raise DataError(src.name, "the file has no coordinate system (.prj) and its coordinates are "
                                      "not degrees; add the .prj file or export as WGS-84")
        gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    elif not gdf.crs.equals("EPSG:4326"):
        try:
            gdf = gdf.to_crs("EPSG:4326")
        except Exception as exc:
            raise DataError(src.name, f"cannot convert from {gdf.crs.name} to WGS-84 ({exc})") from None
    return gdf


_KIND_LABEL = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "zip": "a zipped Shapefile",
               "csv": "CSV", "xlsx": "XLSX"}


def _looks_misdecoded(df: pd.DataFrame) -> bool:
    """True when text looks like GBK bytes read as Latin-1 (a Shapefile without .cpg)."""
    for c in df.columns:
        if c == getattr(df, "_geometry_column_name", None) or not pd.api.types.is_string_dtype(df[c]):
            continue
        vals = df[c].dropna().astype(str)
        if vals.str.contains(r"[\u0080-\u00ff]").any() and not vals.str.contains(r"[\u4e00-\u9fff]").any():
            return True
    return False


def vector_table(src: Source, layer: str | None, max_rows: int, max_bytes: int,
                  warnings: list[ImportProblem]) -> Table:
    """Point features as a table: ``lon``/``lat`` from the geometry, else from attributes."""
    gdf = vector_frame(src, layer, max_rows, max_bytes, warnings)
    geom_name = gdf.geometry.name
    columns: dict[str, list[str]] = {}
    headers: dict[str, str] = {}
    ignored = []
    for c in gdf.columns:
        if c == geom_name:
            continue
        canon = _canon(str(c))
        if canon is None or canon in headers:
            ignored.append(str(c))
            continue
        headers[canon] = str(c)
        columns[canon] = ["" if isna(v) else cell_text(v).strip() for v in gdf[c].tolist()]
    if ignored:
        warnings.append(ImportProblem(None, None, ", ".join(ignored),
                                      "properties not imported (not part of a centre's record)", level="warning"))
    n = len(gdf)
    lon = columns.get("lon", [""] * n)
    lat = columns.get("lat", [""] * n)
    notes: dict[int, tuple[str, str]] = {}
    for i, g in enumerate(gdf.geometry.values):
        if g is not None and g.geom_type == "MultiPoint" and len(g.geoms) == 1:
            g = g.geoms[0]
        if g is not None and not g.is_empty and g.geom_type == "Point":
            lon[i], lat[i] = cell_text(g.x), cell_text(g.y)
        elif g is not None and not g.is_empty and not (lon[i] or lat[i]):
            notes[i] = (g.geom_type, f"a {g.geom_type}, not a point; centres must be points")
    columns["lon"], columns["lat"] = lon, lat
    headers.setdefault("lon", "geometry")
    headers.setdefault("lat", "geometry")
    df = pd.DataFrame(columns, dtype=object, index=range(n))
    return Table(df, list(range(1, n + 1)), headers, None, notes)


def save_upload(content: bytes, filename: str, folder: str | Path | None = None,
                max_bytes: int | None = None) -> Path:
    """Keep an uploaded file in ``folder`` (default ``data/user/uploads``) under a safe name.

    The file is written atomically; an existing file of that name is replaced.
    """
    limit = MAX_BYTES if max_bytes is None else max_bytes
    if len(content) > limit:
        raise DataError(filename, _too_big(len(content), limit))
    base = Path(folder) if folder is not None else USER_DIR / "uploads"
    base.mkdir(parents=True, exist_ok=True)
    target = resolve_inside(base, safe_filename(filename))

    def write(tmp: str) -> None:
        Path(tmp).write_bytes(content)

    data.atomic_write(target, write)
    return target


def import_options(crs: str, filename: str | None, max_bytes: int | None,
             max_rows: int | None) -> tuple[str, int, int]:
    """The checked coordinate system and the size limits (defaults filled in) of an import."""
    try:
        chosen = _crs.check_crs(crs)
    except ValueError as exc:
        raise DataError(filename, str(exc)) from None
    return (chosen, MAX_BYTES if max_bytes is None else max_bytes,
            MAX_ROWS if max_rows is None else max_rows)
