"""The one reader of users' tables: a path, bytes or upload in; checked size, rows and columns; text cells out.

CSV (UTF-8, BOM, GBK/GB18030, UTF-16), XLSX, GeoJSON, GeoPackage and zipped Shapefiles.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import warnings as _warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.io import files, unpack
from geo.io.cells import cell_text, isna, unguard_formula
from geo.io.errors import DataError, ImportProblem
from geo.io.files import USER_DIR, resolve_inside, safe_filename
from geo.io.schemas import CENTERS, SCHEMAS, Schema
from geo.locale import Msg

# --------------------------------------------------------------------------- settings

MAX_BYTES: int = 50 * 1024 * 1024
"""Files larger than this are refused (bytes)."""
MAX_ROWS: int = 100_000
"""Files with more data rows (or features) than this are refused."""
MAX_COLUMNS: int = 500
"""Files with more columns (or properties) than this are refused, before their rows are read."""
MAX_UNZIPPED_RATIO: int = 10
"""A zip (XLSX, zipped Shapefile) may unpack to at most this many times ``MAX_BYTES``."""
MAX_XML_BYTES: int = 100 * 1024 * 1024
"""An XLSX workbook's parts (sheets, shared strings...) may unpack to at most this many bytes."""
MAX_CELLS: int = 1_000_000
"""A sheet may hold at most this many cells (``MAX_ROWS`` rows of 10 columns); counted in its XML
before it is parsed, and again as it is read (the empty cells Excel pads a row with included)."""

NUL_MESSAGE = Msg.of("why.nul")
"""The refusal of data holding NUL bytes, which no table cell can hold."""

# --------------------------------------------------------------------------- sources


def _too_big(n: int, limit: int) -> Msg:
    return Msg.of("why.too_big", n=n / 1e6, limit=limit / 1e6)


def _too_many(limit: int) -> Msg:
    return Msg.of("why.too_many_rows", n=limit)


def items_of(schema: Schema) -> Msg | str:
    """What a schema's rows are, in words (``centres`` / ``服务中心``)."""
    return {"centers": Msg.of("why.items_centers"), "candidates": Msg.of("why.items_candidates"),
            "facilities": Msg.of("why.items_facilities")}.get(schema.kind, schema.items)


def _record_of(schema: Schema) -> Msg | str:
    """A schema's record, for 'not part of …' (``a centre's record`` / ``服务中心``)."""
    return {"centers": Msg.of("why.record_centers"), "candidates": Msg.of("why.record_candidates"),
            "facilities": Msg.of("why.record_facilities")}.get(schema.kind, schema.record)


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
            raise DataError(p, Msg.of("why.not_found", p=str(p)))
        if not p.is_file():
            raise DataError(p, Msg.of("why.not_file", p=str(p)))
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
    if raw.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            return "xlsx" if suffix in (".xlsx", ".xlsm") else "zip"
        if any(n.lower().endswith(".shp") for n in names):
            return "zip"
        return "xlsx"
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(name, Msg.of("why.xls"))
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix in (".gpkg",):
        return "gpkg"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".zip", ".shp"):
        if suffix == ".shp":
            raise DataError(name, Msg.of("why.shapefile_parts"))
        return "zip"
    return "csv"


# --------------------------------------------------------------------------- tables


def _too_wide(name: str, n: int, limit: int) -> DataError:
    return DataError(name, Msg.of("why.too_many_columns", n=n, limit=limit))


def _width(cells: Sequence[object]) -> int:
    """Number of cells up to the last non-empty one (Excel pads rows with empty cells)."""
    n = len(cells)
    while n and (cells[n - 1] is None or not str(cells[n - 1]).strip()):
        n -= 1
    return n


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
    raise DataError(src.name, Msg.of("why.encoding"))


def csv_rows(src: Source, max_rows: int) -> list[tuple[int, list[str]]]:
    """(spreadsheet row, cells) for each CSV record; the first record is row 1.

    The first line is measured against :data:`MAX_COLUMNS` before anything is parsed, and
    every record as it is read.
    """
    text = _decode(src)
    if "\x00" in text:
        raise DataError(src.name, NUL_MESSAGE)
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((",", "\t", ";", "|"), key=first.count) if first else ","
    if first.count(delimiter) == 0:
        delimiter = ","
    limit = MAX_COLUMNS
    head = first.rstrip("\r\n \t" + delimiter)
    if head.count(delimiter) + 1 > limit:
        raise _too_wide(src.name, head.count(delimiter) + 1, limit)
    rows: list[tuple[int, list[str]]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for i, rec in enumerate(reader, start=1):
            if i > max_rows + 50:  # header and title rows included
                raise DataError(src.name, _too_many(max_rows))
            if len(rec) > limit:
                if _width(rec) > limit:
                    raise _too_wide(src.name, _width(rec), limit)
                rec = rec[:_width(rec)]
            rows.append((i, [unguard_formula(c) for c in rec]))
    except csv.Error as exc:
        raise DataError(src.name, Msg.of("why.bad_csv", e=str(exc))) from None
    return rows


def _open_sheet(src: Source, wb, sheet: str | None, warnings: list[ImportProblem]):
    """The sheet to read (default the first), refused when it is a chart or too wide."""
    names = wb.sheetnames
    if not names:
        raise DataError(src.name, Msg.of("why.no_sheets"))
    if sheet is not None and sheet not in names:
        raise DataError(src.name, Msg.of("why.no_sheet", s=sheet, all=list(names)))
    chosen = sheet or names[0]
    if sheet is None and len(names) > 1:
        warnings.append(ImportProblem(None, None, chosen, Msg.of("why.many_sheets", n=len(names), all=list(names),
                                                                 first=chosen), level="warning"))
    ws = wb[chosen]
    if not hasattr(ws, "iter_rows"):
        raise DataError(src.name, Msg.of("why.chart", s=chosen))
    declared = getattr(ws, "max_column", None)  # the sheet's own <dimension>: no cell read yet
    if isinstance(declared, int) and declared > MAX_COLUMNS:
        raise _too_wide(src.name, declared, MAX_COLUMNS)
    ws.reset_dimensions()
    return chosen, ws


def xlsx_rows(src: Source, max_rows: int, max_bytes: int, sheet: str | None,
              warnings: list[ImportProblem]) -> list[tuple[int, list[str]]]:
    """(spreadsheet row, cells) of one sheet of an XLSX workbook; what it unpacks to is measured
    first (:data:`MAX_XML_BYTES`, :data:`MAX_CELLS`) and reading stops at the first cell over."""
    import openpyxl

    infos = unpack.members(src.name, src.raw, max_bytes * MAX_UNZIPPED_RATIO)
    unpack.check_workbook(src.name, src.raw, infos, MAX_XML_BYTES, MAX_CELLS)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(src.raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  (openpyxl raises many kinds on damaged files)
        raise DataError(src.name, Msg.of("why.bad_xlsx", e=exc.__class__.__name__)) from None
    try:
        chosen, ws = _open_sheet(src, wb, sheet, warnings)
        rows, cells = [], 0
        try:
            for i, rec in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                cells += len(rec)
                if i > max_rows + 50:
                    raise DataError(src.name, _too_many(max_rows))
                if cells > MAX_CELLS:
                    raise unpack.too_many_cells(src.name, MAX_CELLS)
                if len(rec) > MAX_COLUMNS:
                    if _width(rec) > MAX_COLUMNS:
                        raise _too_wide(src.name, _width(rec), MAX_COLUMNS)
                    rec = rec[:_width(rec)]
                rows.append((i, [cell_text(v) for v in rec]))
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001  (any failure of a damaged sheet is the user's file)
            raise DataError(src.name, Msg.of("why.bad_sheet", s=chosen, e=exc.__class__.__name__)) from None
        return rows
    finally:
        wb.close()


def _find_header(rows: list[tuple[int, list[str]]], schema: Schema) -> int:
    """Index in ``rows`` of the header: the first of the first 20 non-blank rows naming two
    known columns, else the first non-blank row."""
    first = None
    seen = 0
    for k, (_, cells) in enumerate(rows):
        if not any(c.strip() for c in cells):
            continue
        first = k if first is None else first
        if len({schema.canon(c) for c in cells} - {None}) >= 2:
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
    notes: dict[int, tuple[str, Msg | str]] = field(default_factory=dict)  # record -> (value, reason)
    schema: Schema = CENTERS

    @property
    def pair(self) -> str:
        """The column(s) holding a position, for problems about both coordinates: ``lon/lat``."""
        lon, lat = self.headers.get("lon", "lon"), self.headers.get("lat", "lat")
        return lon if lon == lat else f"{lon}/{lat}"

    def problem(self, i: int, f: str, value: str, reason: Msg | str, level: str = "error",
                column: str | None = None) -> ImportProblem:
        """A problem of record ``i`` in field ``f``, named by its spreadsheet row and header."""
        return ImportProblem(self.rows[i], column or self.headers.get(f, self.schema.hint(f)), value, reason,
                             field=f, level=level)


def _map_columns(header: list[str], schema: Schema, header_row: int | None, what: Msg,
                 warnings: list[ImportProblem]) -> dict[str, int]:
    """Canonical field -> position of its column; warns of second and unknown columns."""
    found: dict[str, int] = {}
    ignored: list[str] = []
    for j, h in enumerate(header):
        canon = schema.canon(h)
        if canon is None or canon in found:
            if h.strip():
                ignored.append(h.strip())
            if canon is not None and header_row is not None:
                warnings.append(ImportProblem(header_row, h.strip(), "", Msg.of(
                    "why.second_column", c=canon, used=header[found[canon]].strip()), field=canon, level="warning"))
            continue
        found[canon] = j
    if ignored:
        warnings.append(ImportProblem(header_row, None, ", ".join(ignored),
                                      Msg.of("why.not_imported", what=what, record=_record_of(schema)),
                                      level="warning"))
    return found


def table_from_rows(src: Source, rows: list[tuple[int, list[str]]], max_rows: int,
                    warnings: list[ImportProblem], schema: Schema = CENTERS) -> Table:
    """The canonical columns of a sheet's rows: header found, blank rows dropped, numbering kept."""
    if any("\x00" in c for _, cells in rows for c in cells):
        raise DataError(src.name, NUL_MESSAGE)
    k = _find_header(rows, schema)
    if k < 0:
        raise DataError(src.name, Msg.of("why.empty_file", ex=schema.example, items=items_of(schema)))
    header_row, header = rows[k]
    if k > 0 and any(any(c.strip() for c in cells) for _, cells in rows[:k]):
        warnings.append(ImportProblem(None, None, "", Msg.of("why.title_rows", n=header_row - 1), level="warning"))
    body = [(r, cells) for r, cells in rows[k + 1:] if any(c.strip() for c in cells)]
    if len(body) > max_rows:
        raise DataError(src.name, _too_many(max_rows))
    found = _map_columns(header, schema, header_row, Msg.of("why.what_columns"), warnings)
    columns = {canon: [cells[j].strip() if j < len(cells) else "" for _, cells in body]
               for canon, j in found.items()}
    long_rows = [r for r, cells in body if len(cells) > len(header) and any(c.strip() for c in cells[len(header):])]
    for r in long_rows[:20]:
        warnings.append(ImportProblem(r, None, "", Msg.of("why.beyond_header"), level="warning"))
    df = pd.DataFrame(columns, dtype=object, index=range(len(body)))
    return Table(df, [r for r, _ in body], {c: header[j].strip() for c, j in found.items()}, header_row,
                 schema=schema)


def frame_table(frame: pd.DataFrame, schema: Schema = CENTERS, source: str = "table",
                warnings: list[ImportProblem] | None = None) -> Table:
    """An in-memory table (the app's editor, the store's edits) read like a sheet: the header is
    row 1, record ``i`` is row ``i + 2``; cells may be text or numbers."""
    frame = pd.DataFrame(frame)
    frame = frame.drop(columns=[c for c in frame.columns if str(c) == "geometry"])
    if len(frame.columns) > MAX_COLUMNS:
        raise _too_wide(source, len(frame.columns), MAX_COLUMNS)
    cells = frame.astype(object).map(lambda v: "" if isna(v) else cell_text(v)).to_numpy().tolist()
    rows = [(1, [str(c) for c in frame.columns])] + [(i + 2, rec) for i, rec in enumerate(cells)]
    return table_from_rows(Source(source, b"", "csv"), rows, max(len(cells), 1),
                           [] if warnings is None else warnings, schema)


def split_lonlat(t: Table) -> list[int]:
    """Fill ``lon``/``lat`` from a combined 'longitude,latitude' column when they are missing;
    returns the records whose combined cell is not two values."""
    if ("lon" in t.df and "lat" in t.df) or "lonlat" not in t.df:
        return []
    text = t.df["lonlat"].astype(str).str.normalize("NFKC").str.strip()
    parts = text.str.split(r"[,;\s]+", regex=True)
    two = (parts.str.len() == 2).to_numpy()
    t.df["lon"] = np.where(two, parts.str[0], "")
    t.df["lat"] = np.where(two, parts.str[1], "")
    t.headers.setdefault("lon", t.headers["lonlat"])
    t.headers.setdefault("lat", t.headers["lonlat"])
    return np.flatnonzero(~two & (text != "").to_numpy()).tolist()


def _zip_target(src: Source, path: Path, layer: str | None, max_bytes: int,
                warnings: list[ImportProblem]) -> tuple[str, str | None, str | None]:
    """(GDAL path, layer, encoding) of the Shapefile to read inside a zip."""
    infos = unpack.members(src.name, src.raw, max_bytes * MAX_UNZIPPED_RATIO)
    shps = [i.filename for i in infos if i.filename.lower().endswith(".shp")]
    if not shps:
        raise DataError(src.name, Msg.of("why.no_shp"))
    if layer is not None:
        pick = [s for s in shps if Path(s).stem == layer]
        if not pick:
            raise DataError(src.name, Msg.of("why.no_shp_named", l=layer, all=[Path(s).stem for s in shps]))
        shp = pick[0]
    else:
        shp = shps[0]
        if len(shps) > 1:
            warnings.append(ImportProblem(None, None, shp, Msg.of("why.many_shp", n=len(shps), l=Path(shp).stem),
                                          level="warning"))
    has_cpg = any(i.filename.lower() == shp[:-4].lower() + ".cpg" for i in infos)
    return f"/vsizip/{path}/{shp}", None, (None if has_cpg else "detect")


def _read_layer(src: Source, target: str, layer: str | None, encoding: str | None, max_rows: int,
                warnings: list[ImportProblem]) -> pd.DataFrame:
    """One layer of a vector file, its size (features, fields) checked before it is read."""
    import pyogrio

    layers = [str(n) for n, *_ in pyogrio.list_layers(target)]
    if layer is not None and layer not in layers:
        raise DataError(src.name, Msg.of("why.no_layer", l=layer, all=layers))
    if layer is None and len(layers) > 1:
        warnings.append(ImportProblem(None, None, layers[0], Msg.of("why.many_layers", n=len(layers), all=layers),
                                      level="warning"))
    use = layer or (layers[0] if layers else None)
    info = pyogrio.read_info(target, layer=use)
    if info.get("features") is not None and info["features"] > max_rows:
        raise DataError(src.name, _too_many(max_rows))
    if len(info.get("fields", ())) > MAX_COLUMNS:
        raise _too_wide(src.name, len(info["fields"]), MAX_COLUMNS)
    with _warnings.catch_warnings():  # GDAL's notes on malformed input; errors still raise
        _warnings.simplefilter("ignore", RuntimeWarning)
        gdf = pyogrio.read_dataframe(target, layer=use)
        if encoding == "detect" and _looks_misdecoded(gdf):
            gdf = pyogrio.read_dataframe(target, layer=use, encoding="gb18030")
    return gdf


def _in_wgs84(src: Source, gdf: pd.DataFrame) -> gpd.GeoDataFrame:
    """The features in EPSG:4326; a file without a coordinate system must be in degrees."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        gdf = gpd.GeoDataFrame(gdf, geometry=[None] * len(gdf), crs="EPSG:4326")
    if gdf.crs is None:
        b = gdf.total_bounds if len(gdf) and gdf.geometry.notna().any() else np.zeros(4)
        if np.all(np.isfinite(b)) and (abs(b[[0, 2]]).max() > 180 or abs(b[[1, 3]]).max() > 90):
            raise DataError(src.name, Msg.of("why.no_prj"))
        return gdf.set_crs("EPSG:4326", allow_override=True)
    if not gdf.crs.equals("EPSG:4326"):
        try:
            return gdf.to_crs("EPSG:4326")
        except Exception as exc:  # noqa: BLE001  (PROJ's errors vary; all mean the same to a user)
            raise DataError(src.name, Msg.of("why.no_convert", a=gdf.crs.name, e=str(exc))) from None
    return gdf


def vector_frame(src: Source, layer: str | None, max_rows: int, max_bytes: int,
                 warnings: list[ImportProblem]) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage or zipped Shapefile into a GeoDataFrame in EPSG:4326."""
    with tempfile.TemporaryDirectory(prefix="geo-import-") as tmp:
        path = Path(tmp) / ("upload." + {"geojson": "geojson", "gpkg": "gpkg", "zip": "zip"}[src.kind])
        path.write_bytes(src.raw)
        target, encoding = str(path), None
        if src.kind == "zip":
            target, layer, encoding = _zip_target(src, path, layer, max_bytes, warnings)
        try:
            with unpack.geojson_objects(src.kind == "geojson"):
                gdf = _read_layer(src, target, layer, encoding, max_rows, warnings)
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001  (GDAL's errors vary; all mean an unreadable file)
            raise DataError(src.name, Msg.of("why.unreadable", k=_kind_label(src.kind),
                                             e=f"{exc.__class__.__name__}: {str(exc)[:200]}")) from None
    if len(gdf) > max_rows:
        raise DataError(src.name, _too_many(max_rows))
    return _in_wgs84(src, gdf)


def _kind_label(kind: str) -> Msg | str:
    """A file format's name: the formats' own names, a zipped Shapefile in words."""
    return Msg.of("why.kind_zip") if kind == "zip" else {"geojson": "GeoJSON", "gpkg": "GeoPackage",
                                                          "csv": "CSV", "xlsx": "XLSX"}.get(kind, kind)


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
                 warnings: list[ImportProblem], schema: Schema = CENTERS) -> Table:
    """Point features as a table: ``lon``/``lat`` from the geometry, else from attributes."""
    gdf = vector_frame(src, layer, max_rows, max_bytes, warnings)
    props = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    found = _map_columns(props, schema, None, Msg.of("why.what_properties"), warnings)
    columns = {canon: gdf[props[j]].map(lambda v: "" if isna(v) else cell_text(v).strip()).tolist()
               for canon, j in found.items()}
    if any("\x00" in v for col in columns.values() for v in col):
        raise DataError(src.name, NUL_MESSAGE)
    n = len(gdf)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    one = (shapely.get_type_id(geoms) == 4) & (shapely.get_num_geometries(geoms) == 1)  # a MultiPoint of one
    geoms[one] = shapely.get_geometry(geoms[one], 0)
    point = (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
    lon = np.array(columns.get("lon", [""] * n), dtype=object)
    lat = np.array(columns.get("lat", [""] * n), dtype=object)
    lon[point] = [cell_text(v) for v in shapely.get_x(geoms[point])]
    lat[point] = [cell_text(v) for v in shapely.get_y(geoms[point])]
    other = ~point & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) & (lon == "") & (lat == "")
    kinds = shapely.get_type_id(geoms)
    items = items_of(schema)
    notes = {int(i): (_GEOM_NAMES[kinds[i]], Msg.of("why.not_point", geom=_GEOM_NAMES[kinds[i]], items=items))
             for i in np.flatnonzero(other)}
    columns["lon"], columns["lat"] = lon.tolist(), lat.tolist()
    headers = {c: props[j] for c, j in found.items()} | {f: props[found[f]] if f in found else "geometry"
                                                         for f in ("lon", "lat")}
    df = pd.DataFrame(columns, dtype=object, index=range(n))
    return Table(df, list(range(1, n + 1)), headers, None, notes, schema)


_GEOM_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def load_table(source: str | os.PathLike | bytes | io.IOBase, schema: Schema | str, *,
               filename: str | None = None,
               sheet: str | None = None, layer: str | None = None, max_bytes: int | None = None,
               max_rows: int | None = None,
               warnings: list[ImportProblem] | None = None) -> tuple[Source, Table]:
    """Read a user's table of ``schema``'s kind (a :class:`Schema` or a key of :data:`SCHEMAS`):
    CSV, XLSX, GeoJSON or GeoPackage points.

    Size, rows and columns are checked against the limits (default :data:`MAX_BYTES`,
    :data:`MAX_ROWS`, :data:`MAX_COLUMNS`); warnings are appended to ``warnings``.
    Raises :class:`DataError` when the file cannot be read.
    """
    schema = SCHEMAS[schema] if isinstance(schema, str) else schema
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    max_rows = MAX_ROWS if max_rows is None else max_rows
    warnings = [] if warnings is None else warnings
    src = read_source(source, filename, max_bytes)
    if src.kind == "csv":
        table = table_from_rows(src, csv_rows(src, max_rows), max_rows, warnings, schema)
    elif src.kind == "xlsx":
        table = table_from_rows(src, xlsx_rows(src, max_rows, max_bytes, sheet, warnings), max_rows, warnings,
                                schema)
    elif src.kind in ("geojson", "gpkg"):
        table = vector_table(src, layer, max_rows, max_bytes, warnings, schema)
    else:
        raise DataError(src.name, Msg.of("why.zip_table", items=items_of(schema)))
    return src, table


def read_plain(source: str | os.PathLike | bytes, filename: str | None = None) -> tuple[str, pd.DataFrame]:
    """A CSV or XLSX read as text columns under its own header (no schema): ``(name, frame)``.

    The frame's index is the spreadsheet row of each record (the header is row 1); blank
    rows are dropped. Same limits and refusals as every other table.
    """
    src = read_source(source, filename, MAX_BYTES)
    if src.kind == "csv":
        rows = csv_rows(src, MAX_ROWS)
    elif src.kind == "xlsx":
        rows = xlsx_rows(src, MAX_ROWS, MAX_BYTES, None, [])
    else:
        raise DataError(src.name, Msg.of("why.csv_xlsx"))
    rows = [(r, cells) for r, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise DataError(src.name, Msg.of("why.empty_plain"))
    (_, header), body = rows[0], rows[1:]
    if len(body) > MAX_ROWS:
        raise DataError(src.name, _too_many(MAX_ROWS))
    width = len(header)
    records = [[c.strip() for c in (cells + [""] * width)[:width]] for _, cells in body]
    df = pd.DataFrame(records, columns=[h.strip() for h in header], index=[r for r, _ in body], dtype=object)
    return src.name, df


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

    files.atomic_write(target, write)
    return target


def import_options(crs: str, filename: str | None, max_bytes: int | None,
             max_rows: int | None) -> tuple[str, int, int]:
    """The checked coordinate system and the size limits (defaults filled in) of an import."""
    try:
        chosen = _crs.check_crs(crs)
    except ValueError as exc:
        raise DataError(filename, getattr(exc, "msg", None) or str(exc)) from None
    return (chosen, MAX_BYTES if max_bytes is None else max_bytes,
            MAX_ROWS if max_rows is None else max_rows)
