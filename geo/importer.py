"""Planners' files in and out: centres and boundaries, validated; layers exported.

Import
    :func:`import_centers` reads a centres file (CSV in UTF-8, UTF-8 with BOM, GBK/GB18030 or
    UTF-16; XLSX; GeoJSON; GeoPackage) with English or Chinese headers and returns an
    :class:`ImportReport`: the valid rows as a GeoDataFrame with the ``centers.csv`` columns
    (WGS-84) and *every* problem found (spreadsheet row, column as the file names it, value,
    reason). Each problem excludes its row from ``valid``; the user either fixes the file or
    imports ``valid`` alone. No row is dropped without a problem naming it (fully blank rows
    are not data and are skipped). :func:`import_boundaries` does the same for street or
    community polygons (GeoJSON, GeoPackage, zipped Shapefile), matched to the registry by
    code, else by name.

    A file that cannot be imported at all (unreadable, too big, too many rows, required
    columns missing, no data rows) raises :class:`geo.data.DataError` instead, whose
    ``problems`` list every such problem.

Coordinates
    The user says which system the file is in (``wgs84``, ``gcj02`` for AMap/Tencent,
    ``bd09`` for Baidu). The importer also counts, for each choice, how many points fall inside
    the district, and warns when another choice fits better (an AMap sheet read as WGS-84 lands
    about 540 m off).

Paths
    No name taken from a file, an upload or a layer becomes a path outside the data folder:
    :func:`safe_filename` and :func:`resolve_inside` reject ``..``, absolute paths, drive
    letters, control characters and symlinks that escape; zip members with such names are
    refused before GDAL sees them.

Export
    :func:`export_layer` writes a layer or a result table as GeoJSON, GeoPackage, CSV or XLSX,
    atomically (a temporary file in the same folder, then :func:`os.replace`). Text cells that a
    spreadsheet would run as a formula are written as text.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
import re
import tempfile
import unicodedata
import warnings as _warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs as _crs
from geo import data
from geo.data import DataError, Problem

# --------------------------------------------------------------------------- settings

MAX_BYTES: int = 50 * 1024 * 1024
"""Files larger than this are refused (bytes)."""
MAX_ROWS: int = 100_000
"""Files with more data rows (or features) than this are refused."""
MAX_UNZIPPED_RATIO: int = 10
"""A zip (XLSX, zipped Shapefile) may unpack to at most this many times ``MAX_BYTES``."""
DATA_ROOT: Path = data.ROOT / "data"
"""The data folder: nothing named by a user's file is ever written outside it."""
USER_DIR: Path = DATA_ROOT / "user"
"""Where the user's own files live (git-ignored)."""
METRIC_CRS = "EPSG:32650"  # UTM 50N, Shantou

FORMATS: tuple[str, ...] = ("geojson", "gpkg", "csv", "xlsx")
EXCEL_CELL_MAX = 32767

# Extra header names seen in planners' sheets, on top of geo.data.CENTER_ALIASES.
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
_REQUIRED = ("name", "tier", "lon", "lat")
_FIELD_HINT = {"name": "name/名称", "tier": "tier/级别", "lon": "lon/经度", "lat": "lat/纬度",
               "community_name": "community/社区", "street_name": "street/街道"}

# Suffixes a division's name may carry or omit, longest first.
_NAME_SUFFIXES = tuple(sorted(
    ("社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "街道办事处", "村委会", "居委会",
     "街道办", "社区", "街道", "村"), key=len, reverse=True))

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class ImportProblem(Problem):
    """A :class:`~geo.data.Problem` plus the canonical field it concerns and its level.

    ``row`` is the row number a spreadsheet shows (header = its row, usually 1) or, for
    GeoJSON/GeoPackage, the feature number (1 = first); ``column`` is the header as written
    in the file; ``level`` is ``"error"`` (the row is not imported) or ``"warning"``.
    """

    field: str = ""
    level: str = "error"


@dataclass
class ImportReport:
    """The outcome of :func:`import_centers`."""

    valid: gpd.GeoDataFrame
    """Rows without problems: ``centers.csv`` columns + geometry, EPSG:4326 (WGS-84)."""
    problems: list[ImportProblem]
    """Every error; each excludes the row it names."""
    warnings: list[ImportProblem]
    """Things to check that do not exclude a row (coordinate system, ignored columns …)."""
    source: str
    """File name, for messages."""
    n_rows: int
    """Data rows read (fully blank rows are not counted)."""
    valid_rows: list[int]
    """Spreadsheet row of each row of ``valid``, in order."""
    crs: str
    """The coordinate system the user chose."""
    inside_counts: dict[str, int] = field(default_factory=dict)
    """Points inside the district for each coordinate system."""
    suggested_crs: str | None = None
    """Set when another coordinate system puts more points inside the district."""

    @property
    def ok(self) -> bool:
        """True when every row is valid."""
        return not self.problems

    @property
    def rejected_rows(self) -> list[int]:
        """Spreadsheet rows excluded because of a problem."""
        return sorted({p.row for p in self.problems if p.row is not None})

    def problems_frame(self, include_warnings: bool = True) -> pd.DataFrame:
        """Problems (and warnings) as a table: ``row, column, value, reason, level``."""
        items = self.problems + (self.warnings if include_warnings else [])
        items = sorted(items, key=lambda p: (p.row if p.row is not None else 0, p.level != "error"))
        return pd.DataFrame([{"row": p.row, "column": p.column, "value": p.value, "reason": p.reason,
                              "level": p.level} for p in items],
                            columns=["row", "column", "value", "reason", "level"])

    def raise_for_problems(self) -> None:
        """Raise :class:`DataError` listing every problem, if there is any."""
        if self.problems:
            raise DataError(self.source, list(self.problems))

    def summary(self) -> str:
        """One line for the user, e.g. '172 rows read: 170 valid, 2 with problems (rows 5, 9)'."""
        bad = self.rejected_rows
        text = f"{self.source}: {self.n_rows} rows read: {len(self.valid)} valid"
        if bad:
            shown = ", ".join(map(str, bad[:10])) + (" …" if len(bad) > 10 else "")
            text += f", {len(bad)} with problems (rows {shown})"
        if self.warnings:
            text += f"; {len(self.warnings)} warning(s)"
        return text


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


# --------------------------------------------------------------------------- paths


_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise DataError(None, f"empty {what}; give a file name")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise DataError(None, f"{what} {name!r} contains control characters; rename it")
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() \
            or PureWindowsPath(name).drive or name.startswith(("\\", "/")):
        raise DataError(None, f"{what} {name!r} is an absolute path; give a name inside the data folder")
    parts = re.split(r"[\\/]+", name)
    if any(p in ("..", ".") for p in parts):
        raise DataError(None, f"{what} {name!r} contains '..' or '.'; give a plain name inside the data folder")


def safe_filename(name: str, default_suffix: str = "") -> str:
    """A single, harmless file-name component made from a user's name (upload, layer).

    Refuses (``DataError``) names with ``..``, path separators, absolute paths or control
    characters; otherwise keeps letters (Chinese too), digits, ``-_.()`` and spaces, turns
    anything else into ``_`` and caps the length at 120 characters.
    """
    _check_name(name, "file name")
    if re.search(r"[\\/]", name):
        raise DataError(None, f"file name {name!r} contains a folder; give a plain file name")
    clean = unicodedata.normalize("NFC", name).strip()
    clean = re.sub(r"[^\w\-.() （）]", "_", clean).strip(" .")
    if not clean or clean.split(".")[0].lower() in _WINDOWS_RESERVED:
        raise DataError(None, f"file name {name!r} is not usable; rename it")
    stem, dot, suffix = clean.rpartition(".")
    if not dot:
        stem, suffix = clean, ""
    if len(clean) > 120:
        keep = 120 - len(suffix) - 1
        clean = stem[:keep] + ("." + suffix if suffix else "")
    if default_suffix and not clean.lower().endswith(default_suffix.lower()):
        clean += default_suffix
    return clean


def resolve_inside(base: str | Path, name: str | Path) -> Path:
    """``base/name`` resolved, guaranteed to stay inside ``base`` (symlinks followed).

    ``name`` may contain sub-folders; absolute paths, ``..`` and links that leave ``base``
    raise ``DataError``.
    """
    _check_name(str(name), "path")
    root = Path(base).resolve()
    target = (root / str(name)).resolve()
    if not target.is_relative_to(root):
        raise DataError(str(name), f"{str(name)!r} leads outside the data folder {root}; "
                                   "remove the link or choose another name")
    return target


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


# --------------------------------------------------------------------------- sources


def _too_big(n: int, limit: int) -> str:
    return (f"the file is {n / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit; "
            "split it or remove unused columns and sheets")


def _too_many(limit: int) -> str:
    return f"the file has more than {limit:,} rows, over the limit; split it into smaller files"


@dataclass
class _Source:
    name: str
    raw: bytes
    kind: str  # csv | xlsx | geojson | gpkg | zip


def _read_source(source: str | os.PathLike | bytes | io.IOBase, filename: str | None,
                 max_bytes: int) -> _Source:
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
    return _Source(name, raw, _sniff(name, raw))


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


def _check_zip(src: _Source, max_bytes: int) -> list[zipfile.ZipInfo]:
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
            _check_name(i.filename, "archive member")
        except DataError:
            raise DataError(src.name, f"archive member {i.filename!r} has an unsafe path "
                                      "(absolute or '..'); make the zip again from the files") from None
    return infos


# --------------------------------------------------------------------------- tables


def _decode(src: _Source) -> str:
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


def _csv_rows(src: _Source, max_rows: int) -> list[tuple[int, list[str]]]:
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
            rows.append((i, [_unguard(c) for c in rec]))
    except csv.Error as exc:
        raise DataError(src.name, f"cannot read the file as CSV ({exc}); save it again as CSV UTF-8") from None
    return rows


def _unguard(cell: str) -> str:
    """Undo :func:`_formula_guard`: "'=x" read back as "=x"."""
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1] in "=+@-\t\r" else cell


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _xlsx_rows(src: _Source, max_rows: int, max_bytes: int, sheet: str | None,
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
                rows.append((i, [_cell_text(v) for v in rec]))
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
class _Table:
    """Canonical text columns plus the row numbers and original header names."""

    df: pd.DataFrame  # canonical columns, text
    rows: list[int]  # spreadsheet row of each record
    headers: dict[str, str]  # canonical field -> header as written in the file
    header_row: int | None
    notes: dict[int, tuple[str, str]] = field(default_factory=dict)  # record -> (value, reason)


def _table_from_rows(src: _Source, rows: list[tuple[int, list[str]]], max_rows: int,
                     warnings: list[ImportProblem]) -> _Table:
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
    return _Table(df, [r for r, _ in body], headers, header_row)


def _vector_frame(src: _Source, layer: str | None, max_rows: int, max_bytes: int,
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


def _vector_table(src: _Source, layer: str | None, max_rows: int, max_bytes: int,
                  warnings: list[ImportProblem]) -> _Table:
    """Point features as a table: ``lon``/``lat`` from the geometry, else from attributes."""
    gdf = _vector_frame(src, layer, max_rows, max_bytes, warnings)
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
        columns[canon] = ["" if _isna(v) else _cell_text(v).strip() for v in gdf[c].tolist()]
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
            lon[i], lat[i] = _cell_text(g.x), _cell_text(g.y)
        elif g is not None and not g.is_empty and not (lon[i] or lat[i]):
            notes[i] = (g.geom_type, f"a {g.geom_type}, not a point; centres must be points")
    columns["lon"], columns["lat"] = lon, lat
    headers.setdefault("lon", "geometry")
    headers.setdefault("lat", "geometry")
    df = pd.DataFrame(columns, dtype=object, index=range(n))
    return _Table(df, list(range(1, n + 1)), headers, None, notes)


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- registry


def _is_code(v: str) -> bool:
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
class _Registry:
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


def _default(name: str):
    fname = {"district": "district.geojson", "divisions": "divisions.csv",
             "streets": "streets.geojson", "communities": "communities.geojson"}[name]
    p = data.DATA_DIR / fname
    if not p.exists():
        return None
    return _shipped(name, p.stat().st_mtime)


def _district_geom(district: gpd.GeoDataFrame | None) -> shapely.Geometry:
    d = district if district is not None else _default("district")
    return shapely.union_all(np.asarray(d.to_crs("EPSG:4326").geometry.values))


# --------------------------------------------------------------------------- coordinates


def _tier(value: str) -> str | None:
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


def _parse_number(s: str) -> float:
    t = unicodedata.normalize("NFKC", s).strip().replace("°", "")
    if not _NUMBER.match(t):
        return math.nan
    return float(t)


def inside_counts(lon: np.ndarray, lat: np.ndarray,
                  district: gpd.GeoDataFrame | None = None) -> dict[str, int]:
    """How many points fall inside the district when read as each coordinate system."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    geom = _district_geom(district)
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


def _crs_warning(chosen: str, best: str, counts: dict[str, int], n: int) -> ImportProblem:
    label = {"wgs84": "WGS-84", "gcj02": "GCJ-02 (AMap/Tencent, 高德/腾讯)", "bd09": "BD-09 (Baidu, 百度)"}
    return ImportProblem(
        None, None, best,
        f"the coordinates look like {label[best]}, not {label[chosen]}: read as {label[chosen]}, "
        f"{counts[chosen]} of {n} points fall inside Longhu; read as {label[best]}, {counts[best]} do. "
        f"Choose {best} as the coordinate system (坐标系) and import again.",
        field="crs", level="warning")


# --------------------------------------------------------------------------- centres


def _options(crs: str, filename: str | None, max_bytes: int | None,
             max_rows: int | None) -> tuple[str, int, int]:
    """The checked coordinate system and the size limits (defaults filled in) of an import."""
    try:
        chosen = _crs.check_crs(crs)
    except ValueError as exc:
        raise DataError(filename, str(exc)) from None
    return (chosen, MAX_BYTES if max_bytes is None else max_bytes,
            MAX_ROWS if max_rows is None else max_rows)


def import_centers(source: str | os.PathLike | bytes | io.IOBase, crs: str = "wgs84", *,
                   filename: str | None = None, sheet: str | None = None, layer: str | None = None,
                   divisions: pd.DataFrame | None = None, district: gpd.GeoDataFrame | None = None,
                   streets: gpd.GeoDataFrame | None = None, communities: gpd.GeoDataFrame | None = None,
                   max_bytes: int | None = None, max_rows: int | None = None) -> ImportReport:
    """Read and validate a centres file; return its valid rows and every problem.

    Parameters
    ----------
    source
        A path, the file's bytes (an upload) or a binary file object.
    crs
        The coordinate system of the file's longitudes/latitudes: ``wgs84``, ``gcj02``
        (AMap/Tencent) or ``bd09`` (Baidu).
    filename
        The file's name when ``source`` is bytes (used for its type and in messages).
    sheet, layer
        The XLSX sheet or GeoPackage layer to read (default: the first).
    divisions, district, streets, communities
        The registry and layers to check against (default: the shipped ones). Streets and
        communities fill in empty street/community codes from the position.
    max_bytes, max_rows
        Limits (default :data:`MAX_BYTES`, :data:`MAX_ROWS`).

    Raises
    ------
    DataError
        When nothing can be imported: unreadable file, over a limit, a required column
        missing, no data rows, unknown coordinate system.
    """
    chosen, max_bytes, max_rows = _options(crs, filename, max_bytes, max_rows)
    src = _read_source(source, filename, max_bytes)
    warnings: list[ImportProblem] = []
    if src.kind == "csv":
        table = _table_from_rows(src, _csv_rows(src, max_rows), max_rows, warnings)
    elif src.kind == "xlsx":
        table = _table_from_rows(src, _xlsx_rows(src, max_rows, max_bytes, sheet, warnings), max_rows, warnings)
    elif src.kind in ("geojson", "gpkg"):
        table = _vector_table(src, layer, max_rows, max_bytes, warnings)
    else:
        raise DataError(src.name, "a zip file is not a centres table; upload CSV, XLSX, GeoJSON or GeoPackage")
    return _validate_centers(src.name, table, chosen, warnings, divisions, district, streets, communities)


def _validate_centers(name: str, t: _Table, chosen: str, warnings: list[ImportProblem],
                      divisions, district, streets, communities) -> ImportReport:
    df, rows, headers = t.df, t.rows, t.headers
    n = len(df)
    bad: list[int] = []
    if ("lon" not in df or "lat" not in df) and "lonlat" in df:
        parts = [re.split(r"[,;\s]+", unicodedata.normalize("NFKC", s).strip()) for s in df["lonlat"]]
        df["lon"] = [p[0] if len(p) == 2 else "" for p in parts]
        df["lat"] = [p[1] if len(p) == 2 else "" for p in parts]
        headers.setdefault("lon", headers["lonlat"])
        headers.setdefault("lat", headers["lonlat"])
        bad = [i for i, p in enumerate(parts) if len(p) != 2 and any(p)]
    missing = [f for f in _REQUIRED if f not in headers]
    if missing:
        raise DataError(name, [ImportProblem(t.header_row, _FIELD_HINT[f], "",
                                             f"missing column {_FIELD_HINT[f]}; add it to the header row",
                                             field=f) for f in missing])
    if n == 0:
        raise DataError(name, "the file has no centres; add at least one row under the header")

    problems: list[ImportProblem] = []

    def add(i: int, f: str, value: str, reason: str, level: str = "error", column: str | None = None) -> None:
        item = ImportProblem(rows[i], column or headers.get(f, _FIELD_HINT.get(f, f)), value, reason,
                             field=f, level=level)
        (problems if level == "error" else warnings).append(item)

    for i in bad:
        add(i, "lon", df["lonlat"].iat[i], "expected 'longitude,latitude' (for example 116.7417,23.3956)")
    for i, why in t.notes.items():
        add(i, "lon", why[0], why[1], column="geometry")

    # --- names, tiers, ids
    names = [str(v).strip() for v in df["name"]]
    for i, v in enumerate(names):
        if not v:
            add(i, "name", "", "empty name; fill in the centre's name")
        elif len(v) > 200:
            add(i, "name", v[:40] + "…", "name longer than 200 characters; shorten it")
    tiers = [_tier(v) for v in df["tier"]]
    for i, (v, tier) in enumerate(zip(df["tier"], tiers)):
        if tier is None:
            add(i, "tier", v, ("unknown tier" if v.strip() else "empty tier")
                + "; use district/street/community/station or 区级/街道/社区/服务站")
    ids = [str(v).strip() for v in df["id"]] if "id" in df else [""] * n
    first_id: dict[str, int] = {}
    for i, v in enumerate(ids):
        if not v:
            continue
        if v in first_id:
            add(i, "id", v, f"duplicate id; row {rows[first_id[v]]} has the same id")
        else:
            first_id[v] = i

    # --- coordinates
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    coord_ok = np.zeros(n, dtype=bool)
    pair = _pair(headers)
    lon_text, lat_text = list(df["lon"]), list(df["lat"])
    skip = set(bad) | set(t.notes)
    for i in range(n):
        if i in skip:
            continue
        xs, ys = lon_text[i], lat_text[i]
        if not xs and not ys:
            add(i, "lon", "", "empty coordinates; fill in longitude and latitude (经度, 纬度)", column=pair)
            continue
        xv, yv = _parse_number(xs), _parse_number(ys)
        row_ok = True
        for f, s, v in (("lon", xs, xv), ("lat", ys, yv)):
            if not s:
                add(i, f, "", f"empty {'longitude' if f == 'lon' else 'latitude'}")
                row_ok = False
            elif not np.isfinite(v):
                add(i, f, s, "not a number; write decimal degrees such as 116.7417 and 23.3956")
                row_ok = False
        if not row_ok:
            continue
        if abs(xv) <= 90 and 70 <= yv <= 140:
            add(i, "lon", f"{xs}, {ys}", "longitude and latitude look swapped; swap the two values", column=pair)
        elif not -180 <= xv <= 180:
            add(i, "lon", xs, "longitude out of range [-180, 180]")
        elif not -90 <= yv <= 90:
            add(i, "lat", ys, "latitude out of range [-90, 90]")
        else:
            x[i], y[i] = xv, yv
            coord_ok[i] = True

    # --- coordinate system and district
    wx, wy = _crs.convert(x, y, chosen, "wgs84")
    geom = _district_geom(district)
    n_ok = int(coord_ok.sum())
    suggested, counts = (None, {})
    if n_ok:
        suggested, counts = guess_crs(x[coord_ok], y[coord_ok], chosen, district)
        if suggested:
            warnings.append(_crs_warning(chosen, suggested, counts, n_ok))
        inside = np.zeros(n, dtype=bool)
        inside[coord_ok] = shapely.contains_xy(geom, wx[coord_ok], wy[coord_ok])
        out_idx = np.flatnonzero(coord_ok & ~inside)
        if len(out_idx):
            dist = _distance_m(geom, wx[out_idx], wy[out_idx])
            for i, d in zip(out_idx, dist):
                add(int(i), "lon", f"{lon_text[i]}, {lat_text[i]}",
                    f"outside Longhu District, {d:,.0f} m from its outline; check the coordinates "
                    f"and the coordinate system ({chosen})", column=pair)

    # --- street and community against the registry
    reg = _Registry(divisions if divisions is not None else _default("divisions"))
    street_code = [""] * n
    community_code = [""] * n
    for f_code, f_name, level, target in (("street_code", "street_name", "street", street_code),
                                          ("community_code", "community_name", "community", community_code)):
        for f in (f_code, f_name):
            if f not in df:
                continue
            for i, v in enumerate(df[f]):
                if not v or target[i]:
                    continue
                code, reason = reg.resolve(v, level, street_code[i] or None)
                if code is None:
                    add(i, f, v, reason)
                else:
                    target[i] = code
    for i in range(n):
        c = community_code[i]
        if c:
            parent = reg.parent[c]
            if street_code[i] and street_code[i] != parent:
                add(i, "street_name" if "street_name" in headers else "street_code", street_code[i],
                    f"{reg.name[c]} belongs to {reg.name[parent]} ({parent}), not to "
                    f"{reg.name.get(street_code[i], street_code[i])}; correct the street or the community")
            elif not street_code[i]:
                street_code[i] = parent

    # locate empty codes from the position (only rows with usable coordinates)
    streets_l = streets if streets is not None else _default("streets")
    comms_l = communities if communities is not None else _default("communities")
    located = np.zeros(n, dtype=bool)
    if coord_ok.any():
        pts = gpd.GeoDataFrame({
            "id": "", "name": "", "tier": [t or "" for t in tiers],
            "street_code": street_code, "community_code": community_code,
            "lon": wx, "lat": wy, "position_source": "",
        }, geometry=gpd.points_from_xy(np.where(coord_ok, wx, 0), np.where(coord_ok, wy, 0)), crs="EPSG:4326")
        pts = pts[coord_ok]
        if streets_l is not None or comms_l is not None:
            loc = data.locate(pts, streets_l, comms_l)
            for i, sc, cc in zip(np.flatnonzero(coord_ok), loc["street_code"], loc["community_code"]):
                if not street_code[i]:
                    street_code[i] = sc
                if tiers[i] == "community" and not community_code[i] and cc:
                    community_code[i] = cc
                    located[i] = True
    illustrative = comms_l is not None and data.is_illustrative(comms_l)

    # --- one community-tier centre per community
    first_comm: dict[str, int] = {}
    error_rows = {p.row for p in problems}
    for i in range(n):
        if tiers[i] != "community":
            continue
        c = community_code[i]
        if not c:
            if coord_ok[i] and rows[i] not in error_rows:
                add(i, "community_name", "", "community not known: no 社区/村 column value and the position "
                    "is in no community boundary; fill in the community", level="warning")
            continue
        if c in first_comm:
            j = first_comm[c]
            reason = (f"{reg.name.get(c, c)} already has a community-tier centre (row {rows[j]}); "
                      "one per community: make this one a station (服务站) or correct its community")
            if (located[i] or located[j]) and illustrative:
                add(i, "community_name", c, reason + " — found from the illustrative boundaries, so "
                    "check it against real ones", level="warning")
            else:
                add(i, "community_name" if "community_name" in headers else "community_code", c, reason)
        else:
            first_comm[c] = i
    if illustrative and located.any():
        warnings.append(ImportProblem(None, None, str(int(located.sum())),
                                      f"the community of {int(located.sum())} community-tier centre(s) was found "
                                      "from the illustrative boundaries; add a 社区/村 column or load real "
                                      "boundaries", field="community_code", level="warning"))

    # --- assemble the valid rows
    bad_rows = {p.row for p in problems}
    keep = [i for i in range(n) if rows[i] not in bad_rows]
    used = {ids[i] for i in range(n) if ids[i]}
    gen = iter(f"C{k:04d}" for k in range(1, 10 * n + len(used) + 2) if f"C{k:04d}" not in used)
    out_ids = [ids[i] or next(gen) for i in keep]
    source_col = ([str(v).strip() or "user" for v in df["position_source"]]
                  if "position_source" in df else ["user"] * n)
    valid = pd.DataFrame({
        "id": out_ids,
        "name": [names[i] for i in keep],
        "tier": [tiers[i] for i in keep],
        "street_code": [street_code[i] for i in keep],
        "community_code": [community_code[i] if tiers[i] == "community" else "" for i in keep],
        "lon": wx[keep].astype(float) if keep else np.array([], dtype=float),
        "lat": wy[keep].astype(float) if keep else np.array([], dtype=float),
        "position_source": [source_col[i] for i in keep],
    }, columns=data.CENTER_COLUMNS)
    for c in data.CENTER_COLUMNS:
        if c not in ("lon", "lat"):
            valid[c] = valid[c].astype(str)
    gdf = gpd.GeoDataFrame(valid, geometry=gpd.points_from_xy(valid["lon"], valid["lat"]), crs="EPSG:4326")
    return ImportReport(gdf, problems, warnings, name, n, [rows[i] for i in keep], chosen, counts, suggested)


def _pair(headers: dict[str, str]) -> str:
    lon, lat = headers.get("lon", "lon"), headers.get("lat", "lat")
    return lon if lon == lat else f"{lon}/{lat}"


def _distance_m(geom: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Distance in metres from each point to a (WGS-84) geometry, in UTM 50N."""
    g = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(METRIC_CRS).iat[0]
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(METRIC_CRS)
    return shapely.distance(np.asarray(pts.values), g)


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
    chosen, max_bytes, max_rows = _options(crs, filename, max_bytes, max_rows)
    if level not in (None, "street", "community"):
        raise DataError(filename, f"unknown level {level!r}; use 'street' or 'community'")
    src = _read_source(source, filename, max_bytes)
    if src.kind not in ("geojson", "gpkg", "zip"):
        raise DataError(src.name, "boundaries must be GeoJSON, GeoPackage or a zipped Shapefile (.zip)")
    warnings: list[ImportProblem] = []
    gdf = _vector_frame(src, layer, max_rows, max_bytes, warnings)
    if len(gdf) == 0:
        raise DataError(src.name, "the file has no features")
    reg = _Registry(divisions if divisions is not None else _default("divisions"))

    # which column holds codes, which names, and which level
    text = {c: [("" if _isna(v) else _cell_text(v).strip()) for v in gdf[c].tolist()]
            for c in gdf.columns if c != gdf.geometry.name}
    levels = [level] if level else ["street", "community"]
    sample = slice(0, 1000)
    best = None  # (matches, level, code column, name column)
    for lv in levels:
        def hits(c: str, digits: bool) -> int:
            return sum(reg.resolve(v, lv)[0] is not None for v in text[c][sample]
                       if v and _is_code(v) == digits)
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
    d = _district_geom(district)
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


# --------------------------------------------------------------------------- export


_FORMULA_START = ("=", "+", "@", "\t", "\r", "-")


def _formula_guard(s: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV only)."""
    if s and s.startswith(_FORMULA_START) and not (s[0] in "+-" and _NUMBER.match(s)):
        return "'" + s
    return s


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
                table[c] = table[c].map(lambda v: _formula_guard(v) if isinstance(v, str) else v)
        data.write_csv(table, target)
    else:
        _write_xlsx(_table_for_export(df), target, layer_name or target.stem,
                    data.is_illustrative(pd.DataFrame(df)))
    return target


def _xlsx_value(v: object) -> object:
    if v is None or _isna(v):
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
