"""The one table writer: CSV and XLSX safe to open in Excel; GeoJSON and GeoPackage layers.

Every table the project writes (exports, the app's downloads, the briefing workbook, the
command line's outputs) goes through here, and every file is written atomically.

Formula guard (OWASP "CSV injection"), decided per format:

* CSV: a text cell or header that a spreadsheet would run as a formula -- starting with ``=``,
  ``+``, ``-``, ``@``, tab or carriage return, numbers such as ``-3.5`` excepted -- gets a
  leading ``'``. Text that already starts with ``'`` and one of those characters gets one
  more, so the reader (:func:`geo.io.cells.unguard_formula`) gives back exactly what was
  written: ``'=x`` is stored as ``''=x`` and read as ``'=x``.
* XLSX: text cells are stored as strings (cell type ``s``), which Excel and LibreOffice never
  evaluate, and formula-looking text also carries Excel's quote prefix (the hidden apostrophe
  Excel sets itself when ``'=x`` is typed), so it stays text when the cell is edited. The
  value is not changed: a literal ``'`` would show in the cell and come back from every
  reader of the workbook.

Line breaks and characters a format cannot hold, decided per format (everything else, bidi
marks, CJK and emoji included, is written as is and reads back unchanged):

* CSV rows end in CRLF (RFC 4180, as Excel writes them), so a cell holding CR, LF or both is
  quoted and reads back as one cell: a ``=``/``@`` after a line break inside a name never
  starts a row or a cell. NUL becomes U+FFFD (``\ufffd``): Excel cuts text at NUL and the
  project's reader refuses it.
* XLSX: CR and CRLF become LF (XML keeps only LF line ends; Excel breaks the line the same
  way), and the characters XML 1.0 cannot hold -- NUL, the other C0 controls but tab and LF,
  U+FFFE and U+FFFF -- become U+FFFD, so the workbook is always written. An empty text cell
  reads back as an empty cell.
* GeoJSON, GeoPackage: NUL becomes U+FFFD (GDAL would end the text at it); nothing else changes.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.io import data
from geo.io.cells import FORMULA_LEADING, guard_formula, isna
from geo.io.errors import DataError, Problem
from geo.io.files import atomic_write, resolve_inside, safe_filename, staged_folder
from geo.locale import LANGS, Msg, text

FORMATS: tuple[str, ...] = ("geojson", "gpkg", "csv", "xlsx")
EXCEL_CELL_MAX = 32767
NOTES_SHEET = "说明"
_MAX_WIDTH = 80
REPLACEMENT = "\ufffd"
"""What a character the format cannot hold becomes (see the module notes)."""
_NUL = (re.compile("\x00"), REPLACEMENT)
_XML_TEXT = (re.compile("\r\n?"), "\n"), (re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"), REPLACEMENT)

# --------------------------------------------------------------------------- plain tables


def plain_table(df: pd.DataFrame) -> pd.DataFrame:
    """A plain table: points as lon/lat columns, other geometries as WKT text."""
    if not isinstance(df, gpd.GeoDataFrame) or df.geometry.name not in df.columns:
        return pd.DataFrame(df).copy()
    g = df.geometry.to_crs("EPSG:4326") if df.crs is not None else df.geometry
    out = pd.DataFrame(df.drop(columns=[df.geometry.name]))
    types = set(g.dropna().geom_type)
    if types <= {"Point"} and len(types):
        if "lon" not in out.columns:
            out["lon"] = g.x
        if "lat" not in out.columns:
            out["lat"] = g.y
    else:
        out["geometry_wkt"] = shapely.to_wkt(np.asarray(g.values), rounding_precision=7, trim=True)
    return out


def _text_columns(df: pd.DataFrame) -> Iterable[str]:
    """Columns that may hold text (not numbers, booleans or dates)."""
    for c in df.columns:
        s = df[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
                or pd.api.types.is_datetime64_any_dtype(s)):
            yield c


def _formula_mask(s: pd.Series) -> pd.Series:
    """True where the cell is text that :data:`geo.io.cells.FORMULA_LEADING` matches."""
    is_text = s.map(lambda v: isinstance(v, str)).astype(bool)
    return is_text & s.where(is_text, "").astype(str).str.match(FORMULA_LEADING.pattern)


def _replace_text(df: pd.DataFrame, subs: tuple[tuple[re.Pattern, str], ...]) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and text headers have each ``(pattern, replacement)`` applied."""
    def fix(v: str) -> str:
        for pattern, replacement in subs:
            v = pattern.sub(replacement, v)
        return v

    out = df.copy()
    for c in list(_text_columns(out)):
        s = out[c].astype(object)
        is_text = s.map(lambda v: isinstance(v, str)).astype(bool)
        if is_text.any():
            out[c] = s.mask(is_text, s.where(is_text, "").astype(str).map(fix))
    out.columns = [fix(c) if isinstance(c, str) else c for c in out.columns]
    return out


def guard_table(df: pd.DataFrame) -> pd.DataFrame:
    """A plain copy of ``df`` in which formula-leading text cells and headers start with ``'``
    and NUL is replaced (see the module notes)."""
    out = _replace_text(plain_table(df), (_NUL,))
    for c in list(_text_columns(out)):
        s = out[c].astype(object)
        mask = _formula_mask(s)
        out[c] = s.mask(mask, "'" + s.where(mask, "").astype(str))
    out.columns = [guard_formula(str(c)) for c in out.columns]
    return out


# --------------------------------------------------------------------------- CSV


def csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as UTF-8 CSV with BOM (Excel shows Chinese correctly), formula-leading text guarded,
    rows ending in CRLF so that a cell holding a line break is quoted (see the module notes)."""
    return guard_table(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`csv_bytes` of ``df`` to ``path`` atomically; returns the path."""
    raw = csv_bytes(df)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(raw))
    return Path(path)


# --------------------------------------------------------------------------- XLSX


def _xlsx_value(v: object) -> object:
    if v is None or isna(v):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (int, float, bool, str)):
        return v
    return str(v)


def _check_cells(where: str | Path | None, sheet: str, table: pd.DataFrame) -> None:
    """:class:`DataError` naming the sheet, row and column of text Excel cannot hold."""
    problems = []
    for c in _text_columns(table):
        text = table[c].map(lambda v: v if isinstance(v, str) else "")
        lengths = text.str.len().to_numpy()
        for i in np.flatnonzero(lengths > EXCEL_CELL_MAX)[:5]:
            problems.append(Problem(int(i) + 2, str(c), "", Msg.of("why.cell_too_long", sheet=sheet, n=int(lengths[i]),
                                                                   limit=EXCEL_CELL_MAX)))
    if problems:
        raise DataError(where, problems)


def _sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (31 characters, no ``[]:*?/\\``)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'")[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in taken:
        title = f"{base[:31 - len(str(n)) - 1]}_{n}"
        n += 1
    taken.add(title.lower())
    return title


def _display_width(text: str) -> int:
    """Column width in Excel units: CJK and full-width characters count double."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _fill_sheet(ws, table: pd.DataFrame) -> None:
    """Header and cells of one sheet: text typed as strings, formula-looking text quote-prefixed;
    a bold shaded header, frozen; columns as wide as their text (wrapped beyond 80)."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header = pd.Series([str(c) for c in table.columns], dtype=object)
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, col in enumerate(table.columns, start=1):
        values = pd.concat([header.iloc[j - 1:j], table[col].astype(object)], ignore_index=True)
        flagged = _formula_mask(values).to_numpy()
        width = max(_display_width(str(v)) for v in values.head(500)) + 2
        for i, v in enumerate(values.map(_xlsx_value), start=1):
            cell = ws.cell(row=i, column=j)
            cell.value = v
            if isinstance(v, str):
                cell.data_type = "s"  # a string, never a formula
                if flagged[i - 1]:
                    cell.quotePrefix = True  # Excel's own "this is text" mark
                if width > _MAX_WIDTH and i > 1:
                    cell.alignment = wrap
        ws.column_dimensions[get_column_letter(j)].width = min(max(width, 8), _MAX_WIDTH)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF0")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"


def _workbook(sheets: dict[str, pd.DataFrame], notes: list[str] | None, where: str | Path | None):
    from openpyxl import Workbook

    tables = {name: _replace_text(plain_table(df), _XML_TEXT) for name, df in sheets.items()}
    if notes:
        tables[NOTES_SHEET] = _replace_text(pd.DataFrame({"说明 / Notes": [str(n) for n in notes]}), _XML_TEXT)
    for name, table in tables.items():
        _check_cells(where, name, table)
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name, table in tables.items():
        _fill_sheet(wb.create_sheet(_sheet_title(name, taken)), table)
    if not wb.worksheets:
        wb.create_sheet("Sheet")
    return wb


def xlsx_bytes(sheets: dict[str, pd.DataFrame], notes: list[str] | None = None) -> bytes:
    """A workbook of one sheet per table (in order), plus a 说明 sheet of ``notes``, as bytes.

    Geometry columns become lon/lat or WKT (:func:`plain_table`). Cells are numbers or text,
    never formulas; line breaks and characters XML cannot hold are replaced (module notes). Raises
    :class:`DataError` (sheet, row, column) for text longer than an Excel cell holds.
    """
    buf = io.BytesIO()
    _workbook(sheets, notes, "workbook.xlsx").save(buf)
    return buf.getvalue()


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path, *, notes: list[str] | None = None) -> Path:
    """Write :func:`xlsx_bytes` to ``path`` atomically (nothing is written if a cell is refused)."""
    wb = _workbook(sheets, notes, path)
    atomic_write(path, lambda tmp: wb.save(tmp))
    return Path(path)


# --------------------------------------------------------------------------- GeoJSON, GeoPackage


def _wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` in WGS-84, NUL in its text replaced (see the module notes)."""
    gdf = _replace_text(gdf, (_NUL,))
    return gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf.set_crs("EPSG:4326")


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write a GeoDataFrame as GeoJSON (WGS-84, 7 decimals ≈ 1 cm), atomically."""
    out = _wgs84(gdf)

    def write(tmp: str) -> None:
        os.remove(tmp)  # GDAL refuses to overwrite a GeoJSON file
        out.to_file(tmp, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7, WRITE_NAME="NO")

    atomic_write(path, write)
    return Path(path)


def _layer_name(name: str) -> str:
    return re.sub(r"[^\w]", "_", name)[:60] or "layer"


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """Write several layers into one GeoPackage (WGS-84), atomically."""
    def write(tmp: str) -> None:
        os.remove(tmp)
        for name, gdf in layers.items():
            _wgs84(gdf).to_file(tmp, driver="GPKG", layer=_layer_name(name), engine="pyogrio",
                                mode="a" if os.path.exists(tmp) else "w")

    atomic_write(path, write)
    return Path(path)


# --------------------------------------------------------------------------- export


def _format(fmt: str, where: str | Path | None) -> str:
    fmt = {"json": "geojson", "geopackage": "gpkg", "xls": "xlsx"}.get(fmt.lower(), fmt.lower())
    if fmt not in FORMATS:
        raise DataError(where, Msg.of("why.unknown_format", fmt=fmt, formats=list(FORMATS)))
    return fmt


def _need_geometry(df: pd.DataFrame, where: str | Path | None, fmt: str) -> None:
    if fmt in ("geojson", "gpkg") and not (isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df.columns):
        raise DataError(where, Msg.of("why.no_geometry"))


def export_layer(df: pd.DataFrame, path: str | Path, fmt: str | None = None, *,
                 layer_name: str | None = None, base: str | Path | None = None) -> Path:
    """Write a layer or result table as GeoJSON, GeoPackage, CSV or XLSX, atomically.

    ``fmt`` defaults to the path's extension. With ``base``, ``path`` is a name inside that
    folder and may not leave it. GeoJSON/GeoPackage need a GeoDataFrame; CSV/XLSX write
    points as ``lon``/``lat`` columns and other geometries as ``geometry_wkt``. CSV is UTF-8
    with BOM; text is guarded against formulas (see the module notes), and an illustrative
    layer's workbook gets a 说明 (notes) sheet saying so.
    """
    target = resolve_inside(base, path) if base is not None else Path(path)
    fmt = _format(fmt or target.suffix.lstrip("."), target)
    _need_geometry(df, target, fmt)
    if fmt == "geojson":
        return write_geojson(df, target)
    if fmt == "gpkg":
        return write_gpkg({layer_name or target.stem: df}, target)
    if fmt == "csv":
        return write_csv(df, target)
    notes = ([text("illustrative_notice", lang) for lang in LANGS]  # for readers of either language
             if data.is_illustrative(pd.DataFrame(df)) else None)
    return write_xlsx({layer_name or target.stem: df}, target, notes=notes)


def export_layers(layers: dict[str, pd.DataFrame], folder: str | Path, fmt: str) -> list[Path]:
    """Export several layers into ``folder`` as ``<name>.<fmt>`` (GeoPackage: one file, a
    layer each, ``layers.gpkg``). Layer names are made safe file names.

    All or nothing: every layer is checked first, the files are written into a temporary
    folder beside ``folder`` and only moved in when all of them are written.
    """
    fmt = _format(fmt, None)
    for name, df in layers.items():
        _need_geometry(df, name, fmt)
    names = (["layers.gpkg"] if fmt == "gpkg"
             else [safe_filename(name, "." + fmt) for name in layers])
    if len(set(names)) < len(names):
        raise DataError(None, Msg.of("why.same_file_name", names=names))
    with staged_folder(folder) as tmp:
        if fmt == "gpkg":
            write_gpkg(layers, resolve_inside(tmp, names[0]))
        else:
            for (name, df), file in zip(layers.items(), names):
                export_layer(df, resolve_inside(tmp, file), fmt, layer_name=name)
    folder = Path(folder).expanduser().absolute()
    return [resolve_inside(folder, n) for n in names]
